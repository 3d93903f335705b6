"""Broken feeds and failing expectations stop the publish with a readable message; gold stays as it was."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from ipr_guard import catalog
from ipr_guard.errors import GateError
from ipr_guard.io import delta
from ipr_guard.pipelines import nightly
from ipr_guard.quality import default_folder
from tests.landing import listing, order, write_day

GOLD = ("closure_candidates", "listing_risk", "enforcement_kpis")
DAY4 = dt.date(2026, 10, 4)


def _orders(day: str, n: int, start: int = 0) -> list[dict]:
    return [order(f"O{day}-{i}", f"{day}T10:00:00+08:00", listing=f"L{i % 7}", buyer=f"buyer-{i:05d}")
            for i in range(start, start + n)]


def _listings(day: str, n: int) -> list[dict]:
    return [listing(f"L{day}-{i}", f"{day}T09:00:00+08:00") for i in range(n)]


@pytest.fixture(scope="module")
def published(spark, cfg, tmp_path_factory):
    """Three clean days of 200 orders and 20 listings, published for the third."""
    root = tmp_path_factory.mktemp("gates")
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        write_day(root / "landing", "orders", day, _orders(day, 200))
        write_day(root / "landing", "listings", day, _listings(day, 20))
    mp = pytest.MonkeyPatch()
    mp.setenv("IPR_GUARD_HMAC_KEY", "test-hmac-key-0123456789abcdef")
    nightly.run(spark, cfg.with_paths(str(root / "landing"), str(root / "lake")), dt.date(2026, 10, 3))
    mp.undo()
    return root


@pytest.fixture()
def copy(published, tmp_path, cfg):
    """A private copy of the published landing and lakehouse (Delta paths in the log are relative)."""
    shutil.copytree(published / "landing", tmp_path / "landing")
    shutil.copytree(published / "lake", tmp_path / "lake")
    return tmp_path, cfg.with_paths(str(tmp_path / "landing"), str(tmp_path / "lake"))


def _versions(spark, lake: Path) -> dict:
    return {n: delta.version(spark, catalog.table_path(str(lake), f"gold/{n}")) for n in GOLD}


def _expect_stop(spark, cfg, root: Path, *fragments: str) -> str:
    before = _versions(spark, root / "lake")
    with pytest.raises(GateError) as exc:
        nightly.run(spark, cfg, DAY4)
    message = str(exc.value)
    assert "\n" not in message and "nothing published" in message
    for fragment in fragments:
        assert fragment in message, message
    assert _versions(spark, root / "lake") == before
    return message


def test_wrong_types_in_5_percent_of_rows(spark, copy, hmac_key):
    root, cfg = copy
    rows = _orders("2026-10-04", 200)
    for r in rows[:10]:
        r["amount"] = str(r["amount"])  # a string where a number is expected: never coerced
    write_day(root / "landing", "orders", "2026-10-04", rows)
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    _expect_stop(spark, cfg, root, "orders: 10 bad records of 200 rows read (5.0%, limit 1.0%)",
                 "bad_record_share")


def test_a_day_with_90_percent_of_rows_missing(spark, copy, hmac_key):
    root, cfg = copy
    write_day(root / "landing", "orders", "2026-10-04", _orders("2026-10-04", 20))
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    _expect_stop(spark, cfg, root, "orders: delivery day 2026-10-04 has 20 rows, 10% of its trailing 3-day "
                                   "average 200", "daily_volume")


def test_duplicated_keys(spark, copy, hmac_key):
    root, cfg = copy
    rows = _orders("2026-10-04", 180)
    rows += [{**r, "status": "refunded"} for r in rows[:20]]  # same keys and updated_at, other content, same day
    # Same-day updates with a later updated_at are change-data-capture, not conflicts: not counted.
    rows += [{**r, "status": "cancelled", "updated_at": "2026-10-04T18:00:00+08:00"} for r in rows[20:60]]
    write_day(root / "landing", "orders", "2026-10-04", rows)
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    _expect_stop(spark, cfg, root, "orders: 40 rows share their key with other content at the same updated_at "
                                   "on the same delivery day (16.7%, limit 1.0%); worst day 2026-10-04 with 40",
                 "duplicate_keys")


def test_a_missing_daily_feed_day(spark, copy, hmac_key):
    root, cfg = copy
    write_day(root / "landing", "orders", "2026-10-04", _orders("2026-10-04", 200))
    _expect_stop(spark, cfg, root, "listings: delivery day 2026-10-04 is missing or empty")


def test_a_failing_critical_expectation(spark, copy, hmac_key, tmp_path):
    root, cfg = copy
    suites = tmp_path / "suites"
    shutil.copytree(default_folder(), suites)
    suite = json.loads((suites / "silver.orders.json").read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_between",
                                  "kwargs": {"column": "amount", "max_value": 5},
                                  "meta": {"severity": "critical"}})
    (suites / "silver.orders.json").write_text(json.dumps(suite))
    cfg = replace(cfg, quality=replace(cfg.quality, expectations=str(suites)))
    write_day(root / "landing", "orders", "2026-10-04", _orders("2026-10-04", 200))
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    _expect_stop(spark, cfg, root, "silver.orders: expect_column_values_to_be_between(amount) failed: "
                                   "200 unexpected of 200")
    results = delta.read(spark, catalog.table_path(cfg.lakehouse, "meta/quality_results"))
    assert results.where("table = 'silver.orders' AND NOT success").count() == 1
    assert (root / "lake" / "reports" / "2026-10-04" / "data_docs" / "index.html").exists()


def test_referential_integrity_is_recorded_and_can_be_made_critical(spark, copy, hmac_key):
    root, cfg = copy
    write_day(root / "landing", "orders", "2026-10-04", _orders("2026-10-04", 200))
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    write_day(root / "landing", "takedowns", "2026-10-04", [
        {"takedown_id": "T1", "listing_id": "L2026-10-04-1", "merchant_id": "M1", "origin": "proactive",
         "reason": "counterfeit", "taken_down_at": "2026-10-04T12:00:00+08:00"},
        {"takedown_id": "T2", "listing_id": "L-nowhere", "merchant_id": "M1", "origin": "proactive",
         "reason": "counterfeit", "taken_down_at": "2026-10-04T12:00:00+08:00"}])
    strict = replace(cfg, quality=replace(cfg.quality, severity={
        "silver.takedowns:expect_column_values_to_reference_existing_keys(listing_id->listings.listing_id)":
            "critical"}))
    _expect_stop(spark, strict, root, "silver.takedowns: expect_column_values_to_reference_existing_keys"
                                      "(listing_id->listings.listing_id) failed: 1 unexpected of 2 (50%), "
                                      "e.g. L-nowhere")
    # By default an orphan is a warning (its parent may arrive later): recorded, and the run publishes.
    assert nightly.run(spark, cfg, DAY4).status == "published"
    results = delta.read(spark, catalog.table_path(cfg.lakehouse, "meta/quality_results"))
    row = results.where("expectation_type = 'expect_column_values_to_reference_existing_keys' "
                        "AND table = 'silver.takedowns' AND severity = 'warning'").first()
    assert (row["success"], row["unexpected_count"], row["example_values"]) == (False, 1, ["L-nowhere"])


def test_a_table_folder_missing(spark, copy, hmac_key):
    root, cfg = copy
    shutil.rmtree(root / "landing" / "listings")  # the whole feed gone, earlier days included
    write_day(root / "landing", "orders", "2026-10-04", _orders("2026-10-04", 200))
    _expect_stop(spark, cfg, root, "listings: delivery day 2026-10-04 is missing or empty")
    # What silver already holds of the vanished folder is kept.
    assert delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/listings")).count() == 60


def test_an_empty_day(spark, copy, hmac_key):
    root, cfg = copy
    folder = root / "landing" / "orders" / "ingest_date=2026-10-04"
    folder.mkdir(parents=True)
    (folder / "part-00000.jsonl").write_bytes(b"")
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    _expect_stop(spark, cfg, root, "orders: delivery day 2026-10-04 is missing or empty")


def test_a_day_delivered_twice(spark, copy, hmac_key):
    root, cfg = copy
    # Day 3 arrives again, identical, as a second file beside the first; day 4 as usual, with a quarter of
    # its orders delivered again as change-data-capture: refunded 5 minutes later, in reverse line order
    # for half of them (the later updated_at wins either way, and no gate stops the run for them).
    write_day(root / "landing", "orders", "2026-10-03", _orders("2026-10-03", 200), name="part-00001.jsonl")
    day4 = _orders("2026-10-04", 200)
    updates = [{**r, "status": "refunded", "updated_at": "2026-10-04T10:05:00+08:00"} for r in day4[:50]]
    write_day(root / "landing", "orders", "2026-10-04", updates[:25] + day4 + updates[25:])
    write_day(root / "landing", "listings", "2026-10-04", _listings("2026-10-04", 20))
    silver_before = delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/orders")).count()
    result = nightly.run(spark, cfg, DAY4)
    assert result.status == "published"
    # Day 3 is read again in full (both copies) and day 4 once: 650 read, 200 of them duplicates.
    assert result.accounting["orders"] == {"rows_read": 650, "accepted": 450, "quarantined": 0, "duplicates": 200}
    silver = delta.read(spark, catalog.table_path(cfg.lakehouse, "silver/orders"))
    assert silver.count() == silver_before + 200
    statuses = {r["order_id"]: r["status"] for r in silver.where("order_id LIKE 'O2026-10-04-%'").collect()}
    assert statuses == {f"O2026-10-04-{i}": "refunded" if i < 50 else "paid" for i in range(200)}
