"""Evaluation against ground truth: hand-counted precision, recall, recall at precision, average precision."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ipr_guard.evaluation.metrics import active_stores, average_precision, list_quality, recall_at_precision

D = dt.date(2026, 10, 31)
TRUTH = pd.DataFrame({
    "merchant_id": ["C1", "C2", "C3", "C4", "H1", "H2", "R1", "G1"],
    "kind": ["loud_counterfeiter", "quiet_counterfeiter", "reregistered", "loud_counterfeiter", "honest", "honest",
             "authorized_reseller", "grey_importer"],
    "is_counterfeiter": ["true", "true", "true", "true", "false", "false", "false", "false"],
    # C4 was closed on D: not active, never listable; C3 is closed only after D.
    "closed_on": ["", "", "2026-11-05", "2026-10-31", "", "", "", ""],
})


def test_active_stores_leave_out_stores_closed_by_the_run_date():
    active = active_stores(TRUTH, D)
    assert list(active["merchant_id"]) == ["C1", "C2", "C3", "H1", "H2", "R1", "G1"]
    assert list(active["counterfeiter"]) == [True, True, True, False, False, False, False]


def test_list_quality_counts_by_hand():
    q = list_quality({"C1", "C2", "G1"}, active_stores(TRUTH, D), abusive_notice_stores={"G1", "H2", "C1"})
    assert (q["listed"], q["true_positives"], q["precision"], q["recall"]) == (3, 2, 0.6667, 0.6667)
    assert q["per_kind"]["grey_importer"] == {"stores": 1, "listed": 1, "share": 1.0}
    assert q["per_kind"]["honest"] == {"stores": 2, "listed": 0, "share": 0.0}
    # C1 got an abusive-looking notice but is a counterfeiter: only G1 and H2 count.
    assert q["abusive_notice_stores"] == {"stores": 2, "listed": 1, "share": 0.5}


def test_recall_at_precision_cuts_between_distinct_scores():
    scores = pd.DataFrame({"merchant_id": ["C1", "C2", "H1", "C3", "H2"], "score": [0.9, 0.8, 0.8, 0.7, 0.1]})
    active = active_stores(TRUTH, D)
    # Cut after 0.9: 1/1 precision, recall 1/3; after 0.8 (C2 and H1 tie): 2/3; after 0.7: 3/4.
    assert recall_at_precision(scores, active, 1.0) == {"recall": 0.3333, "precision": 1.0, "threshold": 0.9}
    assert recall_at_precision(scores, active, 0.7) == {"recall": 1.0, "precision": 0.75, "threshold": 0.7}
    assert recall_at_precision(scores.assign(score=0.5), active, 0.9)["recall"] == 0.0


def test_average_precision_by_hand():
    # Ranked: pos, neg, pos, neg -> precisions at the hits 1/1 and 2/3.
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == round((1 + 2 / 3) / 2, 4)
    # A tie between a positive and a negative counts the negative first.
    assert average_precision(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert average_precision(np.array([0, 0]), np.array([0.5, 0.4])) is None
