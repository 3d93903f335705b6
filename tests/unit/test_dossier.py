"""A store's dossier, transform by transform on hand-built frames: GMV per month and brand in market time,
paid vs refunded vs cancelled, the timeline's order, networks, and that no personal column gets out."""
from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from ipr_guard.reports.dossier import TextTable
from ipr_guard.transforms import dossier as tx
from ipr_guard.transforms.infringing import infringing_listings, infringing_orders, listing_evidence
from tests.unit.builders import silver_df, ts

TZ = "Asia/Shanghai"
START, END = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
D = dt.date.fromisoformat


def _listing(lid, created, brand, merchant="M1", title="sneakers"):
    return {"listing_id": lid, "merchant_id": merchant, "title": title, "brand_id": brand, "category": "shoes",
            "price": 100.0, "created_at": created, "updated_at": created}


def _order(oid, lid, created, status="paid", amount=10.0, merchant="M1"):
    return {"order_id": oid, "listing_id": lid, "merchant_id": merchant, "buyer_id": f"buyer-pseudonym-{oid}",
            "quantity": 1, "amount": amount, "created_at": created, "status": status, "updated_at": created}


def _merchant(mid, name, status="active"):
    return {"merchant_id": mid, "store_name": name, "legal_name": f"legal-{mid}", "contact_email": f"email-{mid}",
            "contact_phone": f"phone-{mid}", "id_document_number": f"iddoc-{mid}", "bank_account": f"bank-{mid}",
            "registered_at": "2026-01-01T00:00:00Z", "country": "CN", "business_type": "individual",
            "verification_level": 1, "deposit_amount": 1000.0, "status": status, "updated_at": "2026-01-01T00:00:00Z"}


def _world(spark):
    """M1: L1 (B1, counterfeit takedown), L2 (B2, counterfeit test buy), L3 (B1, copyright takedown: not
    infringing), L4 (no brand, upheld trademark notice); M2: L20 (B1, counterfeit takedown)."""
    listings = silver_df(spark, "listings", [
        _listing("L1", "2026-09-01T00:00:00Z", "B1", title="Nike 高仿"),
        _listing("L2", "2026-10-15T00:00:00Z", "B2"),
        _listing("L3", "2026-10-31T16:30:00Z", "B1"),   # 2026-11-01 00:30 in Shanghai: created in the period
        _listing("L4", "2026-09-30T15:30:00Z", None),   # 2026-09-30 23:30 in Shanghai: before it
        _listing("L20", "2026-09-01T00:00:00Z", "B1", merchant="M2")])
    takedowns = silver_df(spark, "takedowns", [
        {"takedown_id": "T1", "listing_id": "L1", "merchant_id": "M1", "origin": "proactive", "reason": "counterfeit",
         "taken_down_at": "2026-10-20T17:00:00Z"},
        {"takedown_id": "T3", "listing_id": "L3", "merchant_id": "M1", "origin": "notice", "reason": "copyright",
         "taken_down_at": "2026-11-02T00:00:00Z"},
        {"takedown_id": "T20", "listing_id": "L20", "merchant_id": "M2", "origin": "proactive",
         "reason": "counterfeit", "taken_down_at": "2026-10-03T00:00:00Z"}])
    test_buys = silver_df(spark, "test_buys", [
        {"test_buy_id": "TB1", "listing_id": "L2", "merchant_id": "M1", "brand_id": "B2",
         "purchased_at": "2026-10-10T02:00:00Z", "verdict": "counterfeit", "verdict_at": "2026-10-12T02:00:00Z"}])
    complaints = silver_df(spark, "complaints", [
        {"complaint_id": "C1", "source": "rights_holder", "complaint_type": "trademark", "listing_id": "L4",
         "merchant_id": "M1", "reporter_id": "reporter-pseudonym-1", "submitted_at": "2026-10-05T02:00:00Z",
         "processed_at": "2026-10-06T02:00:00Z", "outcome": "upheld", "updated_at": "2026-10-06T02:00:00Z"}])
    orders = silver_df(spark, "orders", [
        _order("O1", "L1", "2026-10-05T02:00:00Z", amount=100.0),
        _order("O2", "L1", "2026-10-31T15:00:00Z", amount=20.0),     # 23:00 on 31 October in Shanghai
        _order("O3", "L1", "2026-10-31T17:30:00Z", amount=30.0),     # 01:30 on 1 November in Shanghai
        _order("O4", "L2", "2026-11-10T04:00:00Z", amount=45.5),
        _order("O5", "L2", "2026-11-11T04:00:00Z", status="refunded", amount=60.0),
        _order("O6", "L1", "2026-11-12T04:00:00Z", status="cancelled", amount=70.0),
        _order("O7", "L3", "2026-11-12T04:00:00Z", amount=999.0),    # copyright only: not infringing
        _order("O8", "L4", "2026-11-20T04:00:00Z", amount=5.25),
        _order("O9", "L1", "2026-09-30T15:59:00Z", amount=7.0),      # 23:59 on 30 September: before the period
        _order("O10", "L2", "2026-11-30T16:00:00Z", amount=8.0),     # 00:00 on 1 December: after it
        _order("O20", "L20", "2026-10-10T00:00:00Z", amount=11.0, merchant="M2")])
    brands = silver_df(spark, "brands", [{"brand_id": "B1", "brand_name": "Nike", "updated_at": "2026-01-01T00:00:00Z"},
                                         {"brand_id": "B2", "brand_name": "Adidas",
                                          "updated_at": "2026-01-01T00:00:00Z"}])
    evidence = listing_evidence(takedowns, test_buys, complaints)
    infringing = infringing_listings(evidence, listings)
    return {"listings": listings, "takedowns": takedowns, "test_buys": test_buys, "complaints": complaints,
            "orders": orders, "brands": brands, "evidence": evidence, "infringing": infringing,
            "sales": infringing_orders(orders, infringing, START, END, TZ)}


