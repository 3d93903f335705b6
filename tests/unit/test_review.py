"""Reviewers' decisions: the return file's checks, suppression of rejected stores, review labels."""
from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from ipr_guard.review_file import Decision, check_stores, parse_return_file, problem_line_number
from ipr_guard.transforms.labels import review_labels, with_review_labels
from ipr_guard.transforms.review import suppress_rejected

D = dt.date(2026, 10, 31)
BOM = b"\xef\xbb\xbf"


def test_every_problem_of_a_bad_file_is_listed_with_its_line():
    # No note column; line 3 a bad decision, line 4 an empty reviewer, line 6 a duplicate of line 2,
    # line 5 unreviewed (skipped), line 7 an unknown store, line 8 a store that was not a candidate.
    text = ("rank,merchant_id,decision,reviewer\n"
            "1,M1,confirm,Li Wei\n"
            "2,M2,close it,Li Wei\n"
            "3,M3,reject,\n"
            "4,M4,,\n"
            "5,M1,reject,Li Wei\n"
            "6,M404,confirm,Li Wei\n"
            "7,M7,Reject,Li Wei\n")
    parsed = parse_return_file(BOM + text.encode("utf-8"), 500)
    assert parsed.skipped == 1
    assert [(d.line, d.merchant_id, d.decision) for d in parsed.decisions] == [
        (2, "M1", "confirm"), (3, "M2", "close it"), (4, "M3", "reject"), (6, "M1", "reject"),
        (7, "M404", "confirm"), (8, "M7", "reject")]
    stores = check_stores(parsed.decisions, known_stores={"M1", "M2", "M3", "M7"},
                          candidates={"M1", "M2", "M3"}, run_date=str(D))
    problems = sorted(parsed.problems + stores, key=problem_line_number)
    assert problems == [
        "line 1: missing required column note (header: rank, merchant_id, decision, reviewer)",
        "line 3: decision 'close it' is not one of confirm, reject, needs_more_evidence",
        "line 4: reviewer is empty",
        "line 6: store M1 appears again (first on line 2)",
        "line 7: unknown store M404 (not in silver merchants)",
        "line 8: store M7 was not a closure candidate on 2026-10-31",
    ]


def test_empty_file_not_utf8_and_missing_key_columns():
    assert parse_return_file(b"", 500).problems == [
        "file: empty (expected a header line with merchant_id, decision, reviewer, note)"]
    assert parse_return_file(BOM + b"\n", 500).problems[0].startswith("file: empty")
    gbk = "merchant_id,decision,reviewer,note\nM1,confirm,李伟,\n".encode("gbk")
    assert parse_return_file(gbk, 500).problems == [
        "line 2: not UTF-8 (byte 0xc0 at offset 46); save the file as CSV UTF-8"]
    no_keys = parse_return_file(b"store,verdict\nM1,confirm\n", 500)
    assert no_keys.problems == ["line 1: missing required columns merchant_id, decision, reviewer, note "
                                "(header: store, verdict)"] and no_keys.decisions == []


def test_quoted_multiline_notes_keep_line_numbers_and_are_cut():
    text = ('merchant_id,decision,reviewer,note\n'
            'M1,confirm,Li Wei,"two\nlines"\n'
            'M2,needs_more_evidence,Li Wei,' + "x" * 12 + "\n"
            'M3,bogus,Li Wei,\n')
    parsed = parse_return_file(text.encode("utf-8"), 10)
    assert [(d.line, d.note) for d in parsed.decisions] == [(2, "two\nlines"), (4, "x" * 10), (5, "")]
    assert parsed.notes_cut == 1 and parsed.problems == [
        "line 5: decision 'bogus' is not one of confirm, reject, needs_more_evidence"]
    assert check_stores([Decision(2, "M1", "confirm", "a", "")], {"M1"}, {"M1"}, str(D)) == []


CAND = ("run_date date, merchant_id string, rank int, counterfeit_test_buys bigint, upheld_notices_30d bigint, "
        "linked_closed_stores bigint, reused_image_listings bigint, rules_fired array<string>")
DEC = ("run_date date, merchant_id string, decision string, counterfeit_test_buys bigint, "
       "upheld_notices_30d bigint, linked_closed_stores bigint, reused_image_listings bigint, "
       "rules_fired array<string>")


