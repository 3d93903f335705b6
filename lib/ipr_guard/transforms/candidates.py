"""The first, rules-only list of store-closure candidates (contract: `closure_candidates`).

Three transparent policy rules flag a store on run date D; each rule only looks at facts known by the
end of D in the marketplace time zone, so a rerun for D later gives the same list as the night of D.
Every flag carries sentences a policy reviewer can check against the source tables (counts, dates and
the merchant_id of a linked store) but never a personal-data pseudonym.
"""
from __future__ import annotations

import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ipr_guard.config import RulesConfig
from ipr_guard.transforms.columns import market_date, no_strings, recommended_action, standing_closure
from ipr_guard.transforms.identity import IDENTITY_LABELS, identity_pairs, label, link_sentence

RULE_TEST_BUY = "counterfeit_test_buy"
RULE_NOTICES = "upheld_notices"
RULE_IDENTITY = "shared_identity"
RULES = (RULE_TEST_BUY, RULE_NOTICES, RULE_IDENTITY)

# Each additional fired rule adds this much to the strongest rule's score (corroborating evidence).
EXTRA_RULE_BONUS = 0.01


def _known_by(col: Column, run_date: datetime.date, tz: str) -> Column:
    # Comparing market days (not instants) makes "by the end of D" exact across DST and offsets.
    return market_date(col, tz) <= F.lit(run_date)


def _plural(n: Column, singular: str, plural: str) -> Column:
    return F.when(n == 1, F.lit(singular)).otherwise(F.lit(plural))


def _test_buy_evidence(test_buys: DataFrame, run_date: datetime.date, tz: str) -> DataFrame:
    verdicts = test_buys.where(
        (F.col("verdict") == "counterfeit") & _known_by(F.col("verdict_at"), run_date, tz)
    )
    agg = verdicts.groupBy("merchant_id").agg(
        F.count(F.lit(1)).alias("counterfeit_test_buys"),
        F.max("verdict_at").alias("latest_verdict_at"),
    )
    n = F.col("counterfeit_test_buys")
    latest = market_date(F.col("latest_verdict_at"), tz).cast("string")
    sentence = F.concat(
        n.cast("string"), F.lit(" "), _plural(n, "test buy", "test buys"), F.lit(" judged counterfeit ("),
        F.when(n == 1, F.lit("on ")).otherwise(F.lit("latest on ")), latest, F.lit(")"),
    )
    return agg.select("merchant_id", "counterfeit_test_buys", sentence.alias("test_buy_reason"))


def _notice_evidence(complaints: DataFrame, run_date: datetime.date, tz: str, window_days: int) -> DataFrame:
    first_day = F.date_sub(F.lit(run_date), window_days - 1)
    submitted_on = market_date(F.col("submitted_at"), tz)
    upheld = complaints.where(
        (F.col("source") == "rights_holder")
        & (F.col("outcome") == "upheld")
        & (submitted_on >= first_day)
        & (submitted_on <= F.lit(run_date))
        # The outcome is only known once processed; an undated outcome cannot be shown to predate D.
        & _known_by(F.col("processed_at"), run_date, tz)
    )
    return upheld.groupBy("merchant_id").agg(F.count(F.lit(1)).alias("upheld_notices_30d")).select(
        "merchant_id", "upheld_notices_30d"
    )


def _identity_evidence(
    merchants: DataFrame,
    qualifying_closures: DataFrame,
    run_date: datetime.date,
    tz: str,
    fields: tuple[str, ...],
) -> DataFrame:
    # A store registered after D did not exist on D, on either side of a link.
    existing = merchants.where(_known_by(F.col("registered_at"), run_date, tz))
    pairs = identity_pairs(existing, fields)
    closed_pairs = (
        pairs.join(qualifying_closures, on="merchant_id", how="inner")
        .select(
            F.col("merchant_id").alias("closed_merchant_id"), "field", "value",
            "closed_on", "closed_reason",
        )
    )
    links = (
        pairs.join(closed_pairs, on=["field", "value"], how="inner")
        .where(F.col("merchant_id") != F.col("closed_merchant_id"))
        .select("merchant_id", "closed_merchant_id", "field", "closed_on", "closed_reason")
    )
    per_store = links.groupBy("merchant_id", "closed_merchant_id", "closed_on", "closed_reason").agg(
        F.array_sort(F.collect_set(label(IDENTITY_LABELS, F.col("field")))).alias("kinds")
    )
    sentence = link_sentence(F.col("kinds"), F.col("closed_merchant_id"), F.col("closed_reason"), F.col("closed_on"))
    return (
        per_store.groupBy("merchant_id")
        .agg(
            F.count(F.lit(1)).alias("linked_closed_stores"),
            # Sorted by the linked store's id so the reasons come out in the same order on every run.
            F.array_sort(F.collect_list(F.struct(F.col("closed_merchant_id"), sentence.alias("s")))).alias("links"),
        )
        .select(
            "merchant_id", "linked_closed_stores",
            F.transform(F.col("links"), lambda x: x["s"]).alias("identity_reasons"),
        )
    )


