"""Column expressions the transforms share: market days, sales, standing closures, shares, actions, keywords.

Silver timestamps are UTC instants, while every day the project reports is a calendar day in the
marketplace time zone; `market_date` is the one place that turns an instant into such a day. The other
helpers are definitions several transforms must agree on (what a sale is, which closures stand, how a
risk score maps to an action), so each has one home here instead of a copy per module.

Each helper is a function, not a constant: a Column needs an active session, which does not exist at
import time. Nothing here imports another ipr_guard module.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

# Order statuses that make an order a sale; a cancelled order is not one.
SALE_STATUSES = ("paid", "refunded")


def market_date(col: Column, tz: str) -> Column:
    """Calendar day in the marketplace time zone of a UTC timestamp column.

    Assumes the Spark session time zone is UTC (the project's sessions are built that way), so that
    shifting the instant to `tz` wall-clock time and truncating it gives the local day.

    Args:
        col: a TIMESTAMP column holding UTC instants.
        tz: the marketplace time zone, e.g. ``Asia/Shanghai``.

    Returns:
        A DATE column (null where `col` is null).
    """
    return F.to_date(F.from_utc_timestamp(col, tz))


def no_strings() -> Column:
    """An empty ARRAY<STRING> literal (an untyped empty array would not union or coalesce with strings)."""
    return F.array().cast("array<string>")


def standing_closure() -> Column:
    """True on an enforcement_actions row that is a closure not reversed on appeal.

    Returns:
        A BOOLEAN column over ``action`` and ``reversed``; a null ``reversed`` counts as not reversed.
    """
    return (F.col("action") == "closure") & ~F.coalesce(F.col("reversed"), F.lit(False))


def share(numerator: Column, denominator: Column, empty: float | None = None) -> Column:
    """`numerator / denominator` as DOUBLE, or `empty` where the denominator is not positive.

    Args:
        numerator: the part.
        denominator: the whole.
        empty: the value without a denominator. The default, null, is the KPIs' contract ("no notices"
            is not "0% handled in time"); a model input, which must never be null, passes 0.0.

    Returns:
        A DOUBLE column.
    """
    ratio = F.when(denominator > 0, numerator / denominator)
    if empty is not None:
        ratio = ratio.otherwise(F.lit(float(empty)))
    return ratio.cast("double")


def recommended_action(score: Column, actions: Mapping[str, float]) -> Column:
    """The reviewer's action for a risk score: ``close``, ``suspend`` or ``review``.

    Args:
        score: the risk score (DOUBLE in [0, 1]).
        actions: the lowest score of each action, ``close`` and ``suspend`` (`rules.actions`); a score
            below ``suspend`` gets ``review``.

    Returns:
        A STRING column.
    """
    return (
        F.when(score >= F.lit(float(actions["close"])), F.lit("close"))
        .when(score >= F.lit(float(actions["suspend"])), F.lit("suspend"))
        .otherwise(F.lit("review"))
    )


def keyword_hits(text: Column, keywords: Sequence[str]) -> Column:
    """The configured keywords found in `text`, in configuration order, case-insensitively.

    Args:
        text: a STRING column (e.g. a listing's title and description joined).
        keywords: the counterfeit terms (`listing_risk.keywords`); duplicates count once.

    Returns:
        An ARRAY<STRING> column of the keywords found (empty when none, or when `text` is null).
    """
    if not keywords:
        return no_strings()
    lowered = F.lower(text)
    # Literal substring tests (not regular expressions): keywords such as "1:1" must match as typed.
    return F.array_compact(F.array(*[
        F.when(lowered.contains(F.lower(F.lit(k))), F.lit(k)) for k in dict.fromkeys(keywords)
    ]))
