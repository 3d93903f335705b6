"""Quality of the published lists against a generated marketplace's ground truth (small pandas frames).

The truth (`truth/merchants.csv`, `truth/listings.csv`) is never read by the pipeline; only evaluation
compares with it. A store closed by the end of D is never listed, so store metrics are over the stores
still open at the end of D ("active").
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NON_COUNTERFEIT_KINDS = ("honest", "authorized_reseller", "grey_importer")


def active_stores(truth: pd.DataFrame, run_date: dt.date) -> pd.DataFrame:
    """Stores not closed by the end of D, with a boolean `counterfeiter` column."""
    closed_on = pd.to_datetime(truth["closed_on"].replace("", np.nan), errors="coerce").dt.date
    still_open = closed_on.isna() | (closed_on > run_date)
    out = truth.loc[still_open, ["merchant_id", "kind"]].copy()
    out["counterfeiter"] = truth.loc[still_open, "is_counterfeiter"].astype(str).str.lower().eq("true").to_numpy()
    return out.reset_index(drop=True)


def list_quality(listed: set[str], active: pd.DataFrame, abusive_notice_stores: set[str]) -> dict:
    """Precision, recall of active counterfeiters, and the share listed of each kind of store.

    Args:
        listed: merchant ids on the list.
        active: `active_stores` of the same date.
        abusive_notice_stores: non-counterfeiters that received a rights-holder notice later rejected.

    Returns:
        listed, true_positives, precision, recall, counterfeiters_active, per_kind {kind: {stores, listed,
        share}}, abusive_notice_stores {stores, listed, share}.
    """
    is_listed = active["merchant_id"].isin(listed)
    tp = int((is_listed & active["counterfeiter"]).sum())
    n_listed = int(is_listed.sum())
    positives = int(active["counterfeiter"].sum())
    per_kind = {}
    for kind, group in active.groupby("kind", sort=True):
        hit = int(group["merchant_id"].isin(listed).sum())
        per_kind[kind] = {"stores": len(group), "listed": hit, "share": round(hit / len(group), 4)}
    honest_abused = active.loc[~active["counterfeiter"] & active["merchant_id"].isin(abusive_notice_stores)]
    abused_hit = int(honest_abused["merchant_id"].isin(listed).sum())
    return {
        "listed": n_listed, "true_positives": tp,
        "precision": round(tp / n_listed, 4) if n_listed else None,
        "recall": round(tp / positives, 4) if positives else None,
        "counterfeiters_active": positives,
        "per_kind": per_kind,
        "abusive_notice_stores": {"stores": len(honest_abused), "listed": abused_hit,
                                  "share": round(abused_hit / len(honest_abused), 4) if len(honest_abused) else None},
    }


def recall_at_precision(scores: pd.DataFrame, active: pd.DataFrame, min_precision: float) -> dict:
    """The best recall of any score cut-off whose list keeps precision >= `min_precision`.

    Args:
        scores: merchant_id, score (every active store; a missing store counts as never listed).
        active: `active_stores`.
        min_precision: the precision to hold.

    Returns:
        recall, precision and threshold of that cut-off (recall 0 when none reaches the precision).
    """
    frame = active.merge(scores, on="merchant_id", how="left").fillna({"score": -1.0})
    frame = frame.sort_values(["score", "merchant_id"], ascending=[False, True])
    tp = frame["counterfeiter"].cumsum().to_numpy()
    n = np.arange(1, len(frame) + 1)
    positives = max(int(frame["counterfeiter"].sum()), 1)
    precision = tp / n
    # Only cut between distinct scores: a threshold cannot split stores with equal scores.
    last_of_score = np.r_[frame["score"].to_numpy()[1:] != frame["score"].to_numpy()[:-1], True]
    ok = (precision >= min_precision) & last_of_score & (frame["score"].to_numpy() >= 0)
    if not ok.any():
        return {"recall": 0.0, "precision": None, "threshold": None}
    best = int(np.flatnonzero(ok)[np.argmax(tp[ok])])
    return {"recall": round(float(tp[best]) / positives, 4), "precision": round(float(precision[best]), 4),
            "threshold": float(frame["score"].iloc[best])}


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision (area under the step PR curve), ties broken pessimistically."""
    labels = np.asarray(labels, dtype=bool)
    if labels.sum() == 0:
        return None
    order = np.lexsort((labels, -np.asarray(scores, dtype=float)))  # equal scores: negatives first
    hits = labels[order]
    precision_at_hit = np.cumsum(hits)[hits] / (np.flatnonzero(hits) + 1)
    return round(float(precision_at_hit.mean()), 4)
