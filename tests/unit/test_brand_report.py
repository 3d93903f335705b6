"""A brand report's stores, transform by transform on hand-built frames: which stores are in, their sales by
status and market day, each evidence kind, notices and response times, test buys, and the totals."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.testing import assertDataFrameEqual

from ipr_guard.config import parse_sharing
from ipr_guard.transforms import brand_report as tx
from ipr_guard.transforms.dossier import PERSONAL_COLUMNS
from ipr_guard.transforms.infringing import infringing_listings, listing_evidence
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
D = dt.date.fromisoformat


def _merchant(mid, name, status="active"):
    return {"merchant_id": mid, "store_name": name, "legal_name": f"legal-{mid}", "bank_account": f"bank-{mid}",
            "registered_at": "2026-01-01T00:00:00Z", "status": status, "updated_at": "2026-01-01T00:00:00Z"}


def _listing(lid, merchant, brand="B1"):
    return {"listing_id": lid, "merchant_id": merchant, "title": "t", "brand_id": brand, "category": "shoes",
            "price": 100.0, "created_at": "2026-09-01T00:00:00Z", "updated_at": "2026-09-01T00:00:00Z"}


def _order(oid, lid, merchant, created, status="paid", amount=10.0):
    return {"order_id": oid, "listing_id": lid, "merchant_id": merchant, "buyer_id": f"buyer-{oid}", "quantity": 1,
            "amount": amount, "created_at": created, "status": status, "updated_at": created}


def _takedown(tid, lid, merchant, at, reason="counterfeit"):
    return {"takedown_id": tid, "listing_id": lid, "merchant_id": merchant, "origin": "proactive", "reason": reason,
            "taken_down_at": at}


def _test_buy(tid, lid, merchant, verdict, at, brand="B1"):
    return {"test_buy_id": tid, "listing_id": lid, "merchant_id": merchant, "brand_id": brand,
            "purchased_at": "2026-09-01T00:00:00Z", "verdict": verdict, "verdict_at": at}


def _notice(cid, lid, merchant, outcome, submitted, processed, ctype="counterfeit", brand=None, source="rights_holder"):
    return {"complaint_id": cid, "source": source, "complaint_type": ctype, "brand_id": brand, "listing_id": lid,
            "merchant_id": merchant, "reporter_id": f"reporter-{cid}", "submitted_at": submitted,
            "processed_at": processed, "outcome": outcome, "updated_at": submitted}


def _world(spark):
    """Brand B1 in October 2026 (Shanghai days):

    M1 sells counterfeit B1 on L1 (takedown, upheld notice) and L2 (test buy), and B2 on L9 (not this report's).
    M2's only notice was rejected: nothing infringing. M3's infringing listing was found out in September and
    did not sell in October. M4 sold in October on a listing found out in November. M5's only piece of
    evidence is a test buy at 00:30 on 1 October in Shanghai (still 30 September in UTC).
    """
    merchants = silver_df(spark, "merchants", [
        _merchant("M1", "Fake Shop"), _merchant("M2", "Rejected Only"), _merchant("M3", "Past"),
        _merchant("M4", "Sold Only", "suspended"), _merchant("M5", "Edge")])
    listings = silver_df(spark, "listings", [
        _listing("L1", "M1"), _listing("L2", "M1"), _listing("L9", "M1", brand="B2"), _listing("L20", "M2"),
        _listing("L30", "M3"), _listing("L40", "M4"), _listing("L50", "M5")])
    orders = silver_df(spark, "orders", [
        _order("O1", "L1", "M1", "2026-10-05T02:00:00Z", amount=100.0),
        _order("O2", "L1", "M1", "2026-10-06T02:00:00Z", status="refunded", amount=50.0),
        _order("O3", "L1", "M1", "2026-10-07T02:00:00Z", status="cancelled", amount=30.0),
        _order("O4", "L1", "M1", "2026-10-31T15:00:00Z", amount=20.0),   # 23:00 on 31 October in Shanghai: in
        _order("O5", "L1", "M1", "2026-10-31T17:30:00Z", amount=40.0),   # 01:30 on 1 November there: out
        _order("O6", "L2", "M1", "2026-10-15T02:00:00Z", amount=5.5),
        _order("O9", "L9", "M1", "2026-10-15T02:00:00Z", amount=999.0),  # brand B2
        _order("O20", "L20", "M2", "2026-10-15T02:00:00Z", amount=77.0),
        _order("O30", "L30", "M3", "2026-10-15T02:00:00Z", status="refunded", amount=60.0),
        _order("O40", "L40", "M4", "2026-10-20T02:00:00Z", amount=30.0)])
    takedowns = silver_df(spark, "takedowns", [
        _takedown("T1", "L1", "M1", "2026-10-10T02:00:00Z"),
        _takedown("T9", "L9", "M1", "2026-10-10T02:00:00Z"),
        _takedown("T30", "L30", "M3", "2026-09-15T02:00:00Z"),
        _takedown("T40", "L40", "M4", "2026-11-05T02:00:00Z", reason="trademark")])
    test_buys = silver_df(spark, "test_buys", [
        _test_buy("TB1", "L2", "M1", "counterfeit", "2026-10-12T02:00:00Z"),
        _test_buy("TB2", "L1", "M1", "genuine", "2026-10-13T02:00:00Z"),
        _test_buy("TB3", "L1", "M1", "inconclusive", "2026-09-30T15:00:00Z"),   # 23:00 on 30 September: out
        _test_buy("TB50", "L50", "M5", "counterfeit", "2026-09-30T16:30:00Z")])  # 00:30 on 1 October: in
    complaints = silver_df(spark, "complaints", [
        _notice("C1", "L1", "M1", "upheld", "2026-10-02T02:00:00Z", "2026-10-02T08:00:00Z"),            # 6 h
        _notice("C2", None, "M1", "rejected", "2026-10-03T00:00:00Z", "2026-10-04T12:00:00Z",           # 36 h
                ctype="trademark", brand="B1"),                                 # about the store and brand
        _notice("C3", "L2", "M1", "pending", "2026-10-20T00:00:00Z", None),
        _notice("C6", "L2", "M1", "upheld", "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z",             # 24 h
                ctype="copyright"),                                            # a notice, not evidence
        _notice("C4", "L1", "M1", "upheld", "2026-10-02T00:00:00Z", "2026-10-02T01:00:00Z", source="consumer"),
        _notice("C5", "L9", "M1", "upheld", "2026-10-02T00:00:00Z", "2026-10-02T01:00:00Z"),            # B2
        _notice("C20", "L20", "M2", "rejected", "2026-10-02T00:00:00Z", "2026-10-02T02:00:00Z")])
    return merchants, listings, orders, takedowns, test_buys, complaints


def _report(spark, start=START, end=END):
    merchants, listings, orders, takedowns, test_buys, complaints = _world(spark)
    evidence = listing_evidence(takedowns, test_buys, complaints)
    infringing_b = tx.brand_infringing(infringing_listings(evidence, listings), "B1")
    notices = tx.brand_notices(complaints, listings, "B1", start, end, TZ)
    stores = tx.infringing_stores(
        tx.store_sales(infringing_b, orders, start, end, TZ), tx.store_evidence(evidence, infringing_b, start, end, TZ),
        tx.store_notices(notices), tx.store_test_buys(test_buys, listings, "B1", start, end, TZ), merchants)
    return stores, notices


@pytest.fixture(scope="module")
def october(spark):
    """October's stores and notices, computed once for the tests that read them."""
    stores, notices = (df.cache() for df in _report(spark))
    yield stores, notices
    stores.unpersist()
    notices.unpersist()


STORES_SCHEMA = ("merchant_id STRING, store_name STRING, store_status STRING, infringing_listings LONG, "
                 "paid_orders LONG, infringing_gmv DOUBLE, takedowns LONG, notices LONG, notices_upheld LONG, "
                 "notices_rejected LONG, notices_pending LONG, median_response_hours DOUBLE, notices_within_24h LONG, "
                 "test_buys LONG, test_buys_counterfeit LONG, test_buys_genuine LONG, first_evidence_on DATE, "
                 "last_evidence_on DATE")


def test_the_infringing_stores_of_the_brand_in_the_period_with_their_figures(spark, october):
    stores, _ = october
    assert stores.columns == list(tx.STORE_COLUMNS)
    expected = spark.createDataFrame([
        # GMV O1 + O4 + O6 (O2 refunded, O3 cancelled, O5 in November, O9 brand B2); takedown T1 (T9 is B2's);
        # notices C1, C2, C3, C6 (C4 a consumer's, C5 about B2), median of 6, 24 and 36 hours, 24 h is within;
        # test buys TB1 and TB2 (TB3 in September); evidence C1 (2 Oct), T1 (10 Oct), TB1 (12 Oct).
        ("M1", "Fake Shop", "active", 2, 3, 125.5, 1, 4, 2, 1, 1, 24.0, 2, 2, 1, 1, D("2026-10-02"), D("2026-10-12")),
        # Sold in October, found out in November: the sales are infringing all the same.
        ("M4", "Sold Only", "suspended", 1, 1, 30.0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, D("2026-11-05"),
         D("2026-11-05")),
        ("M5", "Edge", "active", 1, 0, 0.0, 0, 0, 0, 0, 0, None, 0, 1, 1, 0, D("2026-10-01"), D("2026-10-01")),
    ], STORES_SCHEMA)
    assertDataFrameEqual(stores, expected)


def test_the_totals_add_up_the_reported_stores_only(october):
    stores, notices = october
    totals = tx.report_totals(stores, notices)
    assert totals.columns == list(tx.TOTAL_COLUMNS)
    # M2's rejected notice (2 hours) is not a reported store's: the median stays 24.
    assert totals.first().asDict() == {
        "stores": 3, "infringing_listings": 4, "paid_orders": 4, "infringing_gmv": 155.5, "takedowns": 1,
        "notices": 4, "notices_upheld": 2, "notices_rejected": 1, "notices_pending": 1, "notices_within_24h": 2,
        "test_buys": 3, "test_buys_counterfeit": 2, "test_buys_genuine": 1, "median_response_hours": 24.0,
        "first_evidence_on": D("2026-10-01"), "last_evidence_on": D("2026-11-05")}


def test_a_period_without_infringing_stores_has_zero_totals_and_activity_tells_it_from_an_empty_one(spark):
    december = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    stores, notices = _report(spark, *december)
    assert stores.count() == 0
    empty = tx.report_totals(stores, notices).first().asDict()
    assert (empty["stores"], empty["infringing_gmv"], empty["notices"], empty["median_response_hours"]) == (
        0, 0.0, 0, None)
    _, listings, orders, takedowns, test_buys, complaints = _world(spark)
    october = tx.brand_activity(listings, orders, takedowns, test_buys, complaints, "B1", START, END, TZ)
    # Orders of any status on B1's listings (not O5: November; not O9: B2), takedowns of any reason, test buys of
    # any verdict, complaints of any source (C5 is about B2).
    assert october.first().asDict() == {"listings_created": 0, "orders": 8, "takedowns": 1, "test_buys": 3,
                                        "complaints": 6}
    nothing = tx.brand_activity(listings, orders, takedowns, test_buys, complaints, "B1", *december, TZ)
    assert not any(nothing.first().asDict().values())


def test_no_personal_column_reaches_an_output(october):
    stores, notices = october
    for df in (stores, notices, tx.report_totals(stores, notices)):
        assert not set(df.columns) & set(PERSONAL_COLUMNS)


def test_the_rights_holders_grant_refuses_personal_and_unknown_columns():
    grant = parse_sharing({"rights_holders": {"brand_report": ["merchant_id", "infringing_gmv", "merchant_id"]}})
    assert grant.rights_holder_columns == ("merchant_id", "infringing_gmv")
    assert parse_sharing({"rights_holders": None}).rights_holder_columns == ()
    assert parse_sharing(None).rights_holder_columns == ()
    with pytest.raises(ValueError, match=r"^sharing\.rights_holders\.brand_report: legal_name is personal data, "
                                         "never shown to a rights holder$"):
        parse_sharing({"rights_holders": {"brand_report": ["merchant_id", "legal_name"]}})
    with pytest.raises(ValueError, match=r"unknown column\(s\) risk_score \(known: merchant_id, store_name"):
        parse_sharing({"rights_holders": {"brand_report": ["risk_score"]}})
    with pytest.raises(ValueError, match="rights_holders must be a mapping with brand_report"):
        parse_sharing({"rights_holders": {"dossier": ["merchant_id"]}})