def test_gmv_per_month_and_brand_counts_paid_orders_by_their_day_in_market_time(spark):
    w = _world(spark)
    # October: O1 and O2 (23:00 on the 31st in Shanghai); November: O3 (17:30Z on 31 October is 1 November
    # there), O4 and O8. O9 and O10 fall outside the period only in market time.
    assertDataFrameEqual(tx.gmv_by_month(w["sales"]), spark.createDataFrame([
        ("M1", "2026-10", 2, 120.0), ("M1", "2026-11", 3, 80.75), ("M2", "2026-10", 1, 11.0),
    ], "merchant_id string, month string, paid_orders bigint, infringing_gmv double"))
    assertDataFrameEqual(tx.gmv_by_brand(w["sales"], w["brands"]), spark.createDataFrame([
        ("M1", "B1", "Nike", 3, 150.0), ("M1", "B2", "Adidas", 1, 45.5), ("M1", None, None, 1, 5.25),
        ("M2", "B1", "Nike", 1, 11.0),
    ], "merchant_id string, brand_id string, brand_name string, paid_orders bigint, infringing_gmv double"))
    assertDataFrameEqual(tx.listing_sales(w["sales"]), spark.createDataFrame([
        ("M1", "L1", 3, 150.0), ("M1", "L2", 1, 45.5), ("M1", "L4", 1, 5.25), ("M2", "L20", 1, 11.0),
    ], "merchant_id string, listing_id string, paid_orders bigint, infringing_gmv double"))


