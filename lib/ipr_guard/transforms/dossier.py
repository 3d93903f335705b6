"""What one store's evidence dossier states, as pure DataFrame transforms over silver and gold tables.

The figures build on `transforms/infringing.py` (which listings are infringing, which sales count); this
module adds the breakdowns (per listing, month and brand, per order status), the store's timeline of
events, its candidate history and its store network. Every function ends in a select of named columns,
none of them personal: a dossier goes to rights holders and courts, so no legal name, contact, identity
document, bank account, buyer, reporter or reviewer (code or note) can reach it, not even as a pseudonym.

Instants are written as UTC text (`2026-10-31T17:30:00Z`) next to their calendar day in the marketplace
time zone; like `columns.market_date`, this assumes the session time zone is UTC.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date

# Never in a dossier's output: silver's personal columns, meta/review_decisions' reviewer and note, and a
# privacy request's subject (tests assert that no output column is one of these).
PERSONAL_COLUMNS = ("legal_name", "contact_email", "contact_phone", "id_document_number", "bank_account",
                    "buyer_id", "reporter_id", "reviewer", "note", "subject_id")
PROFILE_COLUMNS = ("merchant_id", "store_name", "country", "business_type", "verification_level", "registered_at",
                   "registered_on", "status")
# Events at the same instant are told in the order things happen: a test buy's verdict or a notice comes
# before the takedown it leads to, which comes before a store-level action and the reviewers' decision.
TIMELINE_KINDS = ("registration", "test_buy", "notice", "complaint", "takedown", "enforcement", "review_decision")
ORDER_STATUSES = ("paid", "refunded", "cancelled")


def utc_text(col: Column) -> Column:
    """A UTC TIMESTAMP column as ISO-8601 text with `Z` (null stays null)."""
    return F.date_format(col, "yyyy-MM-dd'T'HH:mm:ss'Z'")


def store_profile(merchants: DataFrame, tz: str) -> DataFrame:
    """The store facts a dossier may show.

    Args:
        merchants: silver merchants.
        tz: the marketplace time zone.

    Returns:
        PROFILE_COLUMNS: merchant_id, store_name, country, business_type, verification_level,
        registered_at (UTC text), registered_on (market day), status.
    """
    return merchants.select(
        "merchant_id", "store_name", "country", "business_type", "verification_level",
        utc_text(F.col("registered_at")).alias("registered_at"),
        market_date(F.col("registered_at"), tz).alias("registered_on"), "status")


def infringing_details(infringing: DataFrame, listings: DataFrame, tz: str) -> DataFrame:
    """`infringing_listings` rows with the listing's title and the first evidence's day.

    Args:
        infringing: `infringing.infringing_listings` rows.
        listings: silver listings.
        tz: the marketplace time zone.

    Returns:
        listing_id, merchant_id, brand_id, title, evidence_kinds (sorted), first_evidence_at (UTC text),
        first_evidence_on (market day).
    """
    titles = listings.select("listing_id", "title")
    return infringing.join(titles, on="listing_id", how="left").select(
        "listing_id", "merchant_id", "brand_id", "title", F.col("evidence").alias("evidence_kinds"),
        utc_text(F.col("first_evidence_at")).alias("first_evidence_at"),
        market_date(F.col("first_evidence_at"), tz).alias("first_evidence_on"))


def evidence_details(evidence: DataFrame, infringing: DataFrame, tz: str) -> DataFrame:
    """Each piece of evidence against an infringing listing, under the store that owns the listing.

    Args:
        evidence: `infringing.listing_evidence` rows.
        infringing: `infringing.infringing_listings` rows (their merchant_id is the owner).
        tz: the marketplace time zone.

    Returns:
        merchant_id, listing_id, kind (takedown, test_buy or notice), evidence_id, at (UTC text),
        on (market day), detail (the reason, verdict or notice type).
    """
    owners = infringing.select("listing_id", "merchant_id")
    return evidence.drop("merchant_id").join(owners, on="listing_id", how="inner").select(
        "merchant_id", "listing_id", F.col("evidence").alias("kind"), "evidence_id",
        utc_text(F.col("evidence_at")).alias("at"), market_date(F.col("evidence_at"), tz).alias("on"), "detail")


def _sales_totals(sales: DataFrame, keys: list[str]) -> DataFrame:
    return sales.groupBy(*keys).agg(F.count(F.lit(1)).alias("paid_orders"),
                                    F.round(F.sum("amount"), 2).alias("infringing_gmv"))


def listing_sales(sales: DataFrame) -> DataFrame:
    """Paid orders and infringing GMV per store and listing.

    Args:
        sales: `infringing.infringing_orders` rows of the period.

    Returns:
        merchant_id, listing_id, paid_orders, infringing_gmv.
    """
    return _sales_totals(sales, ["merchant_id", "listing_id"]).select(
        "merchant_id", "listing_id", "paid_orders", "infringing_gmv")


def gmv_by_month(sales: DataFrame) -> DataFrame:
    """Paid orders and infringing GMV per store and calendar month of the order (market time).

    Args:
        sales: `infringing.infringing_orders` rows (order_date is already a market day).

    Returns:
        merchant_id, month (`YYYY-MM`), paid_orders, infringing_gmv; months without a sale have no row.
    """
    monthly = sales.withColumn("month", F.date_format(F.col("order_date"), "yyyy-MM"))
    return _sales_totals(monthly, ["merchant_id", "month"]).select(
        "merchant_id", "month", "paid_orders", "infringing_gmv")


def gmv_by_brand(sales: DataFrame, brands: DataFrame) -> DataFrame:
    """Paid orders and infringing GMV per store and brand of the listing, with the brand's name.

    Args:
        sales: `infringing.infringing_orders` rows.
        brands: silver brands.

    Returns:
        merchant_id, brand_id (null for a listing matched to no brand), brand_name, paid_orders,
        infringing_gmv.
    """
    per_brand = _sales_totals(sales, ["merchant_id", "brand_id"])
    return per_brand.join(brands.select("brand_id", "brand_name"), on="brand_id", how="left").select(
        "merchant_id", "brand_id", "brand_name", "paid_orders", "infringing_gmv")


def order_statuses(orders: DataFrame, infringing: DataFrame, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Orders on infringing listings created in the period, per store and status (paid, refunded, cancelled).

    Only `paid` ones are infringing GMV; the others are shown so that a reader sees what was left out.

    Args:
        orders: silver orders.
        infringing: `infringing.infringing_listings` rows.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id (the order's store), status, orders, amount.
    """
    day = market_date(F.col("created_at"), tz)
    in_period = orders.where(day.between(F.lit(start), F.lit(end)))
    on_infringing = in_period.join(infringing.select("listing_id"), on="listing_id", how="left_semi")
    return on_infringing.groupBy("merchant_id", "status").agg(
        F.count(F.lit(1)).alias("orders"), F.round(F.sum(F.coalesce("amount", F.lit(0.0))), 2).alias("amount"),
    ).select("merchant_id", "status", "orders", "amount")


