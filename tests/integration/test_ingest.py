"""Ingest on real Spark and real Delta tables: parsing, quarantine accounting, CDC, idempotency."""
from __future__ import annotations

import datetime as dt

import pytest

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pii import pseudonym, pseudonymiser
from ipr_guard.pipelines import ingest
from ipr_guard.schema import TABLES
from tests.conftest import TEST_KEY
from tests.landing import listing, merchant, order, write_day

D1, D2, D3 = "2026-10-01", "2026-10-02", "2026-10-03"


@pytest.fixture()
def env(tmp_path, cfg):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    return landing, cfg.with_paths(str(landing), str(lake))


def _batch(spark, cfg, table, day=None):
    days = [d for d in ingest.pending_days(spark, cfg, dt.date(2026, 12, 31)) if d.table == table
            and (day is None or str(d.ingest_date) == day)]
    return ingest.read_batch(spark, cfg, TABLES[table], days, pseudonymiser(TEST_KEY.encode()))


def test_bad_records_are_quarantined_with_reasons_and_accounting_balances(spark, env):
    landing, cfg = env
    good = order("O1", "2026-10-01T10:00:00+08:00")
    write_day(landing, "orders", D1, [
        good,
        good,                                                     # exact duplicate
        {**order("O2", "2026-10-01T11:00:00Z"), "source_system": "pos"},  # unknown field: ignored
        "{not json",
        {**order("O3", "2026-10-01T10:00:00+08:00"), "amount": "12.5"},   # string where a number is expected
        {**order("O4", "2026-10-01T10:00:00+08:00"), "amount": -3},
        {k: v for k, v in order("O5", "2026-10-01T10:00:00+08:00").items() if k != "order_id"},
        {**order("O6", "2026-10-01T10:00:00+08:00"), "status": "deleted"},
        {**order("O7", "2026-10-01T10:00:00+08:00"), "buyer_id": {"raw": "secret-buyer"}},
        {**order("O8", "2026-10-01"), "created_at": "2026-10-01"},
        '{"order_id": "O9", "listing_id": "L1", "merch',           # truncated mid-line
    ])
    batch = _batch(spark, cfg, "orders")
    assert (batch.rows_read, batch.accepted, batch.quarantined, batch.duplicates) == (11, 2, 8, 1)
    reasons = {r["line_number"]: r["_reason"] for r in batch.parsed.where("_reason IS NOT NULL").collect()}
    assert reasons == {
        4: "not valid JSON (or a field given twice)",
        5: "amount: expected number, got JSON string",
        6: "amount: -3.0 is not at least 0",
        7: "missing required field order_id",
        8: "status: deleted is not one of paid, refunded, cancelled",
        9: "buyer_id: expected string, got JSON object<raw: string>",
        10: "created_at: not an ISO-8601 timestamp with an offset",
        11: "not valid JSON (or a field given twice)",
    }
    ingest.write_quarantine(spark, cfg, [batch], "run-1")
    q = delta.read(spark, catalog.table_path(cfg.lakehouse, "quarantine/records"))
    assert q.count() == 8
    row9 = q.where("line_number = 9").first()
    assert row9["source_file"] == f"orders/ingest_date={D1}/part-00000.jsonl"
    assert "secret-buyer" not in row9["raw_line"]
    assert q.where("line_number = 4").first()["raw_line"] is None  # not JSON: only the pointer is kept


def test_good_rows_are_typed_and_pii_pseudonymised(spark, env):
    landing, cfg = env
    write_day(landing, "merchants", D1, [merchant("M1")])
    batch = _batch(spark, cfg, "merchants")
    row = batch.parsed.first()
    assert row["registered_at"] == dt.datetime(2025, 12, 31, 16, 0)  # +08:00 stored as UTC
    assert row["verification_level"] == 1 and row["deposit_amount"] == 1000.0
    assert row["contact_phone"] == pseudonym(TEST_KEY.encode(), "+86 13800000000")
    assert row["bank_account"] == pseudonym(TEST_KEY.encode(), "6222000000000000")
    assert len(row["contact_email"]) == 64


