"""Store networks on hand-built silver frames: links, new networks, joins, merges, splits, incremental nights.

Pseudonyms are written as short strings (p1 a phone, e1 an email, d1 an ID document, b1 a bank account).
"""
from __future__ import annotations

import datetime

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms import networks
from tests.unit.builders import silver_df

FIELDS = ("contact_phone", "contact_email", "id_document_number", "bank_account")
D1, D2, D3, D4, D5 = (datetime.date(2026, 11, day) for day in range(1, 6))
ASSIGNED = "merchant_id string, network_id string, first_seen date"
NONE_CLOSED = "merchant_id string"


def frame(spark, rows, schema):
    """A frame of local rows, held in the JVM: a frame from Python data is otherwise re-read through
    Python workers every time a plan uses it, which is most of what these tests would spend."""
    return spark.createDataFrame(rows, schema).localCheckpoint()


def merchants(spark, stores: dict[str, dict]):
    """Silver merchants from {merchant_id: {identity field: pseudonym}}."""
    return silver_df(spark, "merchants", [{"merchant_id": m, **values} for m, values in stores.items()]).localCheckpoint()


def previous(spark, rows: list[tuple]):
    """Last night's assignments from (merchant_id, network_id, first_seen) tuples."""
    return frame(spark, rows, ASSIGNED)


def night(spark, prev, stores: dict[str, dict], run_date, closed=None):
    """A full recompute: (published rows, merges)."""
    assigned = networks.recompute_full(prev, merchants(spark, stores), FIELDS, run_date).localCheckpoint(eager=False)
    closed = closed if closed is not None else frame(spark, [], NONE_CLOSED)
    return networks.store_networks(assigned, closed, run_date), networks.network_changes(prev, assigned, run_date)


def ids(rows):
    """merchant_id, network_id, first_seen of published rows."""
    return rows.select("merchant_id", "network_id", "first_seen")


def test_stores_sharing_a_value_are_linked_once_per_kind_and_the_value_is_never_output(spark):
    stores = {
        "M1": {"contact_phone": "p1", "contact_email": "e1"},
        "M2": {"contact_phone": "p1", "contact_email": "e1"},
        "M3": {"bank_account": "b1"}, "M4": {"bank_account": "b1"},
        "M5": {"id_document_number": "d1"}, "M6": {"id_document_number": "d1"}, "M7": {"id_document_number": "d1"},
        "M8": {}, "M9": {}, "M10": {"contact_phone": "p10"},  # nulls never link; a value of one store neither
    }
    links = networks.identity_links(merchants(spark, stores), FIELDS)
    assert links.columns == ["merchant_a", "merchant_b", "kind"]
    assertDataFrameEqual(links, [
        Row("M1", "M2", "contact_email"), Row("M1", "M2", "contact_phone"), Row("M3", "M4", "bank_account"),
        Row("M5", "M6", "id_document_number"), Row("M5", "M7", "id_document_number"),
        Row("M6", "M7", "id_document_number"),
    ])
    assertDataFrameEqual(networks.link_kinds(links).where("merchant_id in ('M1', 'M5')"), [
        Row("M1", ["contact_email", "contact_phone"]), Row("M5", ["id_document_number"])])


def test_a_new_network_gets_an_id_from_its_first_night_and_smallest_store(spark):
    closed = networks.closed_stores(silver_df(spark, "enforcement_actions", [
        {"action_id": "A1", "merchant_id": "M2", "action": "closure", "reason": "counterfeit", "reversed": False},
        {"action_id": "A2", "merchant_id": "M1", "action": "closure", "reason": "counterfeit", "reversed": True},
        {"action_id": "A3", "merchant_id": "M1", "action": "closure", "reason": "fraud", "reversed": False},
        {"action_id": "A4", "merchant_id": "M1", "action": "warning", "reason": "counterfeit"},
    ]), ("counterfeit", "ipr_infringement"))
    stores = {"M2": {"contact_phone": "p1"}, "M1": {"contact_phone": "p1"}, "M3": {"contact_phone": "p3"}}
    rows, merges = night(spark, previous(spark, []), stores, D1, closed)
    assert rows.columns == ["run_date", "merchant_id", "network_id", "network_size", "closed_members",
                            "first_seen", "link_kinds"]
    # Only M2's closure stands on IPR grounds (M1's was reversed, for fraud, or a warning); M3 is alone.
    assertDataFrameEqual(rows, [
        Row(D1, "M1", "N-20261101-M1", 2, 1, D1, ["contact_phone"]),
        Row(D1, "M2", "N-20261101-M1", 2, 1, D1, ["contact_phone"]),
    ])
    assert merges.count() == 0


