"""Unit tests of the point-in-time merchant features: what is known by the end of each as-of date,
windows, price ratios, keywords, authorization, image reuse and identity links."""
from __future__ import annotations

import datetime
import hashlib

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard.config import FeaturesConfig
from ipr_guard.transforms.features import (
    DAILY_COUNTS, FEATURE_COLUMNS, feature_columns, merchant_daily, merchant_features,
)
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
D1 = datetime.date(2026, 10, 20)
D2 = datetime.date(2026, 10, 31)
FEATURES = FeaturesConfig(windows=(7, 30, 90), low_price_ratio=0.3, keywords=("高仿", "replica", "1:1"),
                          image_max_distance=3)
IDENTITY_FIELDS = ("contact_phone", "contact_email", "id_document_number", "bank_account")
CLOSURE_REASONS = ("counterfeit", "ipr_infringement")


def pseudo(raw: str) -> str:
    """A stand-in for an HMAC pseudonym: 64 hex characters."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _merchant(mid, registered="2026-06-01T02:00:00Z", **extra):
    return {"merchant_id": mid, "store_name": "Store " + mid, "registered_at": registered, "status": "active",
            "business_type": "individual", "updated_at": registered, **extra}


def _listing(lid, brand, price, created, title="item", description=None, image_hash=None, merchant="M1"):
    return {"listing_id": lid, "merchant_id": merchant, "title": title, "description": description,
            "brand_id": brand, "category": "c", "price": price, "image_hash": image_hash,
            "created_at": created, "updated_at": created}


def _complaint(cid, source, outcome, submitted, processed, merchant="M1"):
    return {"complaint_id": cid, "source": source, "complaint_type": "counterfeit", "merchant_id": merchant,
            "submitted_at": submitted, "processed_at": processed, "outcome": outcome, "updated_at": submitted}


def _order(oid, lid, status, created, updated=None, merchant="M1"):
    return {"order_id": oid, "listing_id": lid, "merchant_id": merchant, "quantity": 1, "amount": 1.0,
            "created_at": created, "status": status, "updated_at": updated or created}


def _test_buy(tid, verdict, at, merchant="M1"):
    return {"test_buy_id": tid, "listing_id": "L1", "merchant_id": merchant, "brand_id": "B1",
            "purchased_at": "2026-09-01T00:00:00Z", "verdict": verdict, "verdict_at": at}


def _closure(aid, merchant, decided, reason="counterfeit", reversed_=False):
    return {"action_id": aid, "merchant_id": merchant, "action": "closure", "reason": reason,
            "decided_at": decided, "reversed": reversed_, "updated_at": decided}


@pytest.fixture(scope="module")
def tables(spark):
    bank_a, bank_b, email_c, phone_d = (pseudo(x) for x in ("bank-a", "bank-b", "email-c", "phone-d"))
    merchants = silver_df(spark, "merchants", [
        _merchant("M1", business_type="enterprise", verification_level=2, deposit_amount=5000.0,
                  bank_account=bank_a),
        _merchant("M2", registered="2026-10-24T02:00:00Z"),        # registered after D1
        _merchant("M3", bank_account=bank_b),                     # twin of a store closed after D1
        _merchant("M4", contact_email=email_c),                   # twin of a reversed closure
        _merchant("M5", contact_phone=phone_d),                   # twin of a store closed for fraud
        _merchant("M6", contact_phone=phone_d),
        _merchant("M7", contact_email=email_c),
        _merchant("M8", bank_account=bank_b),
        _merchant("M9", bank_account=bank_a),
    ])
    brands = silver_df(spark, "brands", [
        {"brand_id": "B1", "brand_name": "Brand one", "reference_price": 1000.0, "updated_at": "2026-01-01T00:00:00Z"},
        {"brand_id": "B2", "brand_name": "Brand two", "reference_price": 200.0, "updated_at": "2026-01-01T00:00:00Z"},
    ])
    authorized = silver_df(spark, "authorized_sellers", [
        # B1 until 10-30 (so not on D2); B2 from 10-22 (so not on D1).
        {"brand_id": "B1", "merchant_id": "M1", "authorized_from": "2026-01-01T00:00:00Z",
         "authorized_to": "2026-10-30T02:00:00Z", "updated_at": "2026-10-30T02:00:00Z"},
        {"brand_id": "B2", "merchant_id": "M1", "authorized_from": "2026-10-22T02:00:00Z",
         "updated_at": "2026-10-22T02:00:00Z"},
    ])
    listings = silver_df(spark, "listings", [
        _listing("L1", "B1", 100.0, "2026-10-01T12:00:00Z", title="Nike 高仿 shoes", image_hash="00000000000000ff"),
        _listing("L2", "B1", 500.0, "2026-10-10T02:00:00Z", title="Genuine bag", image_hash="ffffffff00000000"),
        _listing("L3", "B2", 50.0, "2026-10-15T02:00:00Z", description="a REPLICA watch",
                 image_hash="00000000000000fc"),                 # 2 bits from L1's image
        _listing("L4", None, 10.0, "2026-10-18T02:00:00Z", title="plain 1:1 cable"),
        # 01:00 on 10-21 in Shanghai: after D1.
        _listing("L5", "B2", 200.0, "2026-10-20T17:00:00Z", image_hash="zzzz"),
    ])
    complaints = silver_df(spark, "complaints", [
        _complaint("C1", "rights_holder", "upheld", "2026-10-01T02:00:00Z", "2026-10-18T02:00:00Z"),
        # Upheld at 01:00 on 10-21 in Shanghai: unknown on D1.
        _complaint("C2", "rights_holder", "upheld", "2026-10-10T02:00:00Z", "2026-10-20T17:00:00Z"),
        _complaint("C3", "rights_holder", "rejected", "2026-09-10T02:00:00Z", "2026-09-15T02:00:00Z"),
        _complaint("C4", "rights_holder", "pending", "2026-10-19T02:00:00Z", None),
        _complaint("C5", "consumer", "pending", "2026-10-19T02:00:00Z", None),
    ])
    orders = silver_df(spark, "orders", [
        _order("O1", "L1", "paid", "2026-10-15T02:00:00Z"),
        _order("O2", "L1", "refunded", "2026-10-16T02:00:00Z", "2026-10-17T02:00:00Z"),
        _order("O3", "L2", "refunded", "2026-10-19T02:00:00Z", "2026-10-22T02:00:00Z"),  # refund after D1
        _order("O4", "L4", "paid", "2026-10-19T02:00:00Z"),       # unbranded listing
        _order("O5", "L2", "cancelled", "2026-10-19T02:00:00Z"),  # no sale
        _order("O6", "L2", "paid", "2026-07-01T02:00:00Z"),       # outside every window
    ])
    takedowns = silver_df(spark, "takedowns", [
        {"takedown_id": "T1", "listing_id": "L1", "merchant_id": "M1", "origin": "proactive",
         "reason": "counterfeit", "taken_down_at": "2026-10-05T02:00:00Z"},
        {"takedown_id": "T2", "listing_id": "L2", "merchant_id": "M1", "origin": "notice", "complaint_id": "C1",
         "reason": "trademark", "taken_down_at": "2026-10-26T02:00:00Z"},
    ])
    test_buys = silver_df(spark, "test_buys", [
        _test_buy("TB1", "counterfeit", "2026-10-05T02:00:00Z"),
        _test_buy("TB2", "counterfeit", "2026-10-25T02:00:00Z"),  # verdict after D1
        _test_buy("TB3", "genuine", "2026-10-12T02:00:00Z"),
        _test_buy("TB4", "inconclusive", "2026-10-12T02:00:00Z"),
    ])
    actions = silver_df(spark, "enforcement_actions", [
        _closure("A1", "M9", "2026-09-03T02:00:00Z"),
        _closure("A2", "M8", "2026-10-25T02:00:00Z"),                  # after D1
        _closure("A3", "M7", "2026-09-03T02:00:00Z", reversed_=True),
        _closure("A4", "M6", "2026-09-03T02:00:00Z", reason="fraud"),
    ])
    return dict(merchants=merchants, brands=brands, authorized_sellers=authorized, listings=listings,
                orders=orders, complaints=complaints, takedowns=takedowns, test_buys=test_buys,
                enforcement_actions=actions)


@pytest.fixture(scope="module")
def features(spark, tables):
    as_of = spark.createDataFrame([(D1,), (D2,), (D1,)], "as_of_date date")
    out = merchant_features(as_of, **tables, tz=TZ, features=FEATURES, identity_fields=IDENTITY_FIELDS,
                            closure_reasons=CLOSURE_REASONS)
    return out, {(r.merchant_id, r.as_of_date): r.asDict() for r in out.collect()}


def test_columns_types_and_rows(features):
    out, rows = features
    assert out.columns == ["merchant_id", "as_of_date", "store_name", "business_type", "is_closed",
                           *FEATURE_COLUMNS, "identity_link_reasons", "reused_image_example"]
    types = dict(out.dtypes)
    assert all(types[c] == "double" for c in FEATURE_COLUMNS)
    assert types["is_closed"] == "boolean" and types["identity_link_reasons"] == "array<string>"
    assert feature_columns((7, 30, 90)) == FEATURE_COLUMNS
    # Every store registered by the end of each date, once; M2 only from D2.
    assert sorted(rows) == sorted([(f"M{i}", d) for i in range(1, 10) for d in (D1, D2) if (i, d) != (2, D1)])
    assert all(v is not None for r in rows.values() for c, v in r.items() if c in FEATURE_COLUMNS)


M1_D1 = {
    "store_age_days": (D1 - datetime.date(2026, 6, 1)).days, "verification_level": 2, "deposit_amount": 5000,
    "is_enterprise": 1, "listings_total": 4, "listings_30d": 4, "branded_listings": 3, "branded_share": 0.75,
    "min_price_ratio": 0.1, "median_price_ratio": 0.25, "low_price_listings": 2, "low_price_share": 2 / 3,
    "keyword_listings": 3, "keyword_share": 0.75,
    "upheld_notices_7d": 1, "upheld_notices_30d": 1, "upheld_notices_90d": 1,
    "rejected_notices_7d": 0, "rejected_notices_30d": 0, "rejected_notices_90d": 1,
    "consumer_complaints_7d": 1, "consumer_complaints_30d": 1, "consumer_complaints_90d": 1,
    "orders_branded_7d": 3, "orders_branded_30d": 3, "orders_branded_90d": 3,
    "takedowns_proactive_90d": 1, "takedowns_notice_90d": 0, "counterfeit_takedowns": 1,
    "counterfeit_test_buys": 1, "genuine_test_buys": 1,
    "sales_velocity": 1.0, "refund_rate": 0.25,
    "unauthorized_branded_listings": 1, "unauthorized_branded_share": 1 / 3,
    "reused_image_listings": 1, "reused_image_share": 0.25, "linked_closed_stores": 1,
}
M1_D2 = {
    **M1_D1, "store_age_days": (D2 - datetime.date(2026, 6, 1)).days,
    "listings_total": 5, "listings_30d": 4, "branded_listings": 4, "branded_share": 0.8,
    "median_price_ratio": 0.375, "low_price_share": 0.5, "keyword_share": 0.6,
    "upheld_notices_7d": 0, "upheld_notices_30d": 2, "upheld_notices_90d": 2,
    "consumer_complaints_7d": 0, "orders_branded_7d": 0,
    "takedowns_notice_90d": 1, "counterfeit_test_buys": 2,
    "sales_velocity": 0.75, "refund_rate": 0.5,
    "unauthorized_branded_listings": 2, "unauthorized_branded_share": 0.5, "reused_image_share": 0.2,
}


@pytest.mark.parametrize("day,expected", [(D1, M1_D1), (D2, M1_D2)])
def test_store_features(features, day, expected):
    _, rows = features
    row = rows[("M1", day)]
    assert {c: row[c] for c in FEATURE_COLUMNS} == pytest.approx({c: float(v) for c, v in expected.items()})
    assert row["reused_image_example"] == "L1"
    assert row["identity_link_reasons"] == [
        "shares a bank account with store M9, closed for counterfeit on 2026-09-03"]
    assert (row["store_name"], row["business_type"], row["is_closed"]) == ("Store M1", "enterprise", False)


def test_later_events_do_not_leak(spark, tables, features):
    """Adding a later complaint outcome, test-buy verdict and closure changes nothing as of D1."""
    _, rows = features
    later = dict(tables)
    later["complaints"] = tables["complaints"].unionByName(silver_df(spark, "complaints", [
        _complaint("C9", "rights_holder", "upheld", "2026-10-19T02:00:00Z", "2026-10-21T02:00:00Z")]))
    later["test_buys"] = tables["test_buys"].unionByName(silver_df(spark, "test_buys", [
        _test_buy("TB9", "counterfeit", "2026-10-20T16:30:00Z")]))
    later["enforcement_actions"] = tables["enforcement_actions"].unionByName(silver_df(
        spark, "enforcement_actions", [_closure("A9", "M1", "2026-10-21T02:00:00Z"),
                                       _closure("A10", "M5", "2026-10-21T02:00:00Z")]))
    as_of = spark.createDataFrame([(D1,)], "as_of_date date")
    out = merchant_features(as_of, **later, tz=TZ, features=FEATURES, identity_fields=IDENTITY_FIELDS,
                            closure_reasons=CLOSURE_REASONS)
    assert {(r.merchant_id, r.as_of_date): r.asDict() for r in out.collect()} == {
        k: v for k, v in rows.items() if k[1] == D1}


def test_identity_links(features):
    _, rows = features
    links = {k: (r["linked_closed_stores"], r["identity_link_reasons"]) for k, r in rows.items()
             if k[0] in ("M3", "M4", "M5")}
    assert links == {
        # M8 was closed on 10-25: not yet on D1.
        ("M3", D1): (0.0, []),
        ("M3", D2): (1.0, ["shares a bank account with store M8, closed for counterfeit on 2026-10-25"]),
        ("M4", D1): (0.0, []), ("M4", D2): (0.0, []),  # the closure was reversed
        ("M5", D1): (0.0, []), ("M5", D2): (0.0, []),  # closed for fraud, not an IPR reason
    }
    closed = {k: r["is_closed"] for k, r in rows.items() if k[0] in ("M6", "M7", "M8", "M9")}
    assert closed == {("M6", D1): True, ("M6", D2): True, ("M7", D1): False, ("M7", D2): False,
                      ("M8", D1): False, ("M8", D2): True, ("M9", D1): True, ("M9", D2): True}


def test_store_without_activity_gets_defaults(features):
    _, rows = features
    row = rows[("M2", D2)]
    assert row["store_age_days"] == 7.0 and row["min_price_ratio"] == 1.0 and row["median_price_ratio"] == 1.0
    assert all(row[c] == 0.0 for c in FEATURE_COLUMNS if c not in ("store_age_days", "min_price_ratio",
                                                                   "median_price_ratio"))
    assert row["reused_image_example"] is None and row["identity_link_reasons"] == []


def test_merchant_daily_counts_on_knowledge_day(spark, tables):
    daily = merchant_daily(tables["listings"], tables["orders"], tables["complaints"], tables["takedowns"],
                           tables["test_buys"], TZ)
    schema = T.StructType([T.StructField("merchant_id", T.StringType()), T.StructField("day", T.DateType())]
                          + [T.StructField(k, T.LongType(), False) for k in DAILY_COUNTS])
    d = datetime.date

    def row(day, **counts):
        return ("M1", day, *[counts.get(k, 0) for k in DAILY_COUNTS])

    expected = spark.createDataFrame([
        row(d(2026, 7, 1), orders_branded=1),
        row(d(2026, 9, 15), rejected_notices=1),
        row(d(2026, 10, 5), takedowns_proactive=1, counterfeit_takedowns=1, counterfeit_test_buys=1),
        row(d(2026, 10, 12), genuine_test_buys=1),
        row(d(2026, 10, 15), orders_branded=1),
        row(d(2026, 10, 16), orders_branded=1),
        row(d(2026, 10, 17), refunds_branded=1),
        row(d(2026, 10, 18), upheld_notices=1),
        row(d(2026, 10, 19), orders_branded=1, consumer_complaints=1),
        row(d(2026, 10, 21), upheld_notices=1),
        row(d(2026, 10, 22), refunds_branded=1),
        row(d(2026, 10, 25), counterfeit_test_buys=1),
        row(d(2026, 10, 26), takedowns_notice=1),
    ], schema)
    assertDataFrameEqual(daily, expected, checkRowOrder=False)
