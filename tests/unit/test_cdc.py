"""Versions of a key inside one delivery day (change-data-capture): which one wins, and what is a conflict.

Hand-built landing lines go through the real parse, duplicate marking and latest-per-key transforms;
the expected winners follow the contract's order by hand: updated_at, then day, file name, line.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F

from ipr_guard.pipelines.ingest import TableBatch, accepted_rows, check_feed, latest_per_key
from ipr_guard.schema import TABLES
from ipr_guard.transforms.parse import mark_duplicates, parse_lines

DAY1, DAY2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


def _pseudonymise(column):
    # The versioning logic does not depend on the pseudonym: a plain hash keeps the test in the JVM.
    return F.sha2(column, 256)


def complaint(cid: str, outcome: str, updated: str, processed: str | None = None) -> dict:
    return {"complaint_id": cid, "source": "rights_holder", "complaint_type": "counterfeit", "brand_id": "BR1",
            "listing_id": "L1", "merchant_id": "M1", "reporter_id": "reporter-1",
            "submitted_at": "2026-10-01T08:00:00+08:00", "processed_at": processed, "outcome": outcome,
            "updated_at": updated}


def takedown(tid: str, reason: str) -> dict:
    return {"takedown_id": tid, "listing_id": "L1", "merchant_id": "M1", "origin": "proactive",
            "complaint_id": None, "reason": reason, "taken_down_at": "2026-10-01T12:00:00+08:00"}


def _file(scenario: str, day: dt.date = DAY1, table: str = "complaints") -> str:
    return f"{table}/ingest_date={day}/part-{scenario}.jsonl"


SAME = "2026-10-01T09:00:00+08:00"
# Each scenario has its own keys and files, so that one batch (two Spark jobs) serves every test.
LINES = [
    # a: two versions minutes apart.
    (DAY1, _file("a"), complaint("Ca", "pending", SAME)),
    (DAY1, _file("a"), complaint("Ca", "upheld", "2026-10-01T09:05:00+08:00", "2026-10-01T09:05:00+08:00")),
    # b: the same versions in reverse line order.
    (DAY1, _file("b"), complaint("Cb", "upheld", "2026-10-01T09:05:00+08:00", "2026-10-01T09:05:00+08:00")),
    (DAY1, _file("b"), complaint("Cb", "pending", SAME)),
    # c: equal updated_at, other content; Cc2 alone.
    (DAY1, _file("c"), complaint("Cc", "upheld", SAME)),
    (DAY1, _file("c"), complaint("Cc", "rejected", SAME)),
    (DAY1, _file("c"), complaint("Cc2", "pending", "2026-10-01T08:00:00+08:00")),
    # d: A, B, A at one updated_at.
    (DAY1, _file("d"), complaint("Cd", "pending", SAME)),
    (DAY1, _file("d"), complaint("Cd", "upheld", SAME)),
    (DAY1, _file("d"), complaint("Cd", "pending", SAME)),
    # e: equal updated_at on two days (Ce), and in two files of one day (Ce2).
    (DAY2, _file("e", DAY2), complaint("Ce", "rejected", SAME)),
    (DAY1, _file("e0"), complaint("Ce", "upheld", SAME)),
    (DAY1, _file("e1"), complaint("Ce2", "upheld", SAME)),
    (DAY1, _file("e0"), complaint("Ce2", "pending", SAME)),
    (DAY1, _file("e0"), complaint("Ce2", "rejected", SAME)),
]


def _marked(spark, table: str, lines: list[tuple[dt.date, str, dict]]):
    """Parsed and marked rows of (delivery day, file, row) lines, numbered per file in list order."""
    numbers: dict[str, int] = {}
    rows = []
    for day, file, row in lines:
        numbers[file] = numbers.get(file, 0) + 1
        rows.append((file, day, numbers[file], json.dumps(row)))
    df = spark.createDataFrame(rows, "source_file string, ingest_date date, line_number long, line string")
    return mark_duplicates(parse_lines(df, TABLES[table], _pseudonymise, 10_000, 1_000), TABLES[table])


def _resolve(spark, table: str, lines):
    """Per key: its rows' (line, _duplicate, _key_conflict) by file order, and the winning row as a dict."""
    marked = _marked(spark, table, lines)
    key = TABLES[table].key[0]
    flags: dict[str, list] = {}
    for r in marked.orderBy("ingest_date", "source_file", "line_number").collect():
        flags.setdefault(r[key], []).append((r["line_number"], r["_duplicate"], r["_key_conflict"]))
    latest = latest_per_key(accepted_rows(TableBatch(TABLES[table], [], marked), "run-1"), TABLES[table])
    return flags, {r[key]: r.asDict() for r in latest.collect()}


