"""The nightly end to end on a small hand-built landing: published tables, reruns, late deliveries."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard.io import delta
from ipr_guard.pipelines import nightly
from tests.contract_check import check_outputs
from tests.landing import listing, merchant, order, write_day

D1, D2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


def build_landing(landing: Path) -> None:
    """Two days of a tiny marketplace; M2 sells fakes, M3 shares M9's bank account, M9 was closed."""
    write_day(landing, "merchants", "2026-10-01", [
        merchant("M1"), merchant("M2", phone="+86 13911111111", bank="6222111"),
        merchant("M3", phone="+86 13922222222", bank="6222999"),
        merchant("M9", phone="+86 13999999999", bank="6222999", status="closed"),
    ])
    write_day(landing, "brands", "2026-10-01", [{
        "brand_id": "BR1", "brand_name": "Nike", "rights_holder": "Nike Inc.", "category": "shoes",
        "reference_price": 1000, "aliases": ["耐克"], "updated_at": "2026-09-01T00:00:00Z"}])
    write_day(landing, "listings", "2026-10-01", [
        listing("L1", "2026-10-01T09:00:00+08:00"),
        listing("L2", "2026-10-01T09:00:00+08:00", merchant="M2", price=99, title="Nike 高仿 1:1 sneakers"),
    ])
    write_day(landing, "listings", "2026-10-02", [
        listing("L3", "2026-10-02T09:00:00+08:00", merchant="M2", price=80, title="replica Nike"),
        listing("L4", "2026-10-02T10:00:00+08:00"),
    ])
    write_day(landing, "orders", "2026-10-01", [order("O1", "2026-10-01T10:00:00+08:00", listing="L1")])
    write_day(landing, "orders", "2026-10-02", [
        order("O2", "2026-10-02T10:00:00+08:00", listing="L2", merchant="M2", buyer="buyer-0002"),
        order("O3", "2026-10-02T11:00:00+08:00", listing="L4", status="cancelled", buyer="buyer-0003"),
    ])
    write_day(landing, "takedowns", "2026-10-02", [
        {"takedown_id": "T1", "listing_id": "L2", "merchant_id": "M2", "origin": "proactive", "complaint_id": None,
         "reason": "counterfeit", "taken_down_at": "2026-10-02T09:00:00+08:00"},   # before O2: before first sale
        {"takedown_id": "T2", "listing_id": "L1", "merchant_id": "M1", "origin": "proactive", "complaint_id": None,
         "reason": "counterfeit", "taken_down_at": "2026-10-02T12:00:00+08:00"},   # after O1: not
    ])
    write_day(landing, "complaints", "2026-10-02", [
        {"complaint_id": "C1", "source": "rights_holder", "complaint_type": "counterfeit", "brand_id": "BR1",
         "listing_id": "L2", "merchant_id": "M2", "reporter_id": "reporter-77",
         "submitted_at": "2026-10-01T09:00:00+08:00", "processed_at": "2026-10-02T09:00:00+08:00",
         "outcome": "upheld", "updated_at": "2026-10-02T09:00:00+08:00"}])
    write_day(landing, "test_buys", "2026-10-02", [
        {"test_buy_id": "TB1", "listing_id": "L2", "merchant_id": "M2", "brand_id": "BR1",
         "purchased_at": "2026-09-20T10:00:00+08:00", "verdict": "counterfeit",
         "verdict_at": "2026-10-02T08:00:00+08:00"}])
    write_day(landing, "enforcement_actions", "2026-10-01", [
        {"action_id": "A1", "merchant_id": "M9", "action": "closure", "reason": "counterfeit",
         "decided_at": "2026-10-01T10:00:00+08:00", "reversed": False, "updated_at": "2026-10-01T10:00:00+08:00"}])


@pytest.fixture()
def lake(tmp_path, cfg, hmac_key):
    landing = tmp_path / "landing"
    build_landing(landing)
    return cfg.with_paths(str(landing), str(tmp_path / "lake"))


def _gold(spark, cfg, name):
    return delta.read(spark, delta.table_path(cfg.lakehouse, "gold", name))


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


def test_rerun_changes_nothing_and_late_day_is_taken_in(spark, lake):
    nightly.run(spark, lake, D2)
    versions = {n: delta.version(spark, delta.table_path(lake.lakehouse, "gold", n))
                for n in ("closure_candidates", "listing_risk", "enforcement_kpis")}
    silver_v = delta.version(spark, delta.table_path(lake.lakehouse, "silver", "orders"))
    again = nightly.run(spark, lake, D2)
    assert again.status.startswith("already published")
    assert versions == {n: delta.version(spark, delta.table_path(lake.lakehouse, "gold", n)) for n in versions}
    assert delta.version(spark, delta.table_path(lake.lakehouse, "silver", "orders")) == silver_v

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