def test_parquet_and_json_in_one_day(spark, env, tmp_path):
    landing, cfg = env
    write_day(landing, "listings", D1, [listing("L1", "2026-10-01T09:00:00+08:00")])
    spark.createDataFrame([listing("L2", "2026-10-01T10:00:00+08:00")]).coalesce(1).write.parquet(str(tmp_path / "pq"))
    src = next((tmp_path / "pq").glob("part-*.parquet"))
    src.rename(landing / "listings" / f"ingest_date={D1}" / "part-00001.parquet")
    batch = _batch(spark, cfg, "listings")
    assert (batch.rows_read, batch.accepted) == (2, 2)
    assert sorted(r["listing_id"] for r in batch.parsed.collect()) == ["L1", "L2"]


def test_latest_version_wins_and_older_updates_do_not(spark, env):
    landing, cfg = env
    write_day(landing, "orders", D1, [order("O1", "2026-10-01T10:00:00+08:00", "paid")])
    write_day(landing, "orders", D2, [
        order("O1", "2026-10-01T10:00:00+08:00", "refunded", updated="2026-10-02T09:00:00+08:00"),
        order("O2", "2026-10-01T10:00:00+08:00", "paid", updated="2026-10-02T09:00:00+08:00"),
    ])
    write_day(landing, "orders", D3, [
        order("O1", "2026-10-01T10:00:00+08:00", "cancelled", updated="2026-10-01T12:00:00+08:00"),  # stale
        order("O2", "2026-10-01T10:00:00+08:00", "cancelled", updated="2026-10-02T09:00:00+08:00"),  # tie: later day
    ])
    for day in (D1, D2, D3):  # one run per day, so updates also go through MERGE against stored rows
        batch = _batch(spark, cfg, "orders", day)
        ingest.write_layers(spark, cfg, batch, f"run-{day}")
    silver = {r["order_id"]: r["status"] for r in
              delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/orders")).collect()}
    assert silver == {"O1": "refunded", "O2": "cancelled"}


def test_within_one_batch_the_later_delivery_wins(spark, env):
    landing, cfg = env
    same = "2026-10-01T10:00:00+08:00"
    write_day(landing, "orders", D1, [order("O1", same, "paid")])
    write_day(landing, "orders", D2, [order("O1", same, "refunded")], name="part-00000.jsonl")
    write_day(landing, "orders", D2, [order("O1", same, "cancelled")], name="part-00001.jsonl")
    batch = _batch(spark, cfg, "orders")
    ingest.write_layers(spark, cfg, batch, "run-1")
    row = delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/orders")).first()
    assert (row["status"], row["_source_file"]) == ("cancelled", f"orders/ingest_date={D2}/part-00001.jsonl")


def test_pii_columns_have_no_file_statistics(spark, env):
    landing, cfg = env
    write_day(landing, "merchants", D1, [merchant("M1")])
    ingest.write_layers(spark, cfg, _batch(spark, cfg, "merchants"), "run-1")
    path = catalog.table_path(cfg.lakehouse, "silver/merchants")
    props = spark.sql(f"SHOW TBLPROPERTIES delta.`{path}`").collect()
    stats_cols = {r["key"]: r["value"] for r in props}.get("delta.dataSkippingStatsColumns", "")
    assert "merchant_id" in stats_cols and "bank_account" not in stats_cols
    log_text = "".join(p.read_text() for p in (landing.parent / "lake" / "silver" / "merchants" / "_delta_log")
                       .glob("*.json"))
    assert pseudonym(TEST_KEY.encode(), "6222000000000000") not in log_text



def test_huge_strings_invalid_utf8_renamed_columns_and_empty_files(spark, env):
    landing, cfg = env
    folder = landing / "listings" / f"ingest_date={D1}"
    write_day(landing, "listings", D1, [
        listing("L1", "2026-10-01T09:00:00+08:00"),
        {**listing("L2", "2026-10-01T09:00:00+08:00"), "description": "x" * (cfg.ingest.max_field_chars + 1)},
        {("listing_title" if k == "title" else k): v for k, v in listing("L3", "2026-10-01T09:00:00+08:00").items()},
    ])
    bad_utf8 = b'{"listing_id": "L4", "title": "\xff\xfe broken"}\n'
    (folder / "part-00001.jsonl").write_bytes(bad_utf8)
    (folder / "part-00002.jsonl").write_bytes(b"")  # an empty file: no rows, not an error
    batch = _batch(spark, cfg, "listings")
    assert (batch.rows_read, batch.accepted, batch.quarantined, batch.duplicates) == (4, 1, 3, 0)
    reasons = {r["source_file"].rsplit("/", 1)[1] + f":{r['line_number']}": r["_reason"]
               for r in batch.parsed.where("_reason IS NOT NULL").collect()}
    assert reasons == {
        "part-00000.jsonl:2": f"description: longer than {cfg.ingest.max_field_chars} characters",
        "part-00000.jsonl:3": "missing required field title",
        "part-00001.jsonl:1": "not valid UTF-8",
    }
    raw = {r["line_number"]: r["_raw"] for r in batch.parsed.where("_reason IS NOT NULL").collect()}
    assert len(raw[2]) == cfg.ingest.max_raw_line_chars  # the quarantine keeps a bounded copy


def test_a_negative_price_and_a_key_delivered_twice_across_days(spark, env):
    landing, cfg = env
    write_day(landing, "listings", D1, [listing("L1", "2026-10-01T09:00:00+08:00"),
                                        listing("L2", "2026-10-01T09:00:00+08:00", price=-5)])
    write_day(landing, "listings", D2, [listing("L1", "2026-10-01T09:00:00+08:00")])  # same row, next day
    batch = _batch(spark, cfg, "listings")
    assert (batch.rows_read, batch.accepted, batch.quarantined, batch.duplicates) == (3, 1, 1, 1)
    assert [r["_reason"] for r in batch.parsed.where("_reason IS NOT NULL").collect()] == \
        ["price: -5.0 is not greater than 0"]


def _complaint(cid: str, outcome: str, updated: str) -> dict:
    return {"complaint_id": cid, "source": "rights_holder", "complaint_type": "counterfeit", "brand_id": "BR1",
            "listing_id": "L1", "merchant_id": "M1", "reporter_id": "reporter-1",
            "submitted_at": "2026-10-01T08:00:00+08:00", "processed_at": None, "outcome": outcome,
            "updated_at": updated}


def test_same_day_versions_are_updates_through_bronze_and_the_silver_merge(spark, env):
    landing, cfg = env
    early, late = "2026-10-01T09:00:00+08:00", "2026-10-01T09:05:00+08:00"
    write_day(landing, "complaints", D1, [
        _complaint("C1", "pending", early), _complaint("C1", "upheld", late),    # minutes apart
        _complaint("C2", "upheld", late), _complaint("C2", "pending", early),    # the same, lines reversed
    ])
    write_day(landing, "complaints", D2, [
        _complaint("C1", "pending", early),     # a stale version again: the stored later one stays
        _complaint("C2", "rejected", late),     # equal updated_at on a later day: it wins
    ])
    for day in (D1, D2):  # one run per day, so day 2 goes through MERGE against day 1's rows
        batch = _batch(spark, cfg, "complaints", day)
        assert (batch.key_conflicts, ingest.check_feed(batch, cfg)) == (0, [])
        ingest.write_layers(spark, cfg, batch, f"run-{day}")
    bronze = delta.read(spark, catalog.table_path(cfg.lakehouse, "bronze/complaints"))
    assert bronze.count() == 6  # every version is kept in bronze
    silver = {r["complaint_id"]: (r["outcome"], str(r["_ingest_date"])) for r in
              delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/complaints")).collect()}
    assert silver == {"C1": ("upheld", D1), "C2": ("rejected", D2)}