@pytest.fixture(scope="module")
def complaints(spark):
    return _resolve(spark, "complaints", LINES)


def _conflicts(flags: list) -> int:
    return sum(conflict for _, _, conflict in flags)


def test_two_versions_minutes_apart_are_an_update_not_a_conflict(complaints):
    flags, latest = complaints
    assert _conflicts(flags["Ca"]) == 0
    assert (latest["Ca"]["outcome"], latest["Ca"]["_line_number"]) == ("upheld", 2)


def test_the_same_versions_in_reverse_line_order_give_the_same_winner(complaints):
    flags, latest = complaints
    assert _conflicts(flags["Cb"]) == 0
    assert (latest["Cb"]["outcome"], latest["Cb"]["_line_number"]) == ("upheld", 1)


def test_equal_updated_at_with_other_content_is_a_conflict_and_the_later_line_wins(complaints):
    flags, latest = complaints
    assert _conflicts(flags["Cc"]) == 2  # both rows share key and updated_at with other content
    assert (latest["Cc"]["outcome"], latest["Cc"]["_line_number"]) == ("rejected", 2)
    assert _conflicts(flags["Cc2"]) == 0 and latest["Cc2"]["outcome"] == "pending"


def test_a_version_repeated_after_another_wins_by_its_last_copy(complaints):
    flags, latest = complaints
    # Line 1 is identical to line 3: the earlier copy is the duplicate, so line 3 keeps its place.
    assert flags["Cd"] == [(1, True, False), (2, False, True), (3, False, True)]
    assert (latest["Cd"]["outcome"], latest["Cd"]["_line_number"]) == ("pending", 3)


def test_on_equal_updated_at_the_later_day_then_the_later_file_wins(complaints):
    flags, latest = complaints
    # Ce's versions are on two days (not a same-day conflict); Ce2's three lines on one day are.
    assert _conflicts(flags["Ce"]) == 0 and _conflicts(flags["Ce2"]) == 3
    assert (latest["Ce"]["outcome"], latest["Ce"]["_ingest_date"]) == ("rejected", DAY2)
    assert (latest["Ce2"]["outcome"], latest["Ce2"]["_source_file"]) == ("upheld", _file("e1"))


def test_in_a_table_without_updated_at_any_other_content_is_a_conflict(spark):
    file0 = _file("0", table="takedowns")
    flags, latest = _resolve(spark, "takedowns", [
        (DAY1, file0, takedown("T1", "trademark")),
        (DAY1, file0, takedown("T1", "counterfeit")),
        (DAY1, file0, takedown("T2", "counterfeit")),
        (DAY1, file0, takedown("T2", "counterfeit")),      # an exact copy: a duplicate, not a conflict
    ])
    assert flags == {"T1": [(1, False, True), (2, False, True)], "T2": [(3, True, False), (4, False, False)]}
    assert latest["T1"]["reason"] == "counterfeit" and latest["T2"]["_line_number"] == 4


def _batch(rows_read: int, conflicts: int, table: str = "complaints") -> TableBatch:
    batch = TableBatch(TABLES[table], [], None, rows_read=rows_read, accepted=rows_read, key_conflicts=conflicts)
    batch.per_day = {DAY1: {"rows_read": rows_read - 100, "key_conflicts": conflicts - 3},
                     DAY2: {"rows_read": 100, "key_conflicts": 3}}
    return batch


def test_the_feed_check_stops_only_above_the_limit_and_names_table_day_and_check(cfg):
    # The default limit: more than 1% of the rows read, and at least 10.
    assert check_feed(_batch(2000, 20), cfg) == []
    assert check_feed(_batch(900, 9), cfg) == []
    assert check_feed(_batch(2000, 22), cfg) == [
        "complaints: 22 rows share their key with other content at the same updated_at on the same delivery day "
        "(1.1%, limit 1.0%); worst day 2026-10-01 with 19 (check: duplicate_keys)"]
    assert check_feed(_batch(1000, 40, "takedowns"), cfg) == [
        "takedowns: 40 rows share their key with other content on the same delivery day (4.0%, limit 1.0%); "
        "worst day 2026-10-01 with 37 (check: duplicate_keys)"]
