"""The report's inputs gathered from a small hand-built lakehouse (model validation, drift, quality results)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pipelines import report_step
from ipr_guard.quality import RESULTS_SCHEMA

D1, D2 = dt.date(2026, 10, 30), dt.date(2026, 10, 31)
MODEL = "ipr_guard_counterfeit_seller"


def _save(spark, root, layer, name, rows, schema):
    delta.create(spark.createDataFrame(rows, schema), catalog.table_path(root, f"{layer}/{name}"))


@pytest.fixture(scope="module")
def lake(spark, cfg, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("report") / "lake")
    _save(spark, root, "gold", "closure_candidates", [
        (D1, 1, "m-a", "店 A", 0.9, "close", ["r1"], MODEL, "1"), (D1, 2, "m-b", "B", 0.8, "suspend", [], MODEL, "1"),
        (D2, 1, "m-c", "C", 0.97, "close", ["r2", "r3"], MODEL, "2"), (D2, 2, "m-b", "B", 0.85, "suspend", [], MODEL, "2")],
        "run_date date, rank int, merchant_id string, store_name string, risk_score double, recommended_action string, "
        "reasons array<string>, model_name string, model_version string")
    _save(spark, root, "gold", "enforcement_kpis", [(D1, 1, 0.5, 1.0), (D2, 0, None, 0.9)],
          "kpi_date date, stores_closed bigint, proactive_before_first_sale_share double, "
          "notice_processed_within_24h_share double")
    _save(spark, root, "gold", "merchant_features", [
        (D2, "m-a", 0.12, "2"), (D2, "m-b", 0.55, "2"), (D2, "m-c", 0.97, "2"), (D2, "m-d", None, "2"),
        (D1, "m-a", 0.5, "1")], "as_of_date date, merchant_id string, score double, model_version string")
    _save(spark, root, "meta", "model_validation", [
        (MODEL, "2", 1, 0.9), (MODEL, "2", 1, 0.9), (MODEL, "2", 0, 0.9), (MODEL, "2", 0, 0.1), (MODEL, "2", 0, 0.1234),
        (MODEL, "1", 1, 0.5)], "model_name string, model_version string, label int, score double")
    _save(spark, root, "meta", "drift", [
        (D2, "run-2", MODEL, "2", "score", 0.31, 0.2, True), (D2, "run-2", MODEL, "2", "upheld_notices_30d", 0.05, 0.2,
                                                               False),
        (D2, "run-0", MODEL, "2", "score", 0.01, 0.2, False)],
        "run_date date, run_id string, model_name string, model_version string, feature string, psi double, "
        "threshold double, flagged boolean")
    results = [("run-2", "silver.orders", "expect_column_values_to_be_unique", "order_id", "critical", True, None, 10,
                0, 0.0, []),
               ("run-2", "silver.orders", "expect_column_values_to_not_be_null", "buyer_id", "warning", False, None, 10,
                2, 20.0, ["null"]),
               ("run-2", "gold.closure_candidates", "expect_table_row_count_to_be_between", None, "critical", True,
                "2", None, None, None, []),
               ("run-1", "silver.orders", "expect_column_values_to_be_unique", "order_id", "critical", False, None, 10,
                1, 10.0, ["O1"])]
    delta.create(spark.createDataFrame(results, RESULTS_SCHEMA).withColumn("run_date", F.lit(D2)),
                 catalog.table_path(root, "meta/quality_results"))
    return cfg.with_paths(lakehouse=root)


def test_report_data_reads_small_frames_of_the_run(spark, lake):
    d = report_step.report_data(spark, lake, D2, "run-2")
    assert list(d.candidates["merchant_id"]) == ["m-c", "m-b"]
    assert (d.previous_date, d.previous_ids) == (D1, frozenset({"m-a", "m-b"}))
    assert list(d.kpis["kpi_date"]) == [D1, D2]
    assert d.model == f"{MODEL} v2" and d.threshold == lake.model.operating_threshold
    assert [tuple(r) for r in d.validation[["score", "positives", "negatives"]].itertuples(index=False)] == [
        (0.1, 0, 1), (0.123, 0, 1), (0.9, 2, 1)]
    bins = {(r.group, round(r.bin, 2)): r.stores for r in d.score_bins.itertuples()}
    assert bins == {("tonight: open stores", 0.1): 1, ("tonight: open stores", 0.55): 1,
                    ("tonight: open stores", 0.95): 1, ("validation: negatives", 0.1): 2,
                    ("validation: negatives", 0.9): 1, ("validation: positives", 0.9): 2}
    assert [tuple(r) for r in d.drift.itertuples(index=False)] == [("score", 0.31, 0.2, True),
                                                                   ("upheld_notices_30d", 0.05, 0.2, False)]
    assert [tuple(r) for r in d.quality.itertuples(index=False)] == [("gold.closure_candidates", 1, 1, 0, 0),
                                                                     ("silver.orders", 2, 1, 0, 1)]
    assert d.quality_failures == ["silver.orders: expect_column_values_to_not_be_null(buyer_id) failed: "
                                  "2 unexpected of 10 (20%), e.g. null"]
    assert d.targets == {"proactive_before_first_sale_share": 0.8, "notice_processed_within_24h_share": 0.95}


def test_write_reports_writes_both_files(spark, lake, tmp_path):
    folder = report_step.write_reports(spark, lake, D2, "run-2")
    csv = Path(folder) / "closure_candidates.csv"
    text = csv.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and len(text.decode("utf-8-sig").splitlines()) == 3
    page = (csv.parent / "report.html").read_text(encoding="utf-8")
    assert page.count('class="evidence-card"') == 2 and "Drift flagged on 1 of 2 measures: score" in page