def test_a_store_joining_keeps_the_networks_id_even_when_its_own_id_is_smaller(spark):
    prev = previous(spark, [("M1", "N-20261101-M1", D1), ("M2", "N-20261101-M1", D1)])
    stores = {"M1": {"contact_phone": "p1"}, "M2": {"contact_phone": "p1", "contact_email": "e2"},
              "M0": {"contact_email": "e2"}}
    rows, merges = night(spark, prev, stores, D2)
    assertDataFrameEqual(ids(rows), [
        Row("M0", "N-20261101-M1", D2), Row("M1", "N-20261101-M1", D1), Row("M2", "N-20261101-M1", D1)])
    assert merges.count() == 0


def test_merging_networks_keep_the_oldest_id_and_record_the_absorbed_ones(spark):
    prev = previous(spark, [
        # Older network, larger store ids: it survives.
        ("M5", "N-20261101-M5", D1), ("M6", "N-20261101-M5", D1),
        ("M1", "N-20261102-M1", D2), ("M2", "N-20261102-M1", D2),
        # Two networks of the same age: the smaller id survives.
        ("M20", "N-20261101-M20", D1), ("M21", "N-20261101-M20", D1),
        ("M30", "N-20261101-M30", D1), ("M31", "N-20261101-M30", D1),
    ])
    stores = {
        "M5": {"contact_phone": "p5"}, "M6": {"contact_phone": "p5", "contact_email": "e6"},
        "M1": {"bank_account": "b1"}, "M2": {"bank_account": "b1"},
        "M7": {"contact_email": "e6", "bank_account": "b1"},  # new tonight, links the two
        "M20": {"id_document_number": "d20"}, "M21": {"id_document_number": "d20", "contact_email": "e21"},
        "M30": {"contact_phone": "p30"}, "M31": {"contact_phone": "p30", "contact_email": "e21"},
    }
    rows, merges = night(spark, prev, stores, D3)
    assertDataFrameEqual(ids(rows), [
        Row("M5", "N-20261101-M5", D1), Row("M6", "N-20261101-M5", D1), Row("M1", "N-20261101-M5", D3),
        Row("M2", "N-20261101-M5", D3), Row("M7", "N-20261101-M5", D3),
        Row("M20", "N-20261101-M20", D1), Row("M21", "N-20261101-M20", D1),
        Row("M30", "N-20261101-M20", D3), Row("M31", "N-20261101-M20", D3),
    ])
    assertDataFrameEqual(merges, [Row(D3, "merge", "N-20261102-M1", "N-20261101-M5"),
                                  Row(D3, "merge", "N-20261101-M30", "N-20261101-M20")])


def test_an_erasure_that_splits_a_network_leaves_the_id_with_its_oldest_linked_member(spark):
    # A chain M1 -phone- M2 -bank- M3 -email- M4 -ID- M5; M3 is erased tonight (all its values nulled).
    prev = previous(spark, [("M1", "N-20261101-M3", D2), ("M2", "N-20261101-M3", D2), ("M3", "N-20261101-M3", D1),
                            ("M4", "N-20261101-M3", D1), ("M5", "N-20261101-M3", D2)])
    stores = {"M1": {"contact_phone": "p1"}, "M2": {"contact_phone": "p1", "bank_account": "b2"}, "M3": {},
              "M4": {"contact_email": "e3", "id_document_number": "d4"}, "M5": {"id_document_number": "d4"}}
    rows, merges = night(spark, prev, stores, D3)
    # M3 was the oldest (D1, before M4 by id) but is alone now: M4's part keeps the id, M1's gets a new one.
    assertDataFrameEqual(rows.select("merchant_id", "network_id", "network_size", "first_seen", "link_kinds"), [
        Row("M1", "N-20261103-M1", 2, D3, ["contact_phone"]), Row("M2", "N-20261103-M1", 2, D3, ["contact_phone"]),
        Row("M4", "N-20261101-M3", 2, D1, ["id_document_number"]),
        Row("M5", "N-20261101-M3", 2, D2, ["id_document_number"]),
    ])
    assertDataFrameEqual(merges, [Row(D3, "split", "N-20261101-M3", "N-20261103-M1")])