def test_paid_refunded_and_cancelled_orders_on_infringing_listings_are_told_apart(spark):
    w = _world(spark)
    # Only the paid ones are GMV (200.75 = O1 + O2 + O3 + O4 + O8); O7 is on a listing that is not infringing.
    assertDataFrameEqual(tx.order_statuses(w["orders"], w["infringing"], START, END, TZ), spark.createDataFrame([
        ("M1", "paid", 5, 200.75), ("M1", "refunded", 1, 60.0), ("M1", "cancelled", 1, 70.0), ("M2", "paid", 1, 11.0),
    ], "merchant_id string, status string, orders bigint, amount double"))
    assertDataFrameEqual(tx.period_activity(w["orders"], w["listings"], START, END, TZ), spark.createDataFrame([
        ("M1", 8, 2), ("M2", 1, 0)], "merchant_id string, orders bigint, listings_created bigint"))


def test_evidence_and_listing_details_are_dated_in_market_time(spark):
    w = _world(spark)
    assertDataFrameEqual(tx.evidence_details(w["evidence"], w["infringing"], TZ), spark.createDataFrame([
        ("M1", "L1", "takedown", "T1", "2026-10-20T17:00:00Z", D("2026-10-21"), "counterfeit"),
        ("M1", "L2", "test_buy", "TB1", "2026-10-12T02:00:00Z", D("2026-10-12"), "counterfeit"),
        ("M1", "L4", "notice", "C1", "2026-10-06T02:00:00Z", D("2026-10-06"), "trademark"),
        ("M2", "L20", "takedown", "T20", "2026-10-03T00:00:00Z", D("2026-10-03"), "counterfeit"),
    ], "merchant_id string, listing_id string, kind string, evidence_id string, at string, on date, detail string"))
    got = tx.infringing_details(w["infringing"], w["listings"], TZ).where(F.col("listing_id") == "L1")
    assertDataFrameEqual(got, spark.createDataFrame([
        ("L1", "M1", "B1", "Nike 高仿", ["takedown"], "2026-10-20T17:00:00Z", D("2026-10-21"))],
        "listing_id string, merchant_id string, brand_id string, title string, evidence_kinds array<string>, "
        "first_evidence_at string, first_evidence_on date"))


def _decisions(spark):
    return spark.createDataFrame(
        [(D("2026-10-24"), "M1", "confirm", "reviewer-pseudonym", "a note naming someone", ts("2026-10-25T00:00:00Z"))],
        "run_date date, merchant_id string, decision string, reviewer string, note string, imported_at timestamp")


def _actions(spark):
    return silver_df(spark, "enforcement_actions", [
        {"action_id": "A1", "merchant_id": "M1", "action": "closure", "reason": "counterfeit",
         "decided_at": "2026-10-25T00:00:00Z", "reversed": True, "updated_at": "2026-10-25T00:00:00Z"}])


