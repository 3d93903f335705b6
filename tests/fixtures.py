"""Builders that unit and integration tests share: model examples and a full report's inputs.

Test modules import these from here, never from one another.
"""
from __future__ import annotations

import datetime as dt
import random

import pandas as pd

from ipr_guard.reports import ReportData

# Model examples: two informative features and one that carries nothing.
FEATURES = ["upheld_notices", "price_gap", "noise"]
FIRST_DAY = dt.date(2026, 9, 1)
# The report's run date and the list it is compared with.
D = dt.date(2026, 10, 31)
PREVIOUS = dt.date(2026, 10, 30)


def model_rows(n: int = 200, seed: int = 7) -> list[tuple]:
    """Positives (30%) have clearly higher values of the first two features; `noise` carries nothing."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = 1.0 if rng.random() < 0.3 else 0.0
        rows.append((f"M{i:04d}", FIRST_DAY + dt.timedelta(days=i % 60), label, rng.choice(["个人", "Enterprise"]),
                     rng.gauss(2.0 if label else 0.0, 0.7), rng.gauss(1.5 if label else 0.0, 1.0), rng.random()))
    return rows


def sample_candidates() -> pd.DataFrame:
    """Three candidates of D as gold closure_candidates holds them (reasons and rules as lists)."""
    base = {"run_date": D, "model_name": "ipr_guard_counterfeit_seller", "model_version": "3",
            "reused_image_listings": 0, "low_price_listings": 0, "branded_listings": 1}
    rows = [
        {**base, "rank": 1, "merchant_id": "m-aaa", "store_name": "耐克高仿专卖店", "risk_score": 0.95,
         "recommended_action": "close", "reasons": ["counterfeit test buy on 2026-10-20", "3 upheld notices"],
         "rules_fired": ["counterfeit_test_buy"], "counterfeit_test_buys": 1, "upheld_notices_30d": 3,
         "linked_closed_stores": 0, "model_score": 0.91, "low_price_listings": 4},
        {**base, "rank": 2, "merchant_id": "m-bbb", "store_name": "Shop, \"Quoted\"", "risk_score": 0.85,
         "recommended_action": "suspend", "reasons": ["shares a bank account with closed store m-zzz"],
         "rules_fired": ["shared_identity"], "counterfeit_test_buys": 0, "upheld_notices_30d": 0,
         "linked_closed_stores": 1, "model_score": 0.4},
        {**base, "rank": 3, "merchant_id": "m-ccc", "store_name": "小店", "risk_score": 0.3,
         "recommended_action": "review", "reasons": [], "rules_fired": [], "counterfeit_test_buys": 0,
         "upheld_notices_30d": 1, "linked_closed_stores": 0, "model_score": float("nan")},
    ]
    return pd.DataFrame(rows)


def sample_report() -> ReportData:
    """A full report's inputs: 3 candidates (m-aaa new, m-bbb still listed, m-old dropped), 10 KPI days."""
    days = [D - dt.timedelta(days=i) for i in range(9, -1, -1)]
    kpis = pd.DataFrame({
        "kpi_date": days, "stores_closed": [0, 1, 2, 0, 3, 1, 0, 0, 2, 1],
        "proactive_takedowns": [4] * 10, "proactive_before_first_sale": [3] * 10,
        "proactive_before_first_sale_share": [0.75] * 10, "notice_requests": [2] * 9 + [0],
        "notice_processed_within_24h": [2] * 9 + [0], "notice_processed_within_24h_share": [1.0] * 9 + [None]})
    validation = pd.DataFrame({"score": [0.9, 0.6, 0.3, 0.1], "positives": [3, 1, 1, 0],
                               "negatives": [0, 1, 4, 20]})
    bins = pd.DataFrame({"group": ["tonight: open stores"] * 3 + ["validation: positives"] * 2,
                         "bin": [0.0, 0.3, 0.9, 0.6, 0.9], "stores": [50, 5, 1, 1, 3]})
    drift = pd.DataFrame({"feature": ["score", "upheld_notices_30d"], "psi": [0.31, 0.02],
                          "threshold": [0.2, 0.2], "flagged": [True, False]})
    quality = pd.DataFrame({"table": ["gold.closure_candidates", "silver.orders"], "expectations": [5, 8],
                            "passed": [5, 7], "critical_failed": [0, 0], "warnings_failed": [0, 1]})
    return ReportData(
        run_date=D, candidates=sample_candidates(), kpis=kpis, run_id="2026-10-31-abcd1234",
        previous_date=PREVIOUS, previous_ids=frozenset({"m-bbb", "m-old"}), validation=validation,
        score_bins=bins, drift=drift, quality=quality,
        quality_failures=["silver.orders: expect_column_values_to_reference_existing_keys(listing_id) failed"],
        model="ipr_guard_counterfeit_seller v3", threshold=0.2,
        targets={"proactive_before_first_sale_share": 0.8, "notice_processed_within_24h_share": 0.95})
