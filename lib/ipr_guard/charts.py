"""Every chart the project draws: the reviewers' report, `ipr-guard kpis` and the plots of each MLflow training run.

Each figure function takes a small pandas frame (aggregated in Spark, or a bounded sample) and returns a
matplotlib Figure built without pyplot, so no global figure state is kept between calls or threads.
Nothing here imports another ipr_guard module: the report and the model registry both depend on it.
"""
from __future__ import annotations

import base64
import io

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

RED, BLUE, GREY, GREEN = "#b03a2e", "#1f618d", "#7f8c8d", "#1e8449"
SCORE_BINS = 20


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """A figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def data_uri(fig: Figure) -> str:
    """A figure as a base64 PNG data URI (the report needs no network and no side files)."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def _date_axis(ax, days: pd.Series) -> None:
    # A fixed window around the days shown: a lone valid share would otherwise get a multi-year axis.
    ax.set_xlim(days.min() - pd.Timedelta(hours=18), days.max() + pd.Timedelta(hours=18))
    # Whole days only: a short window would otherwise get hourly ticks.
    span = (days.max() - days.min()).days
    if span <= 14:
        ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def stores_closed_figure(kpis: pd.DataFrame) -> Figure:
    """Stores closed per day.

    Args:
        kpis: columns kpi_date and stores_closed, one row per day.
    """
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots()
    if kpis.empty:
        _empty(ax, "no KPIs in this window")
    else:
        days = pd.to_datetime(kpis["kpi_date"])
        ax.bar(days, kpis["stores_closed"], width=0.8, color=RED)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("stores closed")
        _date_axis(ax, days)
    ax.set_title("Stores closed per day")
    fig.tight_layout()
    return fig


