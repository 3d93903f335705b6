"""Enforcement labels: which (store, as-of date) pairs are positive, negative or left out."""
from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.labels import closure_labels, snapshot_dates
from tests.unit.builders import silver_df

D = dt.date(2026, 10, 31)
TZ = "Asia/Shanghai"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_snapshots_step_back_from_the_run_date_after_a_warm_up():
    assert snapshot_dates(D, d("2026-09-01"), 7, 14) == [
        d("2026-09-19"), d("2026-09-26"), d("2026-10-03"), d("2026-10-10"), d("2026-10-17"), d("2026-10-24")]
    assert snapshot_dates(D, d("2026-10-25"), 7, 14) == []


def test_labels_from_closures_reversals_and_snapshots(spark):
    reg = "2026-01-01T00:00:00Z"
    merchants = silver_df(spark, "merchants", [
        {"merchant_id": m, "store_name": m, "registered_at": reg, "updated_at": reg} for m in ("M1", "M2", "M3", "M4", "M6")
    ] + [{"merchant_id": "M5", "store_name": "M5", "registered_at": "2026-10-20T01:00:00+08:00", "updated_at": reg}])

    def action(aid, m, reason, decided, reversed_=False):
        return {"action_id": aid, "merchant_id": m, "action": "closure", "reason": reason, "decided_at": decided,
                "reversed": reversed_, "updated_at": decided}

    actions = silver_df(spark, "enforcement_actions", [
        action("A1", "M1", "counterfeit", "2026-10-20T10:00:00+08:00"),
        action("A2", "M2", "ipr_infringement", "2026-10-15T10:00:00+08:00", reversed_=True),
        action("A3", "M3", "fraud", "2026-10-05T10:00:00+08:00"),
        # Decided after D: not known to a training run for D.
        action("A6", "M6", "counterfeit", "2026-11-02T10:00:00+08:00"),
        # 2026-10-31 23:30 in Shanghai is still D, though 15:30 UTC: known, but its as-of date is D - 1.
        action("A7", "M4", "other", "2026-10-31T23:30:00+08:00"),
    ])
    got = closure_labels(merchants, actions, D, d("2026-09-01"), [d("2026-10-10"), d("2026-10-24")], TZ,
                         ("counterfeit", "ipr_infringement"))
    expected = spark.createDataFrame([
        ("M1", d("2026-10-19"), 1.0, "closure"), ("M1", d("2026-10-10"), 1.0, "snapshot"),
        ("M2", d("2026-10-14"), 0.0, "reversed_closure"), ("M2", d("2026-10-10"), 0.0, "snapshot"),
        ("M2", d("2026-10-24"), 0.0, "snapshot"),
        ("M4", d("2026-10-10"), 0.0, "snapshot"), ("M4", d("2026-10-24"), 0.0, "snapshot"),
        ("M5", d("2026-10-24"), 0.0, "snapshot"),
        ("M6", d("2026-10-10"), 0.0, "snapshot"), ("M6", d("2026-10-24"), 0.0, "snapshot"),
    ], "merchant_id string, as_of_date date, label double, label_source string")
    # M3 was closed (for fraud) before both snapshots and never for IPR reasons: no example at all.
    # M4's closure on D for a reason that is not IPR closes it after both snapshots: negatives.
    assertDataFrameEqual(got, expected)