# Four nights of stores (identity values as silver holds them each night), the stores changed each night,
# IPR closures by then, and the published networks by hand: (merchant_id, network_id, size, closed, first_seen).
A, B, C, E = "N-20261101-M1", "N-20261101-M5", "N-20261102-M7", "N-20261104-M5"
NIGHTS = [
    (D1, {"M1": {"contact_phone": "p1"}, "M2": {"contact_phone": "p1", "contact_email": "e2"},
          "M5": {"bank_account": "b5"}, "M6": {"bank_account": "b5"}, "M9": {"contact_email": "e9"}},
     ["M1", "M2", "M5", "M6", "M9"], [],
     [("M1", A, 2, 0, D1), ("M2", A, 2, 0, D1), ("M5", B, 2, 0, D1), ("M6", B, 2, 0, D1)], []),
    # M3 joins A; M7 and M9 form a new network.
    (D2, {"M3": {"contact_email": "e2"}, "M7": {"contact_email": "e9"}}, ["M3", "M7"], [],
     [("M1", A, 3, 0, D1), ("M2", A, 3, 0, D1), ("M3", A, 3, 0, D2), ("M5", B, 2, 0, D1), ("M6", B, 2, 0, D1),
      ("M7", C, 2, 0, D2), ("M9", C, 2, 0, D2)], []),
    # M4 links A and B, of the same age: A's id is the smaller. C is untouched, but its store M9 is closed
    # tonight, which its closed_members must show.
    (D3, {"M4": {"contact_phone": "p1", "bank_account": "b5"}}, ["M4"], ["M9"],
     [("M1", A, 6, 0, D1), ("M2", A, 6, 0, D1), ("M3", A, 6, 0, D2), ("M4", A, 6, 0, D3), ("M5", A, 6, 0, D3),
      ("M6", A, 6, 0, D3), ("M7", C, 2, 1, D2), ("M9", C, 2, 1, D2)], [("merge", B, A)]),
    # M4 is erased and M2 changes its email, which leaves M3 alone: the part holding M1 (oldest) keeps A,
    # M5 and M6 get a new id; M3 and M4 are in no network (no row, nothing recorded).
    (D4, {"M4": {}, "M2": {"contact_phone": "p1", "contact_email": "e2-new"}}, ["M4", "M2"], ["M9"],
     [("M1", A, 2, 0, D1), ("M2", A, 2, 0, D1), ("M5", E, 2, 0, D4), ("M6", E, 2, 0, D4),
      ("M7", C, 2, 1, D2), ("M9", C, 2, 1, D2)], [("split", A, E)]),
]


def test_incremental_nights_equal_the_full_recompute_and_the_hand_worked_networks(spark):
    stores: dict[str, dict] = {}
    prev_full = prev_incr = frame(spark, [], ASSIGNED + ", link_kinds array<string>")
    for run_date, updates, changed, closed_ids, expected, expected_merges in NIGHTS:
        stores = {**stores, **updates}
        silver = merchants(spark, stores)
        closed = frame(spark, [(m,) for m in closed_ids], NONE_CLOSED)
        changed_df = frame(spark, [(m,) for m in changed], "merchant_id string")
        # Checkpointed as the step does: the rows and the merges both read them.
        full = networks.recompute_full(prev_full, silver, FIELDS, run_date).localCheckpoint(eager=False)
        incr = networks.recompute_incremental(prev_incr, silver, changed_df, FIELDS, run_date).localCheckpoint(
            eager=False)
        # Each result is collected once (Spark jobs are the test's cost) and compared as rows.
        rows_full = networks.store_networks(full, closed, run_date)
        got_full, got_incr = rows_full.collect(), networks.store_networks(incr, closed, run_date).collect()
        merges_full = networks.network_changes(prev_full, full, run_date).collect()
        merges_incr = networks.network_changes(prev_incr, incr, run_date).collect()
        assertDataFrameEqual(got_incr, got_full)
        assertDataFrameEqual(merges_incr, merges_full)
        assertDataFrameEqual([Row(*r[1:6]) for r in got_full], [Row(*r) for r in expected])
        assertDataFrameEqual(merges_full, [Row(run_date, *m) for m in expected_merges])
        # Tonight's rows are tomorrow's previous night, as the step reads them back from the table.
        prev_full, prev_incr = frame(spark, got_full, rows_full.schema), frame(spark, got_incr, rows_full.schema)
