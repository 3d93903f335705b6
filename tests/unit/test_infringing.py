"""Infringing listings and GMV, row by row: each evidence kind, order statuses, the period's edges in market time."""
from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.infringing import infringing_gmv, infringing_listings, infringing_orders, listing_evidence
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
OCT, NOV = (dt.date(2026, 10, 1), dt.date(2026, 10, 31)), (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _listing(lid, merchant="M1", brand="B1"):
    return {"listing_id": lid, "merchant_id": merchant, "title": "t", "brand_id": brand, "category": "shoes",
            "price": 100.0, "created_at": "2026-09-01T00:00:00Z", "updated_at": "2026-09-01T00:00:00Z"}


def _takedown(tid, lid, reason, merchant="M1"):
    return {"takedown_id": tid, "listing_id": lid, "merchant_id": merchant, "origin": "notice", "reason": reason,
            "taken_down_at": "2026-10-20T02:00:00Z"}


def _test_buy(tid, lid, verdict):
    return {"test_buy_id": tid, "listing_id": lid, "merchant_id": "M1", "brand_id": "B1",
            "purchased_at": "2026-10-10T02:00:00Z", "verdict": verdict, "verdict_at": "2026-10-12T02:00:00Z"}


def _notice(cid, lid, ctype, outcome, source="rights_holder"):
    return {"complaint_id": cid, "source": source, "complaint_type": ctype, "listing_id": lid, "merchant_id": "M1",
            "submitted_at": "2026-10-05T02:00:00Z", "processed_at": "2026-10-06T02:00:00Z", "outcome": outcome,
            "updated_at": "2026-10-06T02:00:00Z"}


def _order(oid, lid, created, status="paid", amount=10.0, merchant="M1"):
    return {"order_id": oid, "listing_id": lid, "merchant_id": merchant, "quantity": 1, "amount": amount,
            "created_at": created, "status": status, "updated_at": created}


def _world(spark):
    listings = silver_df(spark, "listings", [_listing(f"L{i}") for i in range(1, 12)] + [_listing("L20", "M2", "B2")])
    takedowns = silver_df(spark, "takedowns", [
        _takedown("T1", "L1", "counterfeit"), _takedown("T2", "L2", "trademark"),
        _takedown("T3", "L3", "copyright"), _takedown("T4", "L4", "other"),  # not infringing
        _takedown("T5", "L20", "counterfeit", merchant="M2")])
    test_buys = silver_df(spark, "test_buys", [
        _test_buy("B1", "L5", "counterfeit"), _test_buy("B2", "L6", "genuine"), _test_buy("B3", "L7", "inconclusive"),
        _test_buy("B4", "L1", "counterfeit")])  # a second kind of evidence on L1
    complaints = silver_df(spark, "complaints", [
        _notice("C1", "L8", "counterfeit", "upheld"), _notice("C2", "L9", "trademark", "upheld"),
        _notice("C3", "L10", "counterfeit", "rejected"), _notice("C4", "L10", "copyright", "upheld"),
        _notice("C5", "L11", "counterfeit", "upheld", source="consumer"),
        _notice("C6", None, "counterfeit", "upheld")])  # a store-level notice names no listing
    return listings, listing_evidence(takedowns, test_buys, complaints)


def test_each_kind_of_evidence_makes_a_listing_infringing_and_others_do_not(spark):
    listings, evidence = _world(spark)
    got = infringing_listings(evidence, listings).select("listing_id", "merchant_id", "evidence")
    expected = spark.createDataFrame([
        ("L1", "M1", ["takedown", "test_buy"]), ("L2", "M1", ["takedown"]), ("L5", "M1", ["test_buy"]),
        ("L8", "M1", ["notice"]), ("L9", "M1", ["notice"]), ("L20", "M2", ["takedown"]),
    ], "listing_id STRING, merchant_id STRING, evidence ARRAY<STRING>")
    assertDataFrameEqual(got, expected)


def test_only_paid_orders_created_in_the_period_in_market_days_count(spark):
    listings, evidence = _world(spark)
    infringing = infringing_listings(evidence, listings)
    orders = silver_df(spark, "orders", [
        _order("O1", "L1", "2026-10-10T04:00:00Z", amount=100.0),
        _order("O2", "L1", "2026-10-10T05:00:00Z", status="refunded", amount=50.0),
        _order("O3", "L2", "2026-10-11T05:00:00Z", status="cancelled", amount=70.0),
        _order("O4", "L5", "2026-10-12T05:00:00Z", amount=25.5),
        _order("O5", "L3", "2026-10-12T05:00:00Z", amount=999.0),  # copyright takedown: not infringing
        # 2026-10-31 23:59 in Shanghai: the last minute of October.
        _order("O6", "L8", "2026-10-31T15:59:00Z", amount=1.0),
        # 2026-11-01 00:30 in Shanghai, although still 31 October in UTC: November.
        _order("O7", "L8", "2026-10-31T16:30:00Z", amount=2.0),
        # 2026-10-01 07:59 in Shanghai (30 September 23:59 UTC): October.
        _order("O8", "L9", "2026-09-30T23:59:00Z", amount=4.0),
        # 2026-09-30 23:59 in Shanghai: before the period.
        _order("O9", "L9", "2026-09-30T15:59:00Z", amount=8.0),
        _order("O10", "L20", "2026-10-15T05:00:00Z", amount=30.0, merchant="M2"),
    ])
    sales = infringing_orders(orders, infringing, *OCT, TZ)
    assert sorted(r["order_id"] for r in sales.collect()) == ["O1", "O10", "O4", "O6", "O8"]
    expected = spark.createDataFrame([("M1", 5, 4, 130.5), ("M2", 1, 1, 30.0)],
                                     "merchant_id STRING, infringing_listings LONG, "
                                     "paid_orders_on_infringing_listings LONG, infringing_gmv DOUBLE")
    assertDataFrameEqual(infringing_gmv(infringing, sales), expected)

    november = infringing_gmv(infringing, infringing_orders(orders, infringing, *NOV, TZ))
    expected = spark.createDataFrame([("M1", 5, 1, 2.0), ("M2", 1, 0, 0.0)], expected.schema)
    assertDataFrameEqual(november, expected)