def share_figure(kpis: pd.DataFrame, column: str, title: str, target: float | None) -> Figure:
    """A daily share (0-1) with its target line; days without a denominator (share null) are gaps.

    Args:
        kpis: columns kpi_date and `column`.
        column: the share to draw, e.g. proactive_before_first_sale_share.
        title: the chart's title.
        target: the target share from conf, drawn as a dashed line (None: no line).
    """
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots()
    if kpis.empty:
        _empty(ax, "no KPIs in this window")
    else:
        days = pd.to_datetime(kpis["kpi_date"])
        values = pd.to_numeric(kpis[column], errors="coerce")
        ax.plot(days, values, marker=".", color=BLUE, label="daily share")
        if target is not None:
            ax.axhline(target, color=GREEN, linestyle="--", label=f"target {target:.0%}")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share")
        ax.legend(loc="lower left", fontsize=8)
        _date_axis(ax, days)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def pr_points(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall with each distinct score as threshold (`score >= t`), highest score first.

    Args:
        counts: columns score, positives, negatives (validation rows aggregated per score).

    Returns:
        (precision, recall), starting at recall 0 with precision 1 by convention.
    """
    ordered = counts.sort_values("score", ascending=False, kind="stable")
    tp = ordered["positives"].to_numpy(float).cumsum()
    fp = ordered["negatives"].to_numpy(float).cumsum()
    total = max(tp[-1] if len(tp) else 0.0, 1.0)
    return np.r_[1.0, tp / np.maximum(tp + fp, 1.0)], np.r_[0.0, tp / total]


def score_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Scored rows (columns label 0/1, score) as the counts per score that `pr_points` takes."""
    positive = rows["label"] == 1
    return (pd.DataFrame({"score": rows["score"].astype(float), "positives": positive.astype(int),
                          "negatives": (~positive).astype(int)})
            .groupby("score", as_index=False)[["positives", "negatives"]].sum())


def pr_curve_figure(counts: pd.DataFrame, threshold: float | None = None,
                    empty_text: str = "no model yet") -> Figure:
    """A precision-recall curve on validation data, the operating point marked.

    Args:
        counts: columns score, positives, negatives (see `pr_points`; `score_counts` makes them from rows).
        threshold: the operating threshold to mark.
        empty_text: what the chart says when there are no counts.
    """
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    if counts.empty:
        _empty(ax, empty_text)
    else:
        precision, recall = pr_points(counts)
        ax.step(recall, precision, where="post", color=BLUE)
        pos, neg = counts["positives"].sum(), counts["negatives"].sum()
        ax.axhline(pos / max(pos + neg, 1), color=GREY, linestyle=":", label=f"positive share {pos / max(pos + neg, 1):.2f}")
        if threshold is not None:
            above = counts[counts["score"] >= threshold]
            tp, flagged = above["positives"].sum(), above["positives"].sum() + above["negatives"].sum()
            ax.plot([tp / max(pos, 1)], [tp / flagged if flagged else 0.0], "o", color=RED,
                    label=f"threshold {threshold:g}")
        ax.legend(loc="lower left", fontsize=8)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
    ax.set_title("Precision-recall on validation")
    fig.tight_layout()
    return fig


def score_bins_by_label(rows: pd.DataFrame) -> pd.DataFrame:
    """Validation rows (columns label 0/1, score) as the counts per bin that `score_distribution_figure` takes.

    Bins and group names are those of the report's Spark aggregation (`pipelines.report_step.score_bins`):
    the lower edge of one of `SCORE_BINS` equal bins of 0-1 (a score of 1 in the last bin), and the groups
    "validation: negatives" and "validation: positives".

    Args:
        rows: columns label and score.

    Returns:
        Columns group, bin, stores (count); empty for empty rows.
    """
    group = np.where(rows["label"].to_numpy() == 1, "validation: positives", "validation: negatives")
    lower = np.minimum(np.floor(rows["score"].to_numpy(float) * SCORE_BINS), SCORE_BINS - 1) / SCORE_BINS
    return (pd.DataFrame({"group": group, "bin": lower, "stores": np.ones(len(rows), dtype=int)})
            .groupby(["group", "bin"], as_index=False)["stores"].sum())


def score_distribution_figure(bins: pd.DataFrame, threshold: float | None = None) -> Figure:
    """Score histograms (as shares of each group) on a shared 0-1 axis.

    Args:
        bins: columns group (e.g. "validation: positives", "tonight: open stores"), bin (the lower edge of
            one of `SCORE_BINS` equal bins of 0-1) and stores (count).
        threshold: the operating threshold to mark.
    """
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    if bins.empty:
        _empty(ax, "no scores yet")
    else:
        colors = {0: BLUE, 1: GREY, 2: RED, 3: GREEN}
        edges = np.linspace(0, 1, SCORE_BINS + 1)
        for i, (group, rows) in enumerate(bins.groupby("group", sort=True)):
            counts = np.zeros(SCORE_BINS)
            slots = np.clip(np.rint(rows["bin"].to_numpy(float) * SCORE_BINS).astype(int), 0, SCORE_BINS - 1)
            np.add.at(counts, slots, rows["stores"].to_numpy(float))
            # Shares, not counts: positives are rare and would vanish beside the open stores.
            ax.stairs(counts / counts.sum(), edges, color=colors[i % 4], linewidth=1.8,
                      label=f"{group} ({int(counts.sum())})")
        if threshold is not None:
            ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
        ax.set_xlim(0, 1)
        ax.set_xlabel("score (probability of counterfeit seller)")
        ax.set_ylabel("share of group")
        ax.legend(fontsize=8)
    ax.set_title("Score distribution")
    fig.tight_layout()
    return fig


def drift_figure(drift: pd.DataFrame) -> Figure:
    """Population stability index per feature against the training data; flagged features in red.

    Args:
        drift: columns feature, psi, threshold, flagged.
    """
    shown = drift.sort_values("psi", ascending=True, kind="stable") if not drift.empty else drift
    fig = Figure(figsize=(6, max(2.5, 0.3 * len(shown) + 1.2)))
    ax = fig.subplots()
    if shown.empty:
        _empty(ax, "no drift measured")
    else:
        ax.barh(shown["feature"].astype(str), shown["psi"], color=[RED if f else BLUE for f in shown["flagged"]])
        for t in sorted(set(shown["threshold"].dropna())):
            ax.axvline(t, color="black", linestyle="--", label=f"threshold {t:g}")
        ax.set_xlabel("PSI against training")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    ax.set_title("Drift against training")
    fig.tight_layout()
    return fig


def feature_importance_figure(importance: pd.DataFrame, top: int = 25) -> Figure:
    """Horizontal bars of the `top` most important features, most important at the top.

    Args:
        importance: columns feature and importance.
        top: how many features to show.
    """
    shown = (importance.sort_values("importance", ascending=False, kind="stable").head(top)
             if not importance.empty else importance)
    fig = Figure(figsize=(7, max(2.5, 0.3 * len(shown) + 1.2)))
    ax = fig.subplots()
    if not shown.empty:
        ax.barh(shown["feature"].astype(str)[::-1], shown["importance"][::-1], color=BLUE)
    ax.set_xlabel("importance")
    ax.set_title("Feature importance")
    fig.tight_layout()
    return fig


# Store and brand names are often Chinese, which DejaVu Sans (matplotlib's default) cannot draw; a CJK font
# is used as fallback where one is installed (.ci/run installs WenQuanYi Zen Hei), otherwise such glyphs
# come out as boxes.
CJK_FAMILIES = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei",
                "Microsoft YaHei")