def test_the_timeline_is_numbered_by_instant_then_kind_then_id(spark):
    w = _world(spark)
    merchants = silver_df(spark, "merchants", [_merchant("M1", "店铺一"), _merchant("M2", "Shop 2")])
    complaints = w["complaints"].unionByName(silver_df(spark, "complaints", [
        # A consumer's complaint at the same instant as the test buy's verdict: the verdict is told first.
        {"complaint_id": "C2", "source": "consumer", "complaint_type": "other", "listing_id": None,
         "merchant_id": "M1", "reporter_id": "reporter-pseudonym-2", "submitted_at": "2026-10-12T02:00:00Z",
         "outcome": "pending", "updated_at": "2026-10-12T02:00:00Z"}]))
    takedowns = w["takedowns"].unionByName(silver_df(spark, "takedowns", [
        # Two takedowns at one instant: by id.
        {"takedown_id": "T0", "listing_id": "L2", "merchant_id": "M1", "origin": "proactive", "reason": "trademark",
         "taken_down_at": "2026-10-20T17:00:00Z"}]))
    got = tx.timeline(merchants, takedowns, w["test_buys"], complaints, _actions(spark), _decisions(spark), TZ)
    expected = spark.createDataFrame([
        ("M1", 1, "2026-01-01T00:00:00Z", D("2026-01-01"), "registration", "M1", None, "store registered"),
        ("M1", 2, "2026-10-05T02:00:00Z", D("2026-10-05"), "notice", "C1", "L4",
         "trademark, from rights_holder, upheld"),
        ("M1", 3, "2026-10-12T02:00:00Z", D("2026-10-12"), "test_buy", "TB1", "L2", "test buy verdict: counterfeit"),
        ("M1", 4, "2026-10-12T02:00:00Z", D("2026-10-12"), "complaint", "C2", None, "other, from consumer, pending"),
        ("M1", 5, "2026-10-20T17:00:00Z", D("2026-10-21"), "takedown", "T0", "L2", "trademark, proactive"),
        ("M1", 6, "2026-10-20T17:00:00Z", D("2026-10-21"), "takedown", "T1", "L1", "counterfeit, proactive"),
        ("M1", 7, "2026-10-25T00:00:00Z", D("2026-10-25"), "enforcement", "A1", None,
         "closure, counterfeit, reversed on appeal"),
        ("M1", 8, "2026-10-25T00:00:00Z", D("2026-10-25"), "review_decision", "2026-10-24", None,
         "reviewers' decision on the list of 2026-10-24: confirm"),
        ("M1", 9, "2026-11-02T00:00:00Z", D("2026-11-02"), "takedown", "T3", "L3", "copyright, notice"),
        ("M2", 1, "2026-01-01T00:00:00Z", D("2026-01-01"), "registration", "M2", None, "store registered"),
        ("M2", 2, "2026-10-03T00:00:00Z", D("2026-10-03"), "takedown", "T20", "L20", "counterfeit, proactive"),
    ], "merchant_id string, seq int, at string, on date, kind string, event_id string, listing_id string, "
       "detail string")
    assertDataFrameEqual(got, expected)


def test_networks_are_read_on_the_latest_run_date_up_to_the_period_end(spark):
    networks = spark.createDataFrame([
        (D("2026-10-30"), "M1", "N-1", 3, 1, D("2026-10-20"), ["bank_account"]),
        (D("2026-10-30"), "M2", "N-1", 3, 1, D("2026-10-20"), ["bank_account", "contact_phone"]),
        (D("2026-10-30"), "M3", "N-1", 3, 1, D("2026-10-21"), ["contact_phone"]),
        (D("2026-10-30"), "M5", "N-2", 2, 0, D("2026-10-29"), ["contact_email"]),
        (D("2026-10-30"), "M6", "N-2", 2, 0, D("2026-10-29"), ["contact_email"]),
        # After the period's end: not what the store looked like then.
        (D("2026-11-02"), "M1", "N-9", 2, 0, D("2026-11-02"), ["contact_email"]),
        (D("2026-11-02"), "M4", "N-9", 2, 0, D("2026-11-02"), ["contact_email"]),
    ], "run_date date, merchant_id string, network_id string, network_size bigint, closed_members bigint, "
       "first_seen date, link_kinds array<string>")
    latest = tx.latest_networks(networks, D("2026-10-31"))
    assert sorted(r["merchant_id"] for r in latest.collect()) == ["M1", "M2", "M3", "M5", "M6"]
    profiles = tx.store_profile(silver_df(spark, "merchants", [
        _merchant("M1", "A"), _merchant("M2", "店铺二"), _merchant("M3", "C", status="closed")]), TZ)
    assertDataFrameEqual(tx.linked_stores(latest, profiles).where(F.col("merchant_id") == "M1"), spark.createDataFrame([
        ("M1", "M2", "店铺二", "active", ["bank_account", "contact_phone"]),
        ("M1", "M3", "C", "closed", ["contact_phone"]),
    ], "merchant_id string, linked_merchant_id string, store_name string, status string, link_kinds array<string>"))


