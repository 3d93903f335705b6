"""Figures logged with each training run. Each takes a small pandas frame and returns a Figure (no pyplot)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ipr_guard.reports import charts


def pr_curve_figure(pdf: pd.DataFrame, threshold: float | None = None) -> Figure:
    """The precision-recall curve of `score` against `label` (the report's chart, from rows).

    Args:
        pdf: columns label (0/1) and score (probability of class 1).
        threshold: the operating threshold to mark.
    """
    return charts.pr_curve_figure(charts.score_counts(pdf), threshold, empty_text="no validation rows")


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