def closure_candidates(
    run_date: datetime.date,
    merchants: DataFrame,
    complaints: DataFrame,
    test_buys: DataFrame,
    enforcement_actions: DataFrame,
    tz: str,
    rules: RulesConfig,
) -> DataFrame:
    """Flags stores for closure on run date D by the policy rules.

    Rules (names as in `rules_fired`):
      * ``counterfeit_test_buy``: at least one test buy judged counterfeit by the end of D.
      * ``upheld_notices``: at least ``rules.upheld_notices_threshold`` rights-holder notices submitted
        in the ``rules.notice_window_days`` days ending on D and upheld by the end of D.
      * ``shared_identity``: the store shares a non-null ``rules.identity_fields`` value with another
        store closed (not reversed) for one of ``rules.closure_reasons`` on or before D.

    A store closed by the end of D (a non-reversed closure of any reason, or merchant status
    ``closed``) is never listed. The score is the highest score of the fired rules plus
    ``EXTRA_RULE_BONUS`` per further fired rule, capped at 1.

    Args:
        run_date: the run date D (a day in `tz`).
        merchants: silver merchants.
        complaints: silver complaints.
        test_buys: silver test_buys.
        enforcement_actions: silver enforcement_actions.
        tz: the marketplace time zone.
        rules: the policy rule settings.

    Returns:
        One row per flagged store: run_date, merchant_id, store_name, risk_score, rank,
        recommended_action, reasons, counterfeit_test_buys, upheld_notices_30d, linked_closed_stores,
        rules_fired, model_name, model_version.

    Raises:
        ValueError: `rules.scores` lacks a rule, or `rules.actions` lacks `close` or `suspend`.
    """
    missing = [r for r in RULES if r not in rules.scores] + [
        a for a in ("close", "suspend") if a not in rules.actions
    ]
    if missing:
        raise ValueError(f"rules configuration lacks scores/actions for: {missing}")

    closures_by_d = enforcement_actions.where(standing_closure() & _known_by(F.col("decided_at"), run_date, tz))
    # Per closed store: its first closure for a qualifying reason (earliest decision; ties by reason).
    qualifying_closures = (
        closures_by_d.where(F.col("reason").isin(*rules.closure_reasons))
        .groupBy("merchant_id")
        .agg(F.min(F.struct(F.col("decided_at"), F.col("reason"))).alias("first"))
        .select(
            "merchant_id",
            market_date(F.col("first.decided_at"), tz).alias("closed_on"),
            F.col("first.reason").alias("closed_reason"),
        )
    )
    closed_stores = (
        closures_by_d.select("merchant_id")
        .unionByName(merchants.where(F.col("status") == "closed").select("merchant_id"))
        .distinct()
    )

    test_buy = _test_buy_evidence(test_buys, run_date, tz)
    notices = _notice_evidence(complaints, run_date, tz, rules.notice_window_days)
    identity = _identity_evidence(merchants, qualifying_closures, run_date, tz, tuple(rules.identity_fields))

    # Full joins on the merchant-level evidence: a store with any evidence gets one row, each rule's
    # evidence computed once (joining on a column name coalesces the key of both sides).
    evidence = (
        test_buy.join(notices, on="merchant_id", how="full")
        .join(identity, on="merchant_id", how="full")
        .join(closed_stores, on="merchant_id", how="left_anti")
    )
    for name in ("counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores"):
        evidence = evidence.withColumn(name, F.coalesce(F.col(name), F.lit(0)).cast("bigint"))

    fired = {
        RULE_TEST_BUY: F.col("counterfeit_test_buys") >= 1,
        RULE_NOTICES: F.col("upheld_notices_30d") >= F.lit(rules.upheld_notices_threshold),
        RULE_IDENTITY: F.col("linked_closed_stores") >= 1,
    }
    rules_fired = F.array_sort(F.array_compact(F.array(*[F.when(c, F.lit(r)) for r, c in fired.items()])))
    top_score = F.greatest(*[F.when(c, F.lit(float(rules.scores[r]))) for r, c in fired.items()])
    scored = (
        evidence.withColumn("rules_fired", rules_fired)
        .where(F.size(F.col("rules_fired")) > 0)
        .withColumn(
            "risk_score",
            # Rounded so that 0.95 + 0.01 is 0.96, not 0.9599999999999999, in the published table.
            F.round(F.least(
                F.lit(1.0),
                top_score + F.lit(EXTRA_RULE_BONUS) * (F.size(F.col("rules_fired")) - 1),
            ), 6).cast("double"),
        )
    )

    notice_reason = F.when(
        fired[RULE_NOTICES],
        F.concat(
            F.col("upheld_notices_30d").cast("string"), F.lit(" upheld rights-holder "),
            _plural(F.col("upheld_notices_30d"), "notice", "notices"),
            F.lit(f" in the {rules.notice_window_days} days to {run_date.isoformat()}"),
        ),
    )
    reasons = F.concat(
        F.when(fired[RULE_TEST_BUY], F.array(F.col("test_buy_reason"))).otherwise(no_strings()),
        F.when(fired[RULE_NOTICES], F.array(notice_reason)).otherwise(no_strings()),
        F.when(fired[RULE_IDENTITY], F.col("identity_reasons")).otherwise(no_strings()),
    )
    names = merchants.select("merchant_id", "store_name")
    ranked = (
        scored.withColumn("reasons", reasons)
        # Left join: a flag stands even if the store's master row has not arrived yet.
        .join(names, on="merchant_id", how="left")
        .withColumn("run_date", F.lit(run_date).cast("date"))
        .withColumn(
            "rank",
            # One ranking over the whole day, hence one partition: fine, flagged stores are few.
            F.row_number().over(
                Window.orderBy(F.col("risk_score").desc(), F.col("merchant_id").asc())
            ).cast("int"),
        )
    )
    return ranked.select(
        F.col("run_date"),
        F.col("merchant_id"),
        F.col("store_name"),
        F.col("risk_score"),
        F.col("rank"),
        recommended_action(F.col("risk_score"), rules.actions).alias("recommended_action"),
        F.col("reasons"),
        F.col("counterfeit_test_buys"),
        F.col("upheld_notices_30d"),
        F.col("linked_closed_stores"),
        F.col("rules_fired"),
        F.lit(None).cast("string").alias("model_name"),
        F.lit(None).cast("string").alias("model_version"),
    )