def test_candidate_history_names_the_run_that_published_each_flag(spark):
    candidates = spark.createDataFrame([
        (D("2026-10-30"), "M1", 2, 0.81, "suspend", ["3 upheld notices"]),
        (D("2026-10-31"), "M1", 1, 0.95, "close", ["counterfeit test buy"]),
        (D("2026-11-01"), "M1", 1, 0.9, "close", ["x"])],   # no published run for that date: not history
        "run_date date, merchant_id string, rank int, risk_score double, recommended_action string, "
        "reasons array<string>")
    runs = spark.createDataFrame([(D("2026-10-30"), "run-a"), (D("2026-10-31"), "run-b")],
                                 "run_date date, run_id string")
    assertDataFrameEqual(tx.candidate_history(candidates, runs), spark.createDataFrame([
        ("M1", D("2026-10-30"), "run-a", 2, 0.81, "suspend", ["3 upheld notices"]),
        ("M1", D("2026-10-31"), "run-b", 1, 0.95, "close", ["counterfeit test buy"]),
    ], "merchant_id string, run_date date, run_id string, rank int, risk_score double, recommended_action string, "
       "reasons array<string>"))


def test_no_personal_column_or_value_reaches_any_output(spark):
    w = _world(spark)
    merchants = silver_df(spark, "merchants", [_merchant("M1", "店铺一"), _merchant("M2", "Shop 2")])
    profiles = tx.store_profile(merchants, TZ)
    networks = spark.createDataFrame([(D("2026-10-30"), "M1", "N-1", 2, 0, D("2026-10-20"), ["bank_account"]),
                                      (D("2026-10-30"), "M2", "N-1", 2, 0, D("2026-10-20"), ["bank_account"])],
                                     "run_date date, merchant_id string, network_id string, network_size bigint, "
                                     "closed_members bigint, first_seen date, link_kinds array<string>")
    outputs = {
        "profile": profiles,
        "details": tx.infringing_details(w["infringing"], w["listings"], TZ),
        "evidence": tx.evidence_details(w["evidence"], w["infringing"], TZ),
        "listing_sales": tx.listing_sales(w["sales"]),
        "months": tx.gmv_by_month(w["sales"]),
        "brands": tx.gmv_by_brand(w["sales"], w["brands"]),
        "statuses": tx.order_statuses(w["orders"], w["infringing"], START, END, TZ),
        "activity": tx.period_activity(w["orders"], w["listings"], START, END, TZ),
        "timeline": tx.timeline(merchants, w["takedowns"], w["test_buys"], w["complaints"], _actions(spark),
                                _decisions(spark), TZ),
        "linked": tx.linked_stores(tx.latest_networks(networks, END), profiles),
    }
    assert list(outputs["profile"].columns) == list(tx.PROFILE_COLUMNS)
    for name, df in outputs.items():
        assert not set(df.columns) & set(tx.PERSONAL_COLUMNS), name
        text = repr([r.asDict(recursive=True) for r in df.collect()])
        for marker in ("legal-", "email-", "phone-", "iddoc-", "bank-M", "buyer-pseudonym", "reporter-pseudonym",
                       "reviewer-pseudonym", "a note naming"):
            assert marker not in text, (name, marker)


def test_a_printed_table_fills_pages_without_splitting_a_row():
    one_line = [(str(i), "detail") for i in range(100)]
    assert [len(p) for p in TextTable("t", ("#", "detail"), (5, 40), one_line, "none").pages(48)] == [48, 48, 4]
    # Rows of three lines: 16 fit on a page of 48 lines; the 17th starts the next page whole.
    three = [(str(i), ["a", "b", "c"]) for i in range(17)]
    assert [len(p) for p in TextTable("t", ("#", "items"), (5, 40), three, "none").pages(48)] == [48, 3]
    assert TextTable("t", ("#",), (5,), [], "none").pages() == [[]]
    # The last column wraps at its width.
    assert TextTable("t", ("#", "x"), (3, 10), [("1", "aaaa bbbb cccc")], "").lines() == [
        [("1", "aaaa bbbb"), ("", "cccc")]]
