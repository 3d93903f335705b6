"""Store networks: stores joined by shared identity values, with ids that stay stable night to night.

Two stores are linked when they share a non-null value of an identity field (phone, email, ID document,
bank account; keyed pseudonyms in silver). A network is a connected component of those links; a store
with no link is in no network, so every network has at least two stores. Only merchant ids and the kind
of value shared leave this module, never the pseudonym itself.

Stable ids, given last night's assignments (merchant_id, network_id, first_seen):

- A store's `first_seen` is the night its current stay in its network id began. A network's age is the
  earliest `first_seen` of its members; its oldest member is the member with the earliest `first_seen`
  (tie: smallest merchant_id).
- Each of last night's networks has one heir tonight: the network holding its oldest member among those
  still in a network tonight (a store left alone is in no network and takes no id with it).
- A network inheriting from one or more of last night's networks takes the oldest one's id (age, tie:
  smallest id); the others are absorbed. A network inheriting from none is new and gets
  ``N-<yyyymmdd of its first night>-<its smallest merchant_id>``, unique because a store is in one network
  per night; the id is stored with its members, so it never changes later.
- Changes are recorded as (run_date, kind, from_id, to_id): ``merge`` - last night's `from_id` was
  absorbed into `to_id` (the survivor); ``split`` - stores of last night's `from_id` are tonight in
  `to_id`, a network other than `from_id`'s heir (a new id, or another network they joined). A network
  whose stores all end up alone simply ends; nothing is recorded.

The full recompute (`recompute_full`) labels every component; the incremental one (`recompute_incremental`)
labels only the components the night's changed stores can reach and copies every other network as it
was, which gives the same result when `changed` holds every store whose identity values changed.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import standing_closure
from ipr_guard.transforms.identity import identity_pairs

# Components are found by label propagation; a graph that has not settled after this many rounds has a
# path longer than any identity network should have, which is worth an error rather than a silent cut.
MAX_ITERATIONS = 100


def identity_links(merchants: DataFrame, fields: tuple[str, ...]) -> DataFrame:
    """Undirected links between stores sharing a non-null identity value, one row per pair and field.

    Args:
        merchants: silver merchants (merchant_id and the `fields`).
        fields: the identity fields to link on (`rules.identity_fields`).

    Returns:
        merchant_a, merchant_b (merchant_a < merchant_b), kind (the field shared).
    """
    pairs = identity_pairs(merchants, tuple(fields))
    other = pairs.select(F.col("merchant_id").alias("merchant_b"), "field", "value")
    return (
        pairs.withColumnRenamed("merchant_id", "merchant_a")
        .join(other, on=["field", "value"], how="inner")
        .where(F.col("merchant_a") < F.col("merchant_b"))
        # Two stores may share several values of one field (never in silver, but cheap to guard).
        .select("merchant_a", "merchant_b", F.col("field").alias("kind"))
        .distinct()
        .select("merchant_a", "merchant_b", "kind")
    )


def link_kinds(links: DataFrame) -> DataFrame:
    """Per linked store, the kinds of value linking it to others (all of them are in its network).

    Returns:
        merchant_id, link_kinds (ARRAY<STRING>, sorted, distinct).
    """
    ends = links.select(F.col("merchant_a").alias("merchant_id"), "kind").unionByName(
        links.select(F.col("merchant_b").alias("merchant_id"), "kind"))
    return ends.groupBy("merchant_id").agg(F.array_sort(F.collect_set("kind")).alias("link_kinds")).select(
        "merchant_id", "link_kinds")


def connected_components(links: DataFrame, max_iterations: int = MAX_ITERATIONS) -> DataFrame:
    """Connected components by min-label propagation: each store takes the smallest label around it.

    Runs one Spark job per round to count the stores whose label dropped (only that count reaches the
    driver); stops when none did. Rounds needed: about the longest shortest path in a component.

    Args:
        links: merchant_a, merchant_b (any further columns are ignored).
        max_iterations: rounds before giving up with an error.

    Returns:
        merchant_id, component (the smallest merchant_id of the component), for every linked store.

    Raises:
        RuntimeError: the labels did not settle within `max_iterations` rounds.
    """
    # Every round's labels are locally checkpointed: the plan stays one round deep instead of growing
    # by a join a round, and (unlike cache()) the blocks are freed once the frame is unreferenced.
    # Lazily: the round's count is what computes and keeps them.
    pairs = links.select("merchant_a", "merchant_b")
    stores = pairs.select(F.col("merchant_a").alias("src")).unionByName(pairs.select(F.col("merchant_b").alias("src")))
    # A store is its own neighbour too, so one join and one min give its new label and its old one.
    edges = (pairs.select(F.col("merchant_a").alias("src"), F.col("merchant_b").alias("dst"))
             .unionByName(pairs.select(F.col("merchant_b").alias("src"), F.col("merchant_a").alias("dst")))
             .unionByName(stores.select("src", F.col("src").alias("dst")))
             .distinct().localCheckpoint(eager=False))
    # Round zero needs no join: a store's smallest neighbour, itself included.
    labels = edges.groupBy("dst").agg(F.min("src").alias("component")).select(
        F.col("dst").alias("merchant_id"), "component")
    for _ in range(max_iterations):
        step = (edges.join(labels.withColumnRenamed("merchant_id", "src"), on="src", how="inner")
                .groupBy("dst")
                .agg(F.min("component").alias("component"),
                     F.min(F.when(F.col("src") == F.col("dst"), F.col("component"))).alias("was"))
                .select(F.col("dst").alias("merchant_id"), "component",
                        (F.col("component") < F.col("was")).alias("dropped"))
                ).localCheckpoint(eager=False)
        dropped = step.where(F.col("dropped")).count()
        labels = step.select("merchant_id", "component")
        if dropped == 0:
            return labels
    raise RuntimeError(f"store networks: labels still changing after {max_iterations} rounds")


def assign_networks(previous: DataFrame, components: DataFrame, run_date: dt.date) -> DataFrame:
    """Tonight's network id and first_seen of every linked store, keeping last night's ids (module rules).

    Args:
        previous: last night's assignments: merchant_id, network_id, first_seen (extra columns ignored).
        components: tonight's merchant_id, component (`connected_components`).
        run_date: tonight's run date D.

    Returns:
        merchant_id, network_id, first_seen (DATE; D for a store new to its network id).
    """
    prev = previous.select("merchant_id", F.col("network_id").alias("prev_id"),
                           F.col("first_seen").alias("prev_first_seen"))
    both = prev.join(components, on="merchant_id", how="full")
    # A network's age counts all of last night's members; its heir is the component of its oldest member
    # still linked tonight (min skips the nulls of members left alone; a network with none has no heir).
    heirs = (both.where(F.col("prev_id").isNotNull()).groupBy("prev_id")
             .agg(F.min("prev_first_seen").alias("since"),
                  F.min(F.when(F.col("component").isNotNull(),
                               F.struct("prev_first_seen", "merchant_id", "component"))).alias("oldest"))
             .where(F.col("oldest").isNotNull()))
    inherited = heirs.groupBy(F.col("oldest.component").alias("component")).agg(
        F.min(F.struct("since", "prev_id")).alias("o")).select("component", F.col("o.prev_id").alias("kept_id"))
    network_id = F.coalesce(F.col("kept_id"), F.concat(F.lit(f"N-{run_date:%Y%m%d}-"), F.col("component")))
    stayed = F.col("prev_id").eqNullSafe(network_id)
    return both.where(F.col("component").isNotNull()).join(inherited, on="component", how="left").select(
        "merchant_id", network_id.alias("network_id"),
        F.when(stayed, F.col("prev_first_seen")).otherwise(F.lit(run_date)).alias("first_seen"))


def network_changes(previous: DataFrame, assignments: DataFrame, run_date: dt.date) -> DataFrame:
    """The merges and splits between last night's networks and tonight's (module rules).

    Args:
        previous: last night's merchant_id, network_id, first_seen.
        assignments: tonight's merchant_id, network_id (`assign_networks` or a recompute).
        run_date: tonight's run date D.

    Returns:
        run_date, kind (``merge`` or ``split``), from_id, to_id.
    """
    moves = previous.select("merchant_id", F.col("network_id").alias("from_id"), "first_seen").join(
        assignments.select("merchant_id", F.col("network_id").alias("to_id")), on="merchant_id", how="inner")
    # The same heir as `assign_networks`: where the oldest member still linked tonight went.
    heir = F.min(F.struct("first_seen", "merchant_id", "to_id")).over(Window.partitionBy("from_id"))["to_id"]
    pairs = moves.select("from_id", "to_id", heir.alias("heir_id")).distinct()
    merges = pairs.where((F.col("to_id") == F.col("heir_id")) & (F.col("heir_id") != F.col("from_id"))).select(
        F.lit("merge").alias("kind"), "from_id", "to_id")
    splits = pairs.where(F.col("to_id") != F.col("heir_id")).select(F.lit("split").alias("kind"), "from_id", "to_id")
    return merges.unionByName(splits).select(F.lit(run_date).alias("run_date"), "kind", "from_id", "to_id")


def touched_stores(previous: DataFrame, merchants: DataFrame, changed: DataFrame,
                   fields: tuple[str, ...]) -> DataFrame:
    """The stores whose network can differ from last night's because of tonight's changed stores.

    A link between two unchanged stores existed last night, so it joined them in one network then; every
    store reachable tonight from a changed store is therefore a changed store, one of their new
    neighbours, or a member of a network that one of those was in last night.

    Args:
        previous: last night's merchant_id, network_id.
        merchants: tonight's silver merchants.
        changed: merchant_id of every store whose identity values are new or changed tonight (erasures
            included); more stores are harmless.
        fields: the identity fields.

    Returns:
        merchant_id (distinct).
    """
    ids = changed.select("merchant_id").distinct()
    pairs = identity_pairs(merchants, tuple(fields))
    neighbours = pairs.join(ids, on="merchant_id", how="left_semi").select("field", "value").join(
        pairs, on=["field", "value"], how="inner").select("merchant_id")
    near = ids.unionByName(neighbours)
    networks = previous.join(near, on="merchant_id", how="left_semi").select("network_id").distinct()
    members = previous.join(networks, on="network_id", how="left_semi").select("merchant_id")
    return near.unionByName(members).distinct().select("merchant_id")


def recompute_full(previous: DataFrame, merchants: DataFrame, fields: tuple[str, ...],
                   run_date: dt.date) -> DataFrame:
    """Every store's network from scratch, keeping last night's ids.

    Returns:
        merchant_id, network_id, first_seen, link_kinds.
    """
    # Read twice (components, link kinds); checkpointed (lazily: on first use) it is computed once.
    links = identity_links(merchants, fields).localCheckpoint(eager=False)
    assigned = assign_networks(previous, connected_components(links), run_date)
    return assigned.join(link_kinds(links), on="merchant_id", how="inner").select(
        "merchant_id", "network_id", "first_seen", "link_kinds")


def recompute_incremental(previous: DataFrame, merchants: DataFrame, changed: DataFrame,
                          fields: tuple[str, ...], run_date: dt.date) -> DataFrame:
    """Like `recompute_full`, labelling only the components the changed stores touch.

    Args:
        previous: last night's rows (merchant_id, network_id, first_seen, link_kinds): every network
            untouched tonight is copied from them.
        merchants: tonight's silver merchants.
        changed: merchant_id of the stores whose identity values are new or changed (see `touched_stores`).
        fields: the identity fields.
        run_date: tonight's run date D.

    Returns:
        merchant_id, network_id, first_seen, link_kinds.
    """
    # Both are read three times below; checkpointed (lazily: on first use) they are computed once.
    touched = touched_stores(previous, merchants, changed, fields).localCheckpoint(eager=False)
    # Touched stores link only to touched stores (see `touched_stores`): their links are all there is.
    links = identity_links(merchants.join(touched, on="merchant_id", how="left_semi"), fields).localCheckpoint(
        eager=False)
    last = previous.join(touched, on="merchant_id", how="left_semi")
    fresh = assign_networks(last, connected_components(links), run_date).join(
        link_kinds(links), on="merchant_id", how="inner")
    kept = previous.join(touched, on="merchant_id", how="left_anti")
    cols = ["merchant_id", "network_id", "first_seen", "link_kinds"]
    return fresh.select(*cols).unionByName(kept.select(*cols)).select(*cols)


def closed_stores(enforcement_actions: DataFrame, closure_reasons: tuple[str, ...]) -> DataFrame:
    """Stores with a standing IPR closure (a non-reversed `closure` for one of `closure_reasons`).

    Returns:
        merchant_id (distinct).
    """
    return (enforcement_actions.where(standing_closure() & F.col("reason").isin(*closure_reasons))
            .select("merchant_id").distinct().select("merchant_id"))


def store_networks(assigned: DataFrame, closed: DataFrame, run_date: dt.date) -> DataFrame:
    """The published rows: one per store in a network, with its network's size and closed members.

    Args:
        assigned: merchant_id, network_id, first_seen, link_kinds (a recompute).
        closed: merchant_id of the stores with a standing IPR closure (`closed_stores`).
        run_date: the run date D.

    Returns:
        run_date, merchant_id, network_id, network_size (BIGINT), closed_members (BIGINT), first_seen,
        link_kinds.
    """
    flagged = assigned.join(closed.select("merchant_id", F.lit(1).alias("is_closed")), on="merchant_id", how="left")
    network = Window.partitionBy("network_id")
    return flagged.select(
        F.lit(run_date).alias("run_date"), "merchant_id", "network_id",
        F.count(F.lit(1)).over(network).alias("network_size"),
        F.count("is_closed").over(network).alias("closed_members"),
        "first_seen", "link_kinds")
