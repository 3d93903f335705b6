"""Unit tests of listing risk: which listings are scored (created on D, unsold by the end of D) and how."""
from __future__ import annotations

import datetime

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.listing_risk import NO_SIGNAL_REASON, listing_risk
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
D = datetime.date(2026, 10, 31)
LOW_PRICE_RATIO = 0.3
KEYWORDS = ("高仿", "1:1", "replica", "复刻", "原单", "A货", "精仿", "fake", "super copy", "mirror quality")

RISK_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()),
    T.StructField("listing_id", T.StringType()),
    T.StructField("merchant_id", T.StringType()),
    T.StructField("brand_id", T.StringType()),
    T.StructField("risk_score", T.DoubleType()),
    T.StructField("reasons", T.ArrayType(T.StringType())),
    T.StructField("price_ratio", T.DoubleType()),
    T.StructField("keyword_hits", T.ArrayType(T.StringType())),
])


def _listing(lid, created, price, title, brand=None, description=None):
    return {"listing_id": lid, "merchant_id": "M1", "title": title, "description": description,
            "brand_id": brand, "category": "bags", "price": price, "currency": "CNY", "quantity": 5,
            "created_at": created, "updated_at": created, "status": "active"}


def _order(oid, listing, at, status):
    return {"order_id": oid, "listing_id": listing, "merchant_id": "M1", "quantity": 1, "amount": 10.0,
            "created_at": at, "status": status, "updated_at": at}


@pytest.fixture()
def inputs(spark):
    brands = silver_df(spark, "brands", [
        {"brand_id": "B1", "brand_name": "Acme", "reference_price": 1000.0, "aliases": ["艾克美"],
         "updated_at": "2026-01-01T00:00:00Z"},
        {"brand_id": "B2", "brand_name": "Bolt", "reference_price": 200.0, "aliases": [],
         "updated_at": "2026-01-01T00:00:00Z"},
    ])
    listings = silver_df(spark, "listings", [
        _listing("L1", "2026-10-31T02:00:00Z", 100.0, "Acme leather bag", brand="B1"),  # 10% of reference
        _listing("L2", "2026-10-31T03:00:00Z", 50.0, "Acme bag 高仿", brand="B1"),       # sold on D
        _listing("L3", "2026-10-31T04:00:00Z", 10.0, "普通T恤"),                        # only a cancelled order
        _listing("L4", "2026-10-30T16:30:00Z", 30.0, "高仿 手表 Replica"),             # 00:30 on D in Shanghai
        _listing("L5", "2026-10-30T15:59:59Z", 10.0, "高仿 手表"),                     # 23:59:59 on D-1
        _listing("L6", "2026-10-31T05:00:00Z", 180.0, "Bolt sneakers", brand="B2",
                 description="A货 super copy"),
        _listing("L7", "2026-10-31T06:00:00Z", 20.0, "Bolt", brand="B2"),              # refunded on D
        _listing("L8", "2026-10-31T07:00:00Z", 900.0, "Acme wallet", brand="B1"),      # sold after D
        _listing("L9", "2026-10-31T08:00:00Z", 20.0, "Bolt 1:1 FAKE sneakers", brand="B2"),
        _listing("L10", "2026-10-31T09:00:00Z", 20.0, "no-name bag", brand="B404"),    # brand not in registry
    ])
    orders = silver_df(spark, "orders", [
        _order("O1", "L2", "2026-10-31T05:00:00Z", "paid"),
        _order("O2", "L3", "2026-10-31T05:00:00Z", "cancelled"),
        _order("O3", "L7", "2026-10-31T07:00:00Z", "refunded"),
        _order("O4", "L8", "2026-10-31T16:30:00Z", "paid"),  # 00:30 on 11-01 in Shanghai
    ])
    return listings, orders, brands


def test_listing_risk(spark, inputs):
    listings, orders, brands = inputs
    out = listing_risk(D, listings, orders, brands, TZ, LOW_PRICE_RATIO, KEYWORDS)
    low_l1 = "price 100.00 CNY is 10.0% of the reference price 1,000.00 CNY of brand Acme (below the 30% threshold)"
    low_l9 = "price 20.00 CNY is 10.0% of the reference price 200.00 CNY of brand Bolt (below the 30% threshold)"
    expected = spark.createDataFrame([
        (D, "L1", "M1", "B1", 0.8, [low_l1], 0.1, []),
        (D, "L3", "M1", None, 0.0, [NO_SIGNAL_REASON], None, []),
        (D, "L4", "M1", None, 0.6,
         ['title or description contains counterfeit keywords "高仿", "replica"'], None, ["高仿", "replica"]),
        (D, "L6", "M1", "B2", 0.7,
         ['title or description contains counterfeit keywords "A货", "super copy"'], 0.9, ["A货", "super copy"]),
        (D, "L8", "M1", "B1", 0.0, [NO_SIGNAL_REASON], 0.9, []),
        # Both signals: 1 - (1 - 0.8) * (1 - 0.7).
        (D, "L9", "M1", "B2", 0.94,
         [low_l9, 'title or description contains counterfeit keywords "1:1", "fake"'], 0.1, ["1:1", "fake"]),
        (D, "L10", "M1", "B404", 0.0, [NO_SIGNAL_REASON], None, []),
    ], RISK_SCHEMA)
    assert out.columns == RISK_SCHEMA.fieldNames()
    assertDataFrameEqual(out, expected)


def test_branded_low_price_is_riskier_than_unbranded(spark):
    listings = silver_df(spark, "listings", [
        _listing("LB", "2026-10-31T02:00:00Z", 50.0, "Acme bag", brand="B1"),
        _listing("LU", "2026-10-31T02:00:00Z", 50.0, "bag"),
    ])
    brands = silver_df(spark, "brands", [
        {"brand_id": "B1", "brand_name": "Acme", "reference_price": 1000.0, "updated_at": "2026-01-01T00:00:00Z"},
    ])
    out = listing_risk(D, listings, silver_df(spark, "orders", []), brands, TZ, LOW_PRICE_RATIO, KEYWORDS)
    scores = {r.listing_id: r.risk_score for r in out.collect()}
    assert scores["LB"] > scores["LU"] == 0.0


def test_scores_in_range_and_reasons_present(spark, inputs):
    listings, orders, brands = inputs
    out = listing_risk(D, listings, orders, brands, TZ, LOW_PRICE_RATIO, KEYWORDS)
    for row in out.collect():
        assert 0.0 <= row.risk_score <= 1.0
        assert row.reasons and all(row.reasons)


def test_no_keywords_and_no_price_threshold(spark, inputs):
    listings, orders, brands = inputs
    out = listing_risk(D, listings, orders, brands, TZ, 0.0, ())
    rows = out.select("risk_score", "keyword_hits", "reasons").distinct().collect()
    assert [tuple(r) for r in rows] == [(0.0, [], [NO_SIGNAL_REASON])]
