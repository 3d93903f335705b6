"""Analytics opt-outs: leave a subject's rows out of features, models and reports from the request on.

Contract ("Personal data", `opt_out_analytics`). Both functions are pure DataFrame transforms; the
callers (feature builders, model training, reports) decide which frame and column a subject type maps
to, e.g. ``exclude_opted_out(orders, "buyer_id", opted_out(requests, D, tz, "buyer"))``. Buyer and
reporter subject ids are pseudonymised like `orders.buyer_id` and `complaints.reporter_id`, so they
compare equal without any raw value.

A merchant's opt-out does NOT exempt its store from IPR enforcement: closure candidates, listing risk
and enforcement KPIs are never filtered by merchant opt-outs (protecting buyers and rights holders from
counterfeits is not analytics the merchant can opt out of). Merchant opt-outs apply only to optional
analytics about the merchant, e.g. marketing or benchmarking features.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date

OPT_OUT = "opt_out_analytics"
SUBJECT_TYPES = ("buyer", "merchant", "reporter")


def opted_out(privacy_requests: DataFrame, run_date: dt.date, tz: str, subject_type: str) -> DataFrame:
    """Subjects of one type who asked, by the end of `run_date`, to be left out of analytics.

    Args:
        privacy_requests: rows of the privacy_requests table (silver).
        run_date: the run date D; a request received by the end of D (in `tz`) applies to D's run.
        tz: the marketplace time zone.
        subject_type: ``buyer``, ``merchant`` or ``reporter``.

    Returns:
        One column, subject_id, one row per distinct opted-out subject (nulls, i.e. erased ids, left out).

    Raises:
        ValueError: an unknown subject type.
    """
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"unknown subject type {subject_type!r}: use one of {', '.join(SUBJECT_TYPES)}")
    return (privacy_requests
            .where((F.col("request_type") == OPT_OUT) & (F.col("subject_type") == subject_type)
                   & F.col("subject_id").isNotNull()
                   & (market_date(F.col("received_at"), tz) <= F.lit(run_date)))
            .select("subject_id").distinct())


def exclude_opted_out(df: DataFrame, subject_col: str, opted: DataFrame) -> DataFrame:
    """`df` without the rows whose `subject_col` is an opted-out subject (a left anti join).

    Rows with a NULL subject (unknown or erased) are kept: they identify nobody.

    Args:
        df: any frame with a subject column (orders, complaints, a feature table ...).
        subject_col: the column holding the subject id (``buyer_id``, ``reporter_id``, ``merchant_id``).
        opted: the output of `opted_out` (column subject_id).

    Returns:
        `df`'s rows and columns, minus the opted-out subjects' rows.
    """
    # Renamed so that a `df` with its own subject_id column does not make the join ambiguous; broadcast
    # because opt-outs are few next to the events they filter.
    ids = F.broadcast(opted.select(F.col("subject_id").alias("_opted_subject_id")))
    return df.join(ids, df[subject_col] == ids["_opted_subject_id"], "left_anti")
