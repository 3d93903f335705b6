"""Privacy requests on a published lakehouse: erasure (then VACUUM), analytics opt-out, affiliate views."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pii import pseudonym
from ipr_guard.pii import pseudonymiser
from ipr_guard.pipelines import ingest, nightly
from ipr_guard.privacy.erasure import apply_erasures, erasure_subjects, retention_properties, vacuum_after_erasure
from ipr_guard.privacy.opt_out import exclude_opted_out, opted_out
from ipr_guard.config import parse_sharing
from ipr_guard.privacy.sharing import publish_views, view_sql
from ipr_guard.schema import TABLES
from ipr_guard.transforms.kpis import enforcement_kpis
from tests.conftest import TEST_KEY
from tests.landing import D2, build_landing
from tests.landing import merchant, order, write_day
from tests.pii_scan import find_raw_values

KEY = TEST_KEY.encode()
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
MERCHANT_PII = TABLES["merchants"].pii_fields


def _requests() -> list[dict]:
    def req(rid, stype, sid, rtype, at):
        return {"request_id": rid, "subject_type": stype, "subject_id": sid, "request_type": rtype, "received_at": at}
    return [
        req("PR1", "buyer", "buyer-0002", "erasure", "2026-10-02T20:00:00+08:00"),
        req("PR2", "merchant", "M3", "erasure", "2026-10-02T21:00:00+08:00"),
        req("PR3", "buyer", "buyer-0003", "opt_out_analytics", "2026-10-02T10:00:00+08:00"),
        # 16:30 UTC on Oct 2 but Oct 3 in Shanghai: not yet an erasure for D2.
        req("PR4", "buyer", "buyer-0001", "erasure", "2026-10-03T00:30:00+08:00"),
    ]


@pytest.fixture(scope="module")
def published(spark, cfg, tmp_path_factory) -> Path:
    """One nightly for D2 over test_nightly's landing plus privacy requests and bad records with PII.

    Built once per module (a nightly takes a while); each test works on its own copy.
    """
    root = tmp_path_factory.mktemp("privacy_requests")
    landing = root / "landing"
    build_landing(landing)
    # Bad records (quantity 0, verification level 9) that still hold the subjects' pseudonyms in raw_line.
    bad_order = order("O9", "2026-10-02T12:00:00+08:00", buyer="buyer-0002")
    write_day(landing, "orders", "2026-10-02", [{**bad_order, "quantity": 0}], name="part-00001.jsonl")
    bad_m3 = merchant("M3", phone="+86 13922222222", bank="6222999")
    write_day(landing, "merchants", "2026-10-01", [{**bad_m3, "verification_level": 9}], name="part-00001.jsonl")
    lake_cfg = cfg.with_paths(str(landing), str(root / "lake"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IPR_GUARD_HMAC_KEY", TEST_KEY)
        result = nightly.run(spark, lake_cfg, D2)
    assert result.status == "published"
    assert result.accounting["orders"]["quarantined"] == 1 and result.accounting["merchants"]["quarantined"] == 1
    # The requests are taken into bronze/silver only (the nightly would apply them itself, which
    # test_the_nightly_applies_erasures checks); the tests below apply them step by step.
    write_day(landing, "privacy_requests", "2026-10-02", _requests())
    days = [d for d in ingest.pending_days(spark, lake_cfg, D2) if d.table == "privacy_requests"]
    batch = ingest.read_batch(spark, lake_cfg, TABLES["privacy_requests"], days, pseudonymiser(KEY))
    ingest.write_layers(spark, lake_cfg, batch, "requests-only")
    return root / "lake"


@pytest.mark.slow
def test_the_nightly_applies_erasures(spark, cfg, published, lake, hmac_key):
    result = nightly.run(spark, cfg.with_paths(str(published.parent / "landing"), str(lake)), D2)
    assert result.status == "published" and result.erasures == 2
    audit = delta.read(spark, catalog.table_path(str(lake), "meta/erasure_audit"))
    assert sorted(r["request_id"] for r in audit.collect()) == ["PR1", "PR2"]
    orders = {r["order_id"]: r["buyer_id"] for r in _t(spark, lake, "silver", "orders").collect()}
    assert orders["O2"] is None and orders["O3"] == pseudonym(KEY, "buyer-0003")


@pytest.fixture()
def lake(published, tmp_path) -> Path:
    # Path-based Delta tables use relative file paths, so a copy is a lakehouse of its own.
    return Path(shutil.copytree(published, tmp_path / "lake"))


def _t(spark, lake, layer, name):
    return delta.read(spark, catalog.table_path(str(lake), f"{layer}/{name}"))


def _subjects(spark, lake, tz):
    return erasure_subjects(_t(spark, lake, "silver", "privacy_requests"), D2, tz)


def _vacuum_all(spark, lake) -> list[str]:
    old = spark.conf.get(RETENTION_CHECK, None)
    spark.conf.set(RETENTION_CHECK, "false")  # retention 0 is below Delta's default safety margin
    try:
        return vacuum_after_erasure(spark, str(lake), 0, listing_parallelism=2)
    finally:
        if old is None:
            spark.conf.unset(RETENTION_CHECK)
        else:
            spark.conf.set(RETENTION_CHECK, old)


@pytest.mark.slow
def test_buyer_erasure_then_vacuum_leaves_no_pseudonym_anywhere(spark, cfg, lake):
    p = pseudonym(KEY, "buyer-0002")
    assert find_raw_values(lake, {p}), "the pseudonym must be there to start with"
    kpis_before = _t(spark, lake, "gold", "enforcement_kpis").collect()
    subjects = _subjects(spark, lake, cfg.timezone)
    assert sorted(r["request_id"] for r in subjects.collect()) == ["PR1", "PR2"]  # PR4 is Oct 3 in Shanghai

    audit = apply_erasures(spark, str(lake), subjects.where(F.col("request_id") == "PR1"), "run-x", erased_on=D2)
    assert audit == [{"request_id": "PR1", "subject_type": "buyer", "rows_updated": 5, "run_id": "run-x",
                      "erased_on": D2, "tables_touched": [
                          "bronze/orders", "bronze/privacy_requests", "quarantine/records", "silver/orders",
                          "silver/privacy_requests"]}]
    # Rows are kept, personal data is gone; the other buyer is untouched.
    orders = {r["order_id"]: r["buyer_id"] for r in _t(spark, lake, "silver", "orders").collect()}
    assert set(orders) == {"O1", "O2", "O3"} and orders["O2"] is None
    assert orders["O3"] == pseudonym(KEY, "buyer-0003")
    q = _t(spark, lake, "quarantine", "records").where(F.col("table") == "orders").first()
    assert q["raw_line"] is None and q["line_number"] == 1
    prs = {r["request_id"]: r["subject_id"] for r in _t(spark, lake, "silver", "privacy_requests").collect()}
    assert prs["PR1"] is None and prs["PR2"] == "M3"

    # Before VACUUM the replaced files still hold it (so the scan below can fail), and only data files:
    # the commits name columns, never the value.
    before = find_raw_values(lake, {p})
    assert before and all(f.endswith(".parquet") and "_delta_log" not in f for f, _ in before), before

    vacuumed = _vacuum_all(spark, lake)
    assert {"bronze/orders", "silver/orders", "quarantine/records", "meta/erasure_audit"} <= {
        "/".join(v.rstrip("/").split("/")[-2:]) for v in vacuumed}
    assert find_raw_values(lake, {p, "buyer-0002"}) == []

    # KPIs: unchanged, and recomputing them from the erased silver tables gives the same numbers.
    kpis = _t(spark, lake, "gold", "enforcement_kpis")
    assert sorted(kpis.collect()) == sorted(kpis_before)
    s = {n: _t(spark, lake, "silver", n) for n in ("takedowns", "orders", "complaints", "enforcement_actions")}
    again = enforcement_kpis(kpis.select("kpi_date"), s["takedowns"], s["orders"], s["complaints"],
                             s["enforcement_actions"], cfg.timezone)
    assertDataFrameEqual(again, kpis.select(*again.columns))

    # The audit: the request id, no personal data; a rerun is harmless and writes nothing.
    audit_path = catalog.table_path(str(lake), "meta/erasure_audit")
    assert [r["request_id"] for r in delta.read(spark, audit_path).collect()] == ["PR1"]
    versions = {n: delta.version(spark, catalog.table_path(str(lake), f"silver/{n}"))
                for n in ("orders", "privacy_requests")}
    assert apply_erasures(spark, str(lake), subjects.where(F.col("request_id") == "PR1"), "run-y") == []
    assert versions == {n: delta.version(spark, catalog.table_path(str(lake), f"silver/{n}")) for n in versions}
    assert delta.read(spark, audit_path).count() == 1


@pytest.mark.slow
def test_merchant_erasure_nulls_its_pii_in_bronze_silver_and_quarantine(spark, cfg, lake):
    audit = apply_erasures(spark, str(lake), _subjects(spark, lake, cfg.timezone), "run-x", erased_on=D2)
    by_id = {a["request_id"]: a for a in audit}
    assert set(by_id) == {"PR1", "PR2"}
    assert by_id["PR2"]["tables_touched"] == ["bronze/merchants", "quarantine/records", "silver/merchants"]
    assert by_id["PR2"]["rows_updated"] == 3
    for layer in ("bronze", "silver"):
        rows = {r["merchant_id"]: r for r in _t(spark, lake, layer, "merchants").collect()}
        assert all(rows["M3"][c] is None for c in MERCHANT_PII), (layer, rows["M3"])
        assert rows["M3"]["store_name"] == "店铺 M3" and rows["M3"]["status"] == "active"  # row kept
        assert all(rows["M2"][c] is not None for c in MERCHANT_PII)  # nobody else touched
    q = _t(spark, lake, "quarantine", "records").where(F.col("table") == "merchants").collect()
    assert len(q) == 1 and q[0]["raw_line"] is None
    # A merchant id is not personal data: the request keeps it.
    pr2 = _t(spark, lake, "silver", "privacy_requests").where(F.col("request_id") == "PR2").first()
    assert pr2["subject_id"] == "M3"

    _vacuum_all(spark, lake)
    own = {pseudonym(KEY, v) for v in ("+86 13922222222", "m3@example.cn", "ID-M3-998877", "Person M3")}
    assert find_raw_values(lake, own) == []
    # M3's bank account is also M9's (a closed store): that copy is M9's data and stays.
    assert find_raw_values(lake / "silver" / "merchants", {pseudonym(KEY, "6222999")})


def test_opt_out_excludes_the_subjects_rows(spark):
    requests = spark.createDataFrame([
        ("R1", "buyer", "b1", "opt_out_analytics", "2026-10-02T15:30:00Z"),   # 23:30 on D2 in Shanghai
        ("R2", "buyer", "b2", "opt_out_analytics", "2026-10-02T16:30:00Z"),   # 00:30 on D2 + 1 in Shanghai
        ("R3", "merchant", "b3", "opt_out_analytics", "2026-10-01T00:00:00Z"),  # another subject type
        ("R4", "buyer", "b4", "erasure", "2026-10-01T00:00:00Z"),             # not an opt-out
        ("R5", "buyer", None, "opt_out_analytics", "2026-10-01T00:00:00Z"),   # erased subject id
    ], "request_id string, subject_type string, subject_id string, request_type string, received_at string"
    ).withColumn("received_at", F.to_timestamp("received_at"))
    opted = opted_out(requests, D2, "Asia/Shanghai", "buyer")
    assertDataFrameEqual(opted, [Row(subject_id="b1")])

    schema = "order_id string, buyer_id string, amount double"
    orders = spark.createDataFrame([("O1", "b1", 1.0), ("O2", "b2", 2.0), ("O3", "b3", 3.0), ("O4", None, 4.0),
                                    ("O5", "b1", 5.0)], schema)
    expected = spark.createDataFrame([("O2", "b2", 2.0), ("O3", "b3", 3.0), ("O4", None, 4.0)], schema)
    assertDataFrameEqual(exclude_opted_out(orders, "buyer_id", opted), expected)
    with pytest.raises(ValueError, match="seller"):
        opted_out(requests, D2, "Asia/Shanghai", "seller")


GRANTS = {
    "risk_bands": {"high": 0.9, "medium": 0.8, "low": 0.0},
    "affiliates": {
        "logistics": {"closure_candidates": ["merchant_id", "recommended_action", "risk_band"]},
        "payments": {"enforcement_kpis": ["kpi_date", "stores_closed"]},
    },
}


def test_affiliate_views_show_only_granted_columns_and_log_every_access(spark, tmp_path):
    lake = str(tmp_path / "lake")
    gold = spark.createDataFrame([
        (D2, "M2", "店铺 M2", 0.95, "close", ["a counterfeit test buy"]),
        (D2, "M3", "店铺 M3", 0.85, "suspend", ["shares a bank account with store M9"]),
        (D2, "M4", "店铺 M4", 0.5, "review", ["3 upheld notices"]),
    ], "run_date date, merchant_id string, store_name string, risk_score double, recommended_action string, "
       "reasons array<string>")
    gold.write.format("delta").save(catalog.table_path(lake, "gold/closure_candidates"))
    grants = parse_sharing(GRANTS)

    assert publish_views(spark, lake, "logistics", grants, "run-x") == ["logistics__closure_candidates"]
    view = spark.table("logistics__closure_candidates")
    assert view.columns == ["merchant_id", "recommended_action", "risk_band"]
    assertDataFrameEqual(view, [Row(merchant_id="M2", recommended_action="close", risk_band="high"),
                                Row(merchant_id="M3", recommended_action="suspend", risk_band="medium"),
                                Row(merchant_id="M4", recommended_action="review", risk_band="low")])
    # A view, not a copy: the gold folder is the only place with data files, besides the access log.
    assert not (tmp_path / "lake" / "logistics__closure_candidates").exists()

    with pytest.raises(PermissionError, match="'nobody' is granted no gold table") as none_err:
        publish_views(spark, lake, "nobody", grants, "run-x")
    with pytest.raises(PermissionError, match="not granted gold table 'listing_risk'") as table_err:
        view_sql(lake, "logistics", "listing_risk", grants)
    assert "\n" not in str(none_err.value) and "\n" not in str(table_err.value)

    log = {(r["table"], tuple(r["columns"]), r["granted"], r["run_id"])
           for r in delta.read(spark, catalog.table_path(lake, "meta/share_access_log")).collect()}
    assert log == {
        ("closure_candidates", ("merchant_id", "recommended_action", "risk_band"), True, "run-x"),
        (None, (), False, "run-x"),
    }


def test_sharing_config_rejects_an_unknown_gold_table():
    with pytest.raises(ValueError, match="closure_candidatez"):
        parse_sharing({"affiliates": {"logistics": {"closure_candidatez": ["merchant_id"]}}})
    with pytest.raises(ValueError, match="risk_band"):
        parse_sharing({"affiliates": {"payments": {"enforcement_kpis": ["kpi_date", "risk_band"]}}})
    assert parse_sharing(None).affiliates == {}


def test_retention_properties_let_vacuum_pass_the_safety_check(spark, tmp_path):
    lake = str(tmp_path / "lake")
    path = f"{lake}/meta/tiny"  # a table outside the catalog: vacuum_after_erasure finds every table
    assert retention_properties(24) == {"delta.logRetentionDuration": "interval 24 hours",
                                        "delta.deletedFileRetentionDuration": "interval 24 hours"}
    # Created as the pipelines create tables: with the erasure window's retention as table properties.
    delta.create(spark.range(3), path, retention_properties(24))
    props = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES delta.`{path}`").collect()}
    assert {k: props.get(k) for k in retention_properties(24)} == retention_properties(24)
    # 24 hours is below Delta's default 168, but not below the table's own retention: allowed as it is.
    assert spark.conf.get(RETENTION_CHECK, "true") == "true"
    assert vacuum_after_erasure(spark, lake, 24, listing_parallelism=2) == [path]
    with pytest.raises(ValueError):
        retention_properties(-1)
