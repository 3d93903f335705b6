"""Figures logged with each training run. Each takes a small pandas frame and returns a Figure (no pyplot)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def precision_recall_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every distinct score used as threshold (`score >= t`), highest first.

    Returns:
        (precision, recall) arrays, starting at recall 0 (precision 1 by convention).
    """
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    tp, fp = np.cumsum(y == 1), np.cumsum(y != 1)
    # Only the last row of a run of tied scores is a threshold the model can actually realize.
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp, fp = tp[last_of_tie], fp[last_of_tie]
    positives = max(int((y == 1).sum()), 1)
    return np.r_[1.0, tp / np.maximum(tp + fp, 1)], np.r_[0.0, tp / positives]


def pr_curve_figure(pdf: pd.DataFrame, threshold: float | None = None) -> Figure:
    """The precision-recall curve of `score` against `label`, with the operating point marked if given.

    Args:
        pdf: columns label (0/1) and score (probability of class 1).
        threshold: the operating threshold to mark.
    """
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    if not pdf.empty:
        labels, scores = pdf["label"].to_numpy(float), pdf["score"].to_numpy(float)
        precision, recall = precision_recall_points(labels, scores)
        ax.step(recall, precision, where="post", color="#1f618d")
        base = float((labels == 1).mean())
        ax.axhline(base, color="grey", linestyle=":", label=f"positive share {base:.2f}")
        if threshold is not None:
            flagged = scores >= threshold
            tp = float(((labels == 1) & flagged).sum())
            p = tp / flagged.sum() if flagged.any() else 0.0
            r = tp / max((labels == 1).sum(), 1)
            ax.plot([r], [p], "o", color="#b03a2e", label=f"threshold {threshold:g}")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_title("Precision-recall on validation")
    fig.tight_layout()
    return fig


def score_distribution_figure(pdf: pd.DataFrame, threshold: float | None = None) -> Figure:
    """Histograms of `score` for negatives and positives, on a shared 0-1 axis.

    Args:
        pdf: columns label (0/1) and score.
        threshold: the operating threshold to mark.
    """
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    bins = np.linspace(0, 1, 21)
    for value, name, color in ((0, "negatives", "#7f8c8d"), (1, "positives", "#b03a2e")):
        scores = pdf.loc[pdf["label"] == value, "score"] if not pdf.empty else pd.Series(dtype=float)
        if len(scores):
            # Density, not counts: positives are rare and would vanish beside the negatives.
            ax.hist(scores, bins=bins, alpha=0.6, density=True, color=color, label=f"{name} ({len(scores)})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.set_xlabel("score (probability of counterfeit seller)")
    ax.set_ylabel("density")
    ax.set_title("Score distribution on validation")
    fig.tight_layout()
    return fig


def feature_importance_figure(pdf: pd.DataFrame, top: int = 25) -> Figure:
    """Horizontal bars of the `top` most important features, most important at the top.

    Args:
        pdf: columns feature and importance.
        top: how many features to show.
    """
    shown = pdf.sort_values("importance", ascending=False, kind="stable").head(top) if not pdf.empty else pdf
    fig = Figure(figsize=(7, max(2.5, 0.3 * len(shown) + 1.2)))
    ax = fig.subplots()
    if not shown.empty:
        ax.barh(shown["feature"].astype(str)[::-1], shown["importance"][::-1], color="#1f618d")
    ax.set_xlabel("importance")
    ax.set_title("Feature importance")
    fig.tight_layout()
    return fig
