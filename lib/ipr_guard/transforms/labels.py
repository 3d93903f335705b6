"""Training labels for the counterfeit-seller classifier, from store-level enforcement decisions.

A label is a (merchant_id, as_of_date, label) row; the features joined to it are those of the end of
as_of_date, so a label never sees the decision it stands for:

* positive: a closure for a configured IPR reason (counterfeit, IPR infringement) that was not reversed,
  with features as of the day before the decision;
* negative: a closure for such a reason that an appeal reversed (a store the platform wrongly closed),
  as of the day before the decision;
* snapshots every `snapshot_every_days` days back from the run date, of the stores open then: positive
  when the store was closed for an IPR reason (not reversed) after the snapshot and by the run date (it was
  already selling what got it closed), negative otherwise.

Stores that are counterfeiters but were never closed are among the snapshot negatives: enforcement labels
are positive-unlabelled. The classifier therefore ranks stores by how much they look like stores that get
closed; the operating threshold is set on that scale, and precision against these labels understates the
precision against the truth (see the README's model section).
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date, standing_closure


def snapshot_dates(run_date: dt.date, first_day: dt.date, every_days: int, warmup_days: int) -> list[dt.date]:
    """As-of dates of the negative snapshots: run_date - k*every_days (k >= 1), after a warm-up.

    Args:
        run_date: the training run date D; no snapshot is on or after it (its future is unknown).
        first_day: the first delivery day; features need `warmup_days` of history after it.
        every_days: days between snapshots.
        warmup_days: days of history a snapshot needs.

    Returns:
        Snapshot dates, oldest first (possibly empty for a short history).
    """
    earliest = first_day + dt.timedelta(days=warmup_days)
    out, day = [], run_date - dt.timedelta(days=every_days)
    while day >= earliest:
        out.append(day)
        day -= dt.timedelta(days=every_days)
    return sorted(out)


def closure_labels(
    merchants: DataFrame,
    enforcement_actions: DataFrame,
    run_date: dt.date,
    first_day: dt.date,
    snapshots: Sequence[dt.date],
    tz: str,
    closure_reasons: Sequence[str],
) -> DataFrame:
    """Labelled (store, as-of date) pairs known by the end of the training run date.

    Args:
        merchants: silver merchants (registered_at bounds which stores existed at a snapshot).
        enforcement_actions: silver enforcement_actions.
        run_date: the training run date D; only decisions made by the end of D are used.
        first_day: the first delivery day; decisions whose as-of date falls before it are dropped.
        snapshots: as-of dates of the negative snapshots (see `snapshot_dates`).
        tz: the marketplace time zone.
        closure_reasons: the closure reasons that count as IPR grounds.

    Returns:
        merchant_id, as_of_date (DATE), label (DOUBLE 1/0), label_source (``closure``,
        ``reversed_closure`` or ``snapshot``); one row per (merchant_id, as_of_date).
    """
    decided_on = market_date(F.col("decided_at"), tz)
    ipr = enforcement_actions.where(
        (F.col("action") == "closure") & F.col("reason").isin(*closure_reasons) & (decided_on <= F.lit(run_date))
    ).select(
        "merchant_id",
        F.date_sub(decided_on, 1).alias("as_of_date"),
        F.coalesce(F.col("reversed"), F.lit(False)).alias("reversed"),
    ).where(F.col("as_of_date") >= F.lit(first_day))
    decisions = ipr.select(
        "merchant_id", "as_of_date",
        F.when(F.col("reversed"), 0.0).otherwise(1.0).alias("label"),
        F.when(F.col("reversed"), "reversed_closure").otherwise("closure").alias("label_source"),
    )

    first_ipr_closure = ipr.where(~F.col("reversed")).groupBy("merchant_id").agg(
        F.date_add(F.min("as_of_date"), 1).alias("ipr_closed_on"))
    any_closure = enforcement_actions.where(standing_closure()).groupBy("merchant_id").agg(
        F.min(decided_on).alias("closed_on"))
    dates = merchants.sparkSession.createDataFrame([(d,) for d in snapshots], "as_of_date date")
    snapshot_rows = (
        merchants.select("merchant_id", market_date(F.col("registered_at"), tz).alias("registered_on"))
        .join(first_ipr_closure, on="merchant_id", how="left")
        .join(any_closure, on="merchant_id", how="left")
        .crossJoin(F.broadcast(dates))  # a handful of dates
        .where((F.col("registered_on") <= F.col("as_of_date"))
               & (F.col("closed_on").isNull() | (F.col("closed_on") > F.col("as_of_date"))))
        .select(
            "merchant_id", "as_of_date",
            # A store closed for IPR reasons later was already selling what got it closed.
            F.when(F.col("ipr_closed_on") > F.col("as_of_date"), 1.0).otherwise(0.0).alias("label"),
            F.lit("snapshot").alias("label_source"),
        )
    )
    # Two decisions of one store on one day (or a reversed closure on a snapshot day) make one example;
    # a positive wins, so the label says "was closed for IPR reasons the next day".
    both = decisions.unionByName(snapshot_rows)
    return both.groupBy("merchant_id", "as_of_date").agg(
        F.max("label").alias("label"),
        F.max_by(F.col("label_source"), F.col("label")).alias("label_source"),
    ).select("merchant_id", "as_of_date", "label", "label_source")


def review_labels(decisions: DataFrame, run_date: dt.date) -> DataFrame:
    """Labels from reviewers' decisions on closure candidates, for training on `run_date`.

    A confirmed store is a positive and a rejected one a negative, as of the candidate list's run date
    (the features the reviewer's list was built from); ``needs_more_evidence`` is no label. Only
    decisions on lists before `run_date` are used.

    Args:
        decisions: meta/review_decisions (run_date, merchant_id, decision, ...).
        run_date: the training run date D.

    Returns:
        merchant_id, as_of_date (DATE), label (DOUBLE 1/0), label_source (``review_confirm`` or
        ``review_reject``); one row per (merchant_id, as_of_date), as the decisions table is keyed.
    """
    decided = decisions.where((F.col("run_date") < F.lit(run_date)) & F.col("decision").isin("confirm", "reject"))
    return decided.select(
        "merchant_id",
        F.col("run_date").cast("date").alias("as_of_date"),
        F.when(F.col("decision") == "confirm", 1.0).otherwise(0.0).alias("label"),
        F.concat(F.lit("review_"), F.col("decision")).alias("label_source"),
    )


def with_review_labels(labels: DataFrame, reviewed: DataFrame) -> DataFrame:
    """Enforcement labels and review labels together; a review label replaces the other at its key.

    A reviewer looked at the store on that date with its evidence in front of them, which a snapshot
    label (closed later or not) only guesses at.

    Returns:
        merchant_id, as_of_date, label, label_source; one row per (merchant_id, as_of_date) when both
        inputs are unique on it (the caller asserts it).
    """
    cols = ["merchant_id", "as_of_date", "label", "label_source"]
    kept = labels.join(reviewed.select("merchant_id", "as_of_date"), on=["merchant_id", "as_of_date"],
                       how="left_anti")
    return kept.select(*cols).unionByName(reviewed.select(*cols)).select(*cols)