def period_activity(orders: DataFrame, listings: DataFrame, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Per store: orders (any status) and listings created in the period, whatever their evidence.

    Args:
        orders: silver orders.
        listings: silver listings.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id, orders, listings_created (0 where the store had none of one kind).
    """
    def created(df: DataFrame, name: str) -> DataFrame:
        day = market_date(F.col("created_at"), tz)
        return df.where(day.between(F.lit(start), F.lit(end))).groupBy("merchant_id").agg(
            F.count(F.lit(1)).alias(name))

    return created(orders, "orders").join(created(listings, "listings_created"), on="merchant_id", how="full").select(
        "merchant_id", F.coalesce("orders", F.lit(0)).alias("orders"),
        F.coalesce("listings_created", F.lit(0)).alias("listings_created"))


def _event(df: DataFrame, kind: Column, at: str, event_id: Column, listing_id: Column, detail: Column) -> DataFrame:
    return df.select("merchant_id", F.col(at).alias("event_at"), kind.alias("kind"),
                     event_id.cast("string").alias("event_id"), listing_id.cast("string").alias("listing_id"),
                     detail.alias("detail"))


def timeline(merchants: DataFrame, takedowns: DataFrame, test_buys: DataFrame, complaints: DataFrame,
             actions: DataFrame, decisions: DataFrame, tz: str) -> DataFrame:
    """Every dated event of each store, numbered in the order it happened.

    Complaints from a rights holder are `notice`s, others `complaint`s (dated when submitted); a test buy
    is dated by its verdict; a reviewers' decision by its import, and says which run date's list it is on.
    Who reported, bought or reviewed is never part of an event.

    Args:
        merchants, takedowns, test_buys, complaints: silver tables; actions: silver enforcement_actions.
        decisions: meta/review_decisions.
        tz: the marketplace time zone.

    Returns:
        merchant_id, seq (1, 2, ... per store by instant, then TIMELINE_KINDS order, then event_id), at (UTC
        text), on (market day), kind, event_id, listing_id, detail.
    """
    no_listing = F.lit(None).cast("string")
    parts = [
        _event(merchants, F.lit("registration"), "registered_at", F.col("merchant_id"), no_listing,
               F.lit("store registered")),
        _event(test_buys, F.lit("test_buy"), "verdict_at", F.col("test_buy_id"), F.col("listing_id"),
               F.concat(F.lit("test buy verdict: "), F.col("verdict"))),
        _event(complaints, F.when(F.col("source") == "rights_holder", F.lit("notice")).otherwise(F.lit("complaint")),
               "submitted_at", F.col("complaint_id"), F.col("listing_id"),
               F.concat_ws(", ", F.col("complaint_type"), F.concat(F.lit("from "), F.col("source")),
                           F.col("outcome"))),
        _event(takedowns, F.lit("takedown"), "taken_down_at", F.col("takedown_id"), F.col("listing_id"),
               F.concat_ws(", ", F.col("reason"), F.col("origin"))),
        _event(actions, F.lit("enforcement"), "decided_at", F.col("action_id"), no_listing,
               F.concat_ws(", ", F.col("action"), F.col("reason"),
                           F.when(F.col("reversed"), F.lit("reversed on appeal")))),
        _event(decisions, F.lit("review_decision"), "imported_at", F.col("run_date"), no_listing,
               F.concat(F.lit("reviewers' decision on the list of "), F.col("run_date").cast("string"), F.lit(": "),
                        F.col("decision"))),
    ]
    events = parts[0]
    for part in parts[1:]:
        events = events.unionByName(part)
    kind_rank = F.array_position(F.array(*[F.lit(k) for k in TIMELINE_KINDS]), F.col("kind"))
    order = Window.partitionBy("merchant_id").orderBy(F.col("event_at").asc_nulls_last(), kind_rank,
                                                      F.col("event_id"))
    return events.withColumn("seq", F.row_number().over(order)).select(
        "merchant_id", "seq", utc_text(F.col("event_at")).alias("at"), market_date(F.col("event_at"), tz).alias("on"),
        "kind", "event_id", "listing_id", "detail")


def candidate_history(candidates: DataFrame, runs: DataFrame) -> DataFrame:
    """A store's rows on the published closure-candidate lists, with the run that published each.

    Args:
        candidates: gold closure_candidates rows as their runs published them.
        runs: run_date, run_id: the published run of each run date read.

    Returns:
        merchant_id, run_date, run_id, rank, risk_score, recommended_action, reasons.
    """
    return candidates.join(runs.select("run_date", "run_id"), on="run_date", how="inner").select(
        "merchant_id", "run_date", "run_id", "rank", "risk_score", "recommended_action", "reasons")


def latest_networks(networks: DataFrame, as_of: dt.date) -> DataFrame:
    """gold/store_networks rows of its latest run date on or before `as_of` (a store in none has no row).

    Args:
        networks: gold store_networks.
        as_of: the last day the dossier covers.

    Returns:
        run_date, merchant_id, network_id, network_size, closed_members, first_seen, link_kinds.
    """
    dated = networks.where(F.col("run_date") <= F.lit(as_of))
    latest = dated.agg(F.max("run_date").alias("run_date"))
    return dated.join(latest, on="run_date", how="inner").select(
        "run_date", "merchant_id", "network_id", "network_size", "closed_members", "first_seen", "link_kinds")


def linked_stores(networks: DataFrame, profiles: DataFrame) -> DataFrame:
    """For each store in a network, the other stores of that network on the same run date.

    Args:
        networks: `latest_networks` rows.
        profiles: `store_profile` rows (for the linked store's name and status).

    Returns:
        merchant_id, linked_merchant_id, store_name, status, link_kinds (the kinds of value the linked store
        shares; never the values).
    """
    others = networks.select("run_date", "network_id", F.col("merchant_id").alias("linked_merchant_id"),
                             "link_kinds")
    names = profiles.select(F.col("merchant_id").alias("linked_merchant_id"), "store_name", "status")
    return (networks.select("run_date", "network_id", "merchant_id")
            .join(others, on=["run_date", "network_id"], how="inner")
            .where(F.col("linked_merchant_id") != F.col("merchant_id"))
            .join(names, on="linked_merchant_id", how="left")
            .select("merchant_id", "linked_merchant_id", "store_name", "status", "link_kinds"))