def text_families(base: str = "DejaVu Sans") -> list[str]:
    """Font families for text that may hold Chinese: `base`, then the installed CJK fallbacks."""
    from matplotlib import font_manager
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [base] + [f for f in CJK_FAMILIES if f in installed]


def _gmv_month_axes(ax, months: pd.DataFrame) -> None:
    if months.empty or not float(months["infringing_gmv"].sum()):
        _empty(ax, "no infringing sales in the period")
    else:
        ax.bar(months["month"].astype(str), months["infringing_gmv"].astype(float), color=RED)
        ax.set_ylabel("infringing GMV (CNY)")
        ax.tick_params(axis="x", labelrotation=45 if len(months) > 6 else 0)
    ax.set_title("Infringing GMV per month (paid orders, market time)")


def _gmv_brand_axes(ax, brands: pd.DataFrame) -> None:
    shown = brands.sort_values(["infringing_gmv", "brand"], ascending=[True, False], kind="stable") \
        if not brands.empty else brands
    if shown.empty:
        _empty(ax, "no infringing sales in the period")
    else:
        ax.barh(range(len(shown)), shown["infringing_gmv"].astype(float), color=BLUE)
        # parse_math off: a "$" in a brand's name is text, not the start of a formula.
        ax.set_yticks(range(len(shown)), shown["brand"].astype(str).tolist(), fontfamily=text_families(),
                      parse_math=False)
        ax.set_xlabel("infringing GMV (CNY)")
    ax.set_title("Infringing GMV per brand")


def gmv_by_month_figure(months: pd.DataFrame) -> Figure:
    """Infringing GMV per calendar month of the period.

    Args:
        months: columns month (`YYYY-MM`) and infringing_gmv, one row per month of the period, in order.
    """
    fig = Figure(figsize=(8, 3))
    _gmv_month_axes(fig.subplots(), months)
    fig.tight_layout()
    return fig


def gmv_by_brand_figure(brands: pd.DataFrame) -> Figure:
    """Infringing GMV per brand, the largest at the top.

    Args:
        brands: columns brand (the label: name and id) and infringing_gmv, one row per brand sold.
    """
    fig = Figure(figsize=(8, max(2.5, 0.35 * len(brands) + 1.2)))
    _gmv_brand_axes(fig.subplots(), brands)
    fig.tight_layout()
    return fig


def gmv_page_figure(months: pd.DataFrame, brands: pd.DataFrame, title: str,
                    size: tuple[float, float] = (8.27, 11.69)) -> Figure:
    """Both GMV charts on one page (A4 portrait by default), for a printed dossier.

    Args:
        months: as `gmv_by_month_figure` takes.
        brands: as `gmv_by_brand_figure` takes.
        title: the page's heading.
        size: the page in inches.
    """
    fig = Figure(figsize=size)
    month_ax, brand_ax = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.3]})
    _gmv_month_axes(month_ax, months)
    _gmv_brand_axes(brand_ax, brands)
    fig.suptitle(title, fontfamily=text_families(), fontsize=13, parse_math=False)
    fig.tight_layout(rect=(0.04, 0.04, 0.96, 0.95))
    return fig
