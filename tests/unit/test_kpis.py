"""Unit tests of the enforcement KPIs: definitions, edge cases at 24 h, and Asia/Shanghai day boundaries."""
from __future__ import annotations

import datetime

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.columns import market_date
from ipr_guard.transforms.kpis import enforcement_kpis
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
D30, D31, N01 = datetime.date(2026, 10, 30), datetime.date(2026, 10, 31), datetime.date(2026, 11, 1)

KPI_SCHEMA = T.StructType([
    T.StructField("kpi_date", T.DateType()),
    T.StructField("stores_closed", T.LongType()),
    T.StructField("proactive_takedowns", T.LongType()),
    T.StructField("proactive_before_first_sale", T.LongType()),
    T.StructField("proactive_before_first_sale_share", T.DoubleType()),
    T.StructField("notice_requests", T.LongType()),
    T.StructField("notice_processed_within_24h", T.LongType()),
    T.StructField("notice_processed_within_24h_share", T.DoubleType()),
])


def _days(spark, *days):
    return spark.createDataFrame([(d,) for d in days], "kpi_date DATE")


def _td(tid, listing, at, origin="proactive"):
    return {"takedown_id": tid, "listing_id": listing, "merchant_id": "M1", "origin": origin,
            "reason": "counterfeit", "taken_down_at": at}


def _order(oid, listing, at, status):
    return {"order_id": oid, "listing_id": listing, "merchant_id": "M1", "quantity": 1, "amount": 10.0,
            "created_at": at, "status": status, "updated_at": at}


def _notice(cid, submitted, processed, source="rights_holder"):
    return {"complaint_id": cid, "source": source, "complaint_type": "counterfeit", "merchant_id": "M1",
            "submitted_at": submitted, "processed_at": processed, "outcome": "upheld",
            "updated_at": processed or submitted}


def _action(aid, merchant, at, action="closure", reversed_=False):
    return {"action_id": aid, "merchant_id": merchant, "action": action, "reason": "counterfeit",
            "decided_at": at, "reversed": reversed_, "updated_at": at}


@pytest.fixture()
def inputs(spark):
    takedowns = silver_df(spark, "takedowns", [
        _td("T1", "L1", "2026-10-31T02:00:00Z"),  # only a CANCELLED order before it: before first sale
        _td("T2", "L2", "2026-10-31T03:00:00Z"),  # a paid order before it: not before first sale
        _td("T3", "L3", "2026-10-31T04:00:00Z"),  # the paid order comes after it: before first sale
        _td("T4", "L4", "2026-10-30T16:30:00Z"),  # 00:30 on 10-31 in Shanghai, never ordered
        _td("T5", "L5", "2026-10-30T15:59:59Z"),  # 23:59:59 on 10-30 in Shanghai, never ordered
        _td("T6", "L6", "2026-10-30T10:00:00Z"),  # a refunded order before it is a sale too
        _td("T7", "L7", "2026-10-31T05:00:00Z", origin="notice"),  # not proactive
    ])
    orders = silver_df(spark, "orders", [
        _order("O1", "L1", "2026-10-31T01:00:00Z", "cancelled"),
        _order("O2", "L2", "2026-10-30T20:00:00Z", "paid"),
        _order("O3", "L3", "2026-10-31T05:00:00Z", "paid"),
        _order("O4", "L3", "2026-10-31T03:00:00Z", "cancelled"),
        _order("O5", "L6", "2026-10-30T09:00:00Z", "refunded"),
    ])
    complaints = silver_df(spark, "complaints", [
        _notice("C1", "2026-10-31T01:00:00Z", "2026-11-01T01:00:00Z"),  # exactly 24 h: in time
        _notice("C2", "2026-10-31T02:00:00Z", "2026-11-01T02:00:01Z"),  # 24 h + 1 s: late
        _notice("C3", "2026-10-31T03:00:00Z", None),                    # not processed
        _notice("C4", "2026-10-30T16:30:00Z", "2026-10-30T17:00:00Z"),  # 10-31 in Shanghai
        _notice("C5", "2026-10-31T03:00:00Z", "2026-10-31T04:00:00Z", source="consumer"),
        _notice("C6", "2026-10-30T15:00:00Z", "2026-10-30T16:00:00Z"),  # 23:00 on 10-30 in Shanghai
    ])
    actions = silver_df(spark, "enforcement_actions", [
        _action("A1", "M1", "2026-10-31T01:00:00Z"),
        _action("A2", "M2", "2026-10-31T02:00:00Z", reversed_=True),  # overturned: not counted
        _action("A3", "M3", "2026-10-30T16:30:00Z", reversed_=None),  # null reversed counts; 10-31 there
        _action("A4", "M1", "2026-10-31T05:00:00Z"),                  # same store again: distinct stores
        _action("A5", "M4", "2026-10-31T05:00:00Z", action="suspension"),
        _action("A6", "M5", "2026-10-30T15:00:00Z"),
    ])
    return takedowns, orders, complaints, actions


def test_market_date_uses_marketplace_day(spark):
    df = silver_df(spark, "takedowns", [
        _td("T1", "L1", "2026-10-30T16:30:00Z"),
        _td("T2", "L2", "2026-10-30T15:59:59Z"),
    ])
    out = df.select("takedown_id", market_date(F.col("taken_down_at"), TZ).alias("day"))
    assertDataFrameEqual(out, spark.createDataFrame([("T1", D31), ("T2", D30)], "takedown_id STRING, day DATE"))


def test_enforcement_kpis(spark, inputs):
    takedowns, orders, complaints, actions = inputs
    out = enforcement_kpis(_days(spark, D30, D31, N01), takedowns, orders, complaints, actions, TZ)
    expected = spark.createDataFrame([
        (D30, 1, 2, 1, 0.5, 1, 1, 1.0),
        (D31, 2, 4, 3, 0.75, 4, 2, 0.5),
        (N01, 0, 0, 0, None, 0, 0, None),  # a day without events: zeros and null shares
    ], KPI_SCHEMA)
    assert out.columns == KPI_SCHEMA.fieldNames()
    assertDataFrameEqual(out, expected)


def test_only_requested_days_and_all_of_them(spark, inputs):
    takedowns, orders, complaints, actions = inputs
    out = enforcement_kpis(_days(spark, N01, datetime.date(2026, 11, 2)), takedowns, orders, complaints,
                           actions, TZ)
    expected = spark.createDataFrame([
        (N01, 0, 0, 0, None, 0, 0, None),
        (datetime.date(2026, 11, 2), 0, 0, 0, None, 0, 0, None),
    ], KPI_SCHEMA)
    assertDataFrameEqual(out, expected)


def test_empty_inputs_give_zero_rows_per_day(spark):
    out = enforcement_kpis(
        _days(spark, D31),
        silver_df(spark, "takedowns", []), silver_df(spark, "orders", []),
        silver_df(spark, "complaints", []), silver_df(spark, "enforcement_actions", []), TZ,
    )
    assertDataFrameEqual(out, spark.createDataFrame([(D31, 0, 0, 0, None, 0, 0, None)], KPI_SCHEMA))
