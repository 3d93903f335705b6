"""Reviewers' decisions applied to a new candidate list: a rejected store stays off it until new evidence.

New evidence, compared with the candidate row the reviewer rejected (its evidence snapshot, stored with the
decision in meta/review_decisions):

* any of ``counterfeit_test_buys``, ``upheld_notices_30d``, ``linked_closed_stores`` or
  ``reused_image_listings`` is strictly greater than in the snapshot, or
* ``rules_fired`` holds a rule the snapshot's ``rules_fired`` did not.

A changed model score alone, or more low-priced or branded listings, is not new evidence: the reviewer
already judged the store on those kinds of facts. Only the store's latest decision within the window
counts: a store confirmed or sent back for more evidence after its rejection is not suppressed.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import no_strings

EVIDENCE_COUNTS = ("counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "reused_image_listings")


def new_evidence(now: str, then: str) -> Column:
    """True where the row `now.*` has evidence the snapshot `then.*` had not (see the module docstring)."""
    grown = [F.coalesce(F.col(f"{now}.{c}"), F.lit(0)) > F.coalesce(F.col(f"{then}.{c}"), F.lit(0))
             for c in EVIDENCE_COUNTS]
    new_rules = F.size(F.array_except(F.coalesce(F.col(f"{now}.rules_fired"), no_strings()),
                                      F.coalesce(F.col(f"{then}.rules_fired"), no_strings()))) > 0
    out = new_rules
    for g in grown:
        out = out | g
    return out


def suppress_rejected(candidates: DataFrame, decisions: DataFrame, run_date: dt.date, suppress_days: int) -> DataFrame:
    """Drops the stores rejected in the `suppress_days` days before `run_date` without new evidence; re-ranks.

    Args:
        candidates: the candidate list of `run_date` (any columns, with merchant_id, rank, the evidence
            counts and rules_fired).
        decisions: review decisions (meta/review_decisions): run_date, merchant_id, decision and the
            evidence snapshot of the decided candidate row.
        run_date: the list's run date D; decisions on run dates in [D - suppress_days, D) count.
        suppress_days: how long a rejection keeps a store off the list.

    Returns:
        `candidates` without the suppressed stores, ranked 1..n in their previous order, same columns.
    """
    since = run_date - dt.timedelta(days=suppress_days)
    recent = decisions.where((F.col("run_date") >= F.lit(since)) & (F.col("run_date") < F.lit(run_date)))
    latest = (
        recent.withColumn("n", F.row_number().over(
            Window.partitionBy("merchant_id").orderBy(F.col("run_date").desc())))
        .where((F.col("n") == 1) & (F.col("decision") == "reject"))
        .select("merchant_id", *EVIDENCE_COUNTS, "rules_fired")
    )
    joined = candidates.alias("c").join(latest.alias("r"), on=F.col("c.merchant_id") == F.col("r.merchant_id"),
                                        how="left")
    kept = joined.where(F.col("r.merchant_id").isNull() | new_evidence("c", "r")).select("c.*")
    rank = F.row_number().over(Window.orderBy(F.col("rank").asc())).cast("int")
    return kept.select(*[rank.alias(c) if c == "rank" else F.col(c) for c in candidates.columns])
