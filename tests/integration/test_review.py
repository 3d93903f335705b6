"""Reviewers' decisions end to end: export, decide, import, next training, next list; and a bad file."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.cli import main
from ipr_guard.errors import InputError
from ipr_guard.generate.marketplace import generate_marketplace
from ipr_guard.io import delta
from ipr_guard.pipelines import model_step, nightly, publish, review
from tests.conftest import TEST_KEY

HEADER = "merchant_id,decision,reviewer,note"


def _pseudonym(value: str) -> str:
    return hmac.new(TEST_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _return_file(spark, lake, run_date: dt.date, decisions: dict[str, tuple[str, str, str]], path: Path) -> None:
    """The exported CSV with the decision columns filled in (from gold if the export lacks them)."""
    exported = Path(lake.lakehouse) / "reports" / str(run_date) / "closure_candidates.csv"
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"), newline="")))
    if not rows or "decision" not in rows[0]:
        gold = delta.read(spark, catalog.table_path(lake.lakehouse, "gold/closure_candidates"))
        rows = [{"merchant_id": r["merchant_id"], "rank": str(r["rank"])} for r in
                gold.where(F.col("run_date") == F.lit(run_date)).orderBy("rank").collect()]
    columns = list(rows[0]) + [c for c in ("decision", "reviewer", "note") if c not in rows[0]]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        decision, reviewer, note = decisions.get(row["merchant_id"], ("", "", ""))
        writer.writerow({**row, "decision": decision, "reviewer": reviewer, "note": note})
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


@pytest.mark.slow
def test_decisions_round_trip_into_training_and_the_next_list(spark, cfg, tmp_path, hmac_key):
    summary = generate_marketplace(tmp_path / "market", stores=60, days=10, seed=11)
    d1 = summary.end_date                      # 2026-10-31
    d = d1 - dt.timedelta(days=1)              # 2026-10-30
    lake = cfg.with_paths(str(tmp_path / "market" / "landing"), str(tmp_path / "lake"))
    assert nightly.run(spark, lake, d).status == "published"
    cand = [r["merchant_id"] for r in delta.read(spark, catalog.table_path(lake.lakehouse, "gold/closure_candidates"))
            .orderBy("rank").collect()]
    # Seed 11's list for 2026-10-30 (read once from the published table and its sources, fixed here).
    assert cand == ["M1000059", "M1000012", "M1000020", "M1000055"]

    # A bad file first: every problem listed, nothing written.
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nM1000059,confirm,Li Wei,\nM1000012,close,Li Wei,\nM1000059,reject,Li Wei,\n"
                   "M9999999,reject,Li Wei,\nM1000001,reject,,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        review.run_import(spark, lake, str(bad), d)
    lines = str(err.value).splitlines()
    assert lines[0] == f"5 problems in {bad}; nothing was imported"
    assert [x.strip() for x in lines[1:]] == [
        "line 3: decision 'close' is not one of confirm, reject, needs_more_evidence",
        "line 4: store M1000059 appears again (first on line 2)",
        "line 5: unknown store M9999999 (not in silver merchants)",
        "line 6: reviewer is empty",
        "line 6: store M1000001 was not a closure candidate on 2026-10-30",
    ]
    assert not delta.exists(spark, review.decisions_path(lake))

    # Decide on the exported list: confirm the first, reject the second, ask for more on the third; the
    # fourth is first left unreviewed, then rejected in a second file.
    good = tmp_path / "decided.csv"
    _return_file(spark, lake, d, {"M1000059": ("confirm", "Li Wei", "same bank account as a closed store"),
                                  "M1000012": ("reject", "Zhang Min", "grey import, notices are abusive " + "x" * 600),
                                  "M1000020": ("needs_more_evidence", "Li Wei", "")}, good)
    result = review.run_import(spark, lake, str(good), d)
    assert result.summary().splitlines()[0] == (
        f"imported 3 decisions on the closure candidates of {d} (confirm 1, reject 1, needs_more_evidence 1), "
        f"skipped 1 unreviewed rows (import {result.import_id})")
    table = delta.read(spark, review.decisions_path(lake))
    got = {r["merchant_id"]: r for r in table.collect()}
    assert sorted(got) == ["M1000012", "M1000020", "M1000059"]
    assert [(got[m]["run_date"], got[m]["decision"], got[m]["reviewer"]) for m in sorted(got)] == [
        (d, "reject", _pseudonym("Zhang Min")), (d, "needs_more_evidence", _pseudonym("Li Wei")),
        (d, "confirm", _pseudonym("Li Wei"))]
    assert len(got["M1000012"]["note"]) == 500 and got["M1000020"]["note"] is None
    assert got["M1000012"]["file_sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    evidence = ("counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "reused_image_listings",
                "rules_fired")
    assert [got["M1000059"][c] for c in evidence] == [0, 0, 1, 0, ["shared_identity"]]
    assert [got["M1000012"][c] for c in evidence] == [0, 3, 0, 0, ["upheld_notices"]]
    assert "Zhang Min" not in str(table.collect()) and "Li Wei" not in str(table.collect())

    # The same file again changes nothing; no duplicate rows.
    again = review.run_import(spark, lake, str(good), d)
    table = delta.read(spark, review.decisions_path(lake))  # a read DataFrame keeps the version it read
    assert again.unchanged == 3 and again.replaced == [] and table.count() == 3
    assert {r["merchant_id"]: r["import_id"] for r in table.collect()} == {m: result.import_id for m in got}

    # A second file: the fourth store rejected, the third now rejected too.
    later = tmp_path / "later.csv"
    later.write_text(f"{HEADER}\nM1000055,reject,Zhang Min,\nM1000020,reject,Li Wei,notices withdrawn\n",
                     encoding="utf-8")
    second = review.run_import(spark, lake, str(later), d)
    assert second.replaced == ["M1000020"] and second.skipped == 0
    assert second.summary().splitlines()[1] == "  replaced the earlier decision for 1 stores: M1000020"
    got = {r["merchant_id"]: r for r in delta.read(spark, review.decisions_path(lake)).collect()}
    assert {m: r["decision"] for m, r in got.items()} == {
        "M1000059": "confirm", "M1000012": "reject", "M1000020": "reject", "M1000055": "reject"}

    # The next training: the confirmed store is a positive, the rejected one a negative, as of d.
    s = model_step.silver_inputs(spark, lake, d1)
    examples = model_step.training_examples(spark, lake, s, d1, publish.first_delivery_day(spark, lake, {}, d1))
    labels = {(r["merchant_id"], r["as_of_date"]): r["label"] for r in examples.collect()}
    # Ten delivery days are under the 14-day warm-up: no enforcement labels, only the reviewers'.
    assert labels == {("M1000059", d): 1.0, ("M1000012", d): 0.0, ("M1000020", d): 0.0, ("M1000055", d): 0.0}

    # The next list (one positive: too few to train, policy rules only). Without the decisions it would be
    # M1000059, M1000012, M1000020, M1000055 (seed 11 on 2026-10-31). M1000020 (rejected with 10 upheld
    # notices, now 9) and M1000055 (still 5) are left off; M1000012 (rejected with 3, now 4) has new
    # evidence and stays.
    assert nightly.run(spark, lake, d1).status == "published"
    nxt = [(r["merchant_id"], r["rank"], r["upheld_notices_30d"]) for r in
           delta.read(spark, catalog.table_path(lake.lakehouse, "gold/closure_candidates"))
           .where(F.col("run_date") == F.lit(d1)).orderBy("rank").collect()]
    assert nxt == [("M1000059", 1, 0), ("M1000012", 2, 4)]


def _tiny_lakehouse(spark, root: Path, run_date: dt.date) -> str:
    """A lakehouse holding only what an import reads: silver merchants, one published candidate list."""
    lake = str(root / "lake")
    delta.create(spark.createDataFrame([("M1",), ("M2",), ("M3",)], "merchant_id string"),
                 catalog.table_path(lake, "silver/merchants"))
    delta.create(spark.createDataFrame(
        [(run_date, "M1", 1, 1, 0, 0, 0, 1, 2, ["counterfeit_test_buy"])],
        "run_date date, merchant_id string, rank int, counterfeit_test_buys bigint, upheld_notices_30d bigint, "
        "linked_closed_stores bigint, reused_image_listings bigint, low_price_listings bigint, "
        "branded_listings bigint, rules_fired array<string>"), catalog.table_path(lake, "gold/closure_candidates"))
    delta.create(spark.createDataFrame([("r1", run_date, "published")], "run_id string, run_date date, status string"),
                 catalog.table_path(lake, "meta/runs"))
    return lake


def test_cli_bad_file_exits_3_and_writes_nothing(spark, tmp_path, hmac_key, capsys):
    d = dt.date(2026, 10, 30)
    lake = _tiny_lakehouse(spark, tmp_path, d)
    bad = tmp_path / "bad.csv"
    bad.write_text("merchant_id,decision,reviewer\nM1,maybe,Li Wei\nM2,reject,Li Wei\nM7,confirm,Li Wei\n",
                   encoding="utf-8")
    code = main(["review", "import", str(bad), "--date", str(d), "--lakehouse", lake])
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("ipr-guard: error:")]
    assert code == 3 and errors == [f"ipr-guard: error: 4 problems in {bad}; nothing was imported"]
    assert [x.strip() for x in err[err.index(errors[0]) + 1:]] == [
        "line 1: missing required column note (header: merchant_id, decision, reviewer)",
        "line 2: decision 'maybe' is not one of confirm, reject, needs_more_evidence",
        "line 3: store M2 was not a closure candidate on 2026-10-30",
        "line 4: unknown store M7 (not in silver merchants)",
    ]
    assert not delta.exists(spark, catalog.table_path(lake, "meta/review_decisions"))

    # No list published for the date: one clear line.
    code = main(["review", "import", str(bad), "--date", "2026-10-29", "--lakehouse", lake])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and [line for line in err if "error" in line] == [
        f"ipr-guard: error: no closure candidates were published for 2026-10-29 in {lake}; "
        "run the nightly for 2026-10-29 first"]
