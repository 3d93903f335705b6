"""The nightly end to end on a small hand-built landing: published tables, reruns, late deliveries."""
from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pipelines import nightly
from tests.catalog_check import catalog_mismatches
from tests.contract_check import check_outputs
from tests.landing import D1, D2, build_landing, write_day

@pytest.fixture()
def lake(tmp_path, cfg, hmac_key):
    landing = tmp_path / "landing"
    build_landing(landing)
    return cfg.with_paths(str(landing), str(tmp_path / "lake"))


def _gold(spark, cfg, name):
    return delta.read(spark, catalog.table_path(cfg.lakehouse, f"gold/{name}"))


def test_nightly_publishes_kpis_candidates_and_files(spark, lake):
    result = nightly.run(spark, lake, D2)
    assert result.status == "published"
    kpis = {r["kpi_date"]: r.asDict() for r in _gold(spark, lake, "enforcement_kpis").collect()}
    assert sorted(kpis) == [D1, D2]
    assert (kpis[D1]["stores_closed"], kpis[D1]["notice_requests"], kpis[D1]["notice_processed_within_24h"]) == (1, 1, 1)
    assert kpis[D1]["notice_processed_within_24h_share"] == 1.0
    assert (kpis[D2]["proactive_takedowns"], kpis[D2]["proactive_before_first_sale"]) == (2, 1)
    assert kpis[D2]["proactive_before_first_sale_share"] == 0.5
    assert kpis[D2]["notice_requests"] == 0 and kpis[D2]["notice_processed_within_24h_share"] is None

    cand = {r["merchant_id"]: r for r in _gold(spark, lake, "closure_candidates").collect()}
    assert set(cand) == {"M2", "M3"}  # M9 is closed: never listed
    assert cand["M2"]["rules_fired"] == ["counterfeit_test_buy"] and cand["M2"]["rank"] == 1
    assert cand["M3"]["rules_fired"] == ["shared_identity"]
    assert any("M9" in r for r in cand["M3"]["reasons"])

    risk = {r["listing_id"] for r in _gold(spark, lake, "listing_risk").collect()}
    assert risk == {"L3", "L4"}  # created on D2 and unsold (L4's only order was cancelled)

    folder = Path(lake.lakehouse) / "reports" / str(D2)
    csv = (folder / "closure_candidates.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "店铺 M2".encode() in csv
    assert (folder / "report.html").exists()
    code, output = check_outputs(lake.lakehouse)
    assert code == 0 and "0 finding(s)" in output, output
    assert catalog_mismatches(spark, lake.lakehouse) == []


def test_rerun_changes_nothing_and_late_day_is_taken_in(spark, lake):
    nightly.run(spark, lake, D2)
    versions = {n: delta.version(spark, catalog.table_path(lake.lakehouse, f"gold/{n}"))
                for n in ("closure_candidates", "listing_risk", "enforcement_kpis")}
    silver_v = delta.version(spark, catalog.table_path(lake.lakehouse, "silver/orders"))
    again = nightly.run(spark, lake, D2)
    assert again.status.startswith("already published")
    assert versions == {n: delta.version(spark, catalog.table_path(lake.lakehouse, f"gold/{n}")) for n in versions}
    assert delta.version(spark, catalog.table_path(lake.lakehouse, "silver/orders")) == silver_v

    # A late file for an old day: the next run takes it in and the day's KPI is recomputed.
    write_day(Path(lake.landing), "complaints", "2026-10-01", [
        {"complaint_id": "C2", "source": "rights_holder", "complaint_type": "trademark", "merchant_id": "M1",
         "reporter_id": "reporter-78", "submitted_at": "2026-10-01T11:00:00+08:00",
         "processed_at": "2026-10-02T11:00:01+08:00", "outcome": "rejected",
         "updated_at": "2026-10-02T11:00:01+08:00"}], name="part-00001.jsonl")
    late = nightly.run(spark, lake, D2)
    assert late.status == "published" and late.accounting["complaints"]["accepted"] == 1
    k = _gold(spark, lake, "enforcement_kpis").where(F.col("kpi_date") == D1).first()
    assert (k["notice_requests"], k["notice_processed_within_24h"]) == (2, 1)
    assert _gold(spark, lake, "enforcement_kpis").count() == 2