def test_rejected_stores_stay_off_until_new_evidence(spark):
    day = dt.timedelta(days=1)
    cands = spark.createDataFrame([
        (D, "M1", 1, 1, 0, 0, 0, ["counterfeit_test_buy"]),           # rejected, nothing new: suppressed
        (D, "M2", 2, 0, 4, 0, 0, ["upheld_notices"]),                 # one more upheld notice: kept
        (D, "M3", 3, 0, 3, 0, 0, ["shared_identity", "upheld_notices"]),  # a new rule, no count higher: kept
        (D, "M4", 4, 1, 0, 0, 0, ["counterfeit_test_buy"]),           # rejected 31 days ago: kept
        (D, "M5", 5, 0, 0, 1, 2, ["shared_identity"]),                # rejected, then confirmed: kept
        (D, "M6", 6, 0, 0, 1, 0, ["shared_identity"]),                # rejected on D itself: not before D, kept
        (D, "M7", 7, 0, 2, 1, 0, ["shared_identity"]),                # rejected twice, fewer notices now: suppressed
        (D, "M8", 8, 0, 0, 1, 0, ["shared_identity"]),                # never decided
    ], CAND)
    decisions = spark.createDataFrame([
        (D - 3 * day, "M1", "reject", 1, 0, 0, 0, ["counterfeit_test_buy"]),
        (D - 30 * day, "M2", "reject", 0, 3, 0, 0, ["upheld_notices"]),
        (D - 2 * day, "M3", "reject", 0, 3, 0, 0, ["upheld_notices"]),
        (D - 31 * day, "M4", "reject", 1, 0, 0, 0, ["counterfeit_test_buy"]),
        (D - 5 * day, "M5", "reject", 0, 0, 1, 2, ["shared_identity"]),
        (D - 1 * day, "M5", "confirm", 0, 0, 1, 2, ["shared_identity"]),
        (D, "M6", "reject", 0, 0, 1, 0, ["shared_identity"]),
        (D - 9 * day, "M7", "reject", 0, 1, 1, 0, ["shared_identity"]),
        (D - 1 * day, "M7", "reject", 0, 3, 1, 0, ["shared_identity"]),
        (D - 1 * day, "M8", "needs_more_evidence", 0, 0, 1, 0, ["shared_identity"]),
    ], DEC)
    out = suppress_rejected(cands, decisions, D, 30)
    assert out.columns == cands.columns
    assertDataFrameEqual(out.select("merchant_id", "rank"), spark.createDataFrame(
        [("M2", 1), ("M3", 2), ("M4", 3), ("M5", 4), ("M6", 5), ("M8", 6)], "merchant_id string, rank int"))
    # A 2-day window lets M1's rejection (3 days ago) lapse; M7's (yesterday) still holds.
    two_days = suppress_rejected(cands, decisions, D, 2).orderBy("rank").collect()
    assert [(r["merchant_id"], r["rank"]) for r in two_days] == [
        ("M1", 1), ("M2", 2), ("M3", 3), ("M4", 4), ("M5", 5), ("M6", 6), ("M8", 7)]
    assert suppress_rejected(cands, decisions.limit(0), D, 30).orderBy("rank").collect() == \
        cands.orderBy("rank").collect()


def test_review_labels_replace_enforcement_labels_at_their_date(spark):
    day = dt.timedelta(days=1)
    decisions = spark.createDataFrame([
        (D - 7 * day, "M1", "confirm"), (D - 7 * day, "M2", "reject"), (D - 7 * day, "M3", "needs_more_evidence"),
        (D, "M4", "confirm"),           # on the training date itself: not yet
        (D - 3 * day, "M5", "reject"),
    ], "run_date date, merchant_id string, decision string")
    reviewed = review_labels(decisions, D)
    assertDataFrameEqual(reviewed, spark.createDataFrame([
        ("M1", D - 7 * day, 1.0, "review_confirm"), ("M2", D - 7 * day, 0.0, "review_reject"),
        ("M5", D - 3 * day, 0.0, "review_reject"),
    ], "merchant_id string, as_of_date date, label double, label_source string"))
    enforcement = spark.createDataFrame([
        ("M2", D - 7 * day, 1.0, "snapshot"),   # a snapshot said positive; the reviewer rejected: review wins
        ("M2", D - 14 * day, 0.0, "snapshot"),  # another date: kept
        ("M6", D - 7 * day, 0.0, "snapshot"),
    ], "merchant_id string, as_of_date date, label double, label_source string")
    assertDataFrameEqual(with_review_labels(enforcement, reviewed), spark.createDataFrame([
        ("M1", D - 7 * day, 1.0, "review_confirm"), ("M2", D - 7 * day, 0.0, "review_reject"),
        ("M5", D - 3 * day, 0.0, "review_reject"), ("M2", D - 14 * day, 0.0, "snapshot"),
        ("M6", D - 7 * day, 0.0, "snapshot"),
    ], "merchant_id string, as_of_date date, label double, label_source string"))
