"""Closure candidates from the classifier's scores and the hard policy rules, with reviewer reasons.

A store is listed on D when its model score reaches the operating threshold or a hard policy rule fired
(a counterfeit test buy, an identity shared with a store closed for IPR reasons). Its reasons come from
what drove its score: each feature has a sentence and a condition under which it counts as evidence;
the sentences whose condition holds are ordered by the model's importance of that feature, so the
strongest driver comes first. Sentences hold counts, ratios, dates and merchant ids, never personal data.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import no_strings, recommended_action


def _n(col: str) -> Column:
    return F.col(col).cast("bigint").cast("string")


def _pct(col: str) -> Column:
    return F.format_number(F.col(col) * 100, 0)


def _ratio(x: str, of: str) -> Column:
    return F.concat(_n(x), F.lit(" of "), _n(of))


def evidence_sentences(run_date: dt.date, low_price_ratio: float, max_window: int) -> dict[str, tuple[Column, Column]]:
    """Per feature: (condition under which it is evidence, the reviewer's sentence).

    Test buys and identity links are left out: the hard rules fire on exactly those facts and bring
    their own sentences (with dates and the linked store), which come first.
    """
    w = max_window
    return {
        "low_price_share": (
            (F.col("low_price_listings") >= 1) & (F.col("low_price_share") >= 0.2),
            F.concat(_ratio("low_price_listings", "branded_listings"),
                     F.lit(f" branded listings priced under {low_price_ratio * 100:g}% of the brand's reference "
                           "price (lowest at "), _pct("min_price_ratio"), F.lit("%)")),
        ),
        "reused_image_share": (
            F.col("reused_image_listings") >= 1,
            F.concat(_ratio("reused_image_listings", "listings_total"),
                     F.lit(" listings reuse the main image of a listing taken down for counterfeiting (e.g. "),
                     F.coalesce(F.col("reused_image_example"), F.lit("?")), F.lit(")")),
        ),
        "keyword_share": (
            F.col("keyword_listings") >= 1,
            F.concat(_ratio("keyword_listings", "listings_total"),
                     F.lit(" listings name a counterfeit term (e.g. 高仿, replica) in the title or description")),
        ),
        f"upheld_notices_{w}d": (
            F.col(f"upheld_notices_{w}d") >= 1,
            F.concat(_n(f"upheld_notices_{w}d"), F.lit(f" rights-holder notices upheld in the {w} days to {run_date}")),
        ),
        "counterfeit_takedowns": (
            F.col("counterfeit_takedowns") >= 1,
            F.concat(_n("counterfeit_takedowns"), F.lit(" listings taken down for counterfeiting by " + str(run_date))),
        ),
        "unauthorized_branded_share": (
            (F.col("unauthorized_branded_listings") >= 3) & (F.col("unauthorized_branded_share") >= 0.5),
            F.concat(_ratio("unauthorized_branded_listings", "branded_listings"),
                     F.lit(" branded listings are sold without the brand's authorization")),
        ),
        "sales_velocity": (
            (F.col("sales_velocity") >= 3) & (F.col("branded_listings") >= 1),
            F.concat(F.lit("sold "), F.format_number(F.col("sales_velocity"), 1),
                     F.lit(" items per branded listing in the 30 days to " + str(run_date))),
        ),
        "verification_level": (
            F.col("verification_level") <= 0,
            F.lit("the store's identity is not verified (verification level 0)"),
        ),
    }


def score_reasons(importance: Mapping[str, float], sentences: Mapping[str, tuple[Column, Column]]) -> Column:
    """The sentences whose condition holds, the most important feature first (ties by feature name)."""
    items = sorted(sentences.items(), key=lambda kv: (-float(importance.get(kv[0], 0.0)), kv[0]))
    return F.array_compact(F.array(*[F.when(cond, text) for _, (cond, text) in items]))


def scored_candidates(
    run_date: dt.date,
    scored: DataFrame,
    rule_flags: DataFrame,
    threshold: float,
    hard_rules: Sequence[str],
    corroborated_rules: Sequence[str],
    rule_scores: Mapping[str, float],
    actions: Mapping[str, float],
    reasons: Column,
    model_name: str,
    model_version: str,
) -> DataFrame:
    """Lists the stores above the operating threshold or hit by a hard rule, ranked, with reasons.

    Args:
        run_date: the run date D.
        scored: merchant_features as of D with a `score` column, for the stores open at the end of D.
        rule_flags: the rules-only candidates of D (`closure_candidates`): rules_fired, their reasons and
            evidence counts.
        threshold: the champion's operating threshold.
        hard_rules: the rules that list a store whatever its score.
        corroborated_rules: the rules that list a store under the threshold only together with another
            fired rule (a single counterfeit test buy at a store with nothing else against it is as likely
            an expert's error as a counterfeiter).
        rule_scores: the floor a fired hard rule puts under the risk score.
        actions: score at or above ``close`` -> close, ``suspend`` -> suspend, else review
            (`columns.recommended_action`, as the rules-only list).
        reasons: the reviewer sentences for the model's drivers (see `score_reasons`).
        model_name: the registered model's name.
        model_version: the champion's version.

    Returns:
        run_date, merchant_id, store_name, risk_score, rank, recommended_action, reasons, evidence counts,
        rules_fired, model_score, model_name, model_version.
    """
    flags = rule_flags.select(
        "merchant_id", "rules_fired", F.col("reasons").alias("rule_reasons"),
        F.col("upheld_notices_30d").alias("rule_upheld_notices_30d"),
    )
    def fired_of(names: Sequence[str]) -> Column:
        return F.array_intersect(F.col("rules_fired"), F.array(*[F.lit(r) for r in names]).cast("array<string>"))

    corroborated = F.when(F.size(F.col("rules_fired")) >= 2, fired_of(corroborated_rules)).otherwise(no_strings())
    hard = F.array_union(fired_of(hard_rules), corroborated)
    listing_rules = tuple(dict.fromkeys([*hard_rules, *corroborated_rules]))
    # Once listed (by score or rule), every fired listing rule puts its score under the risk score.
    fired_listing = fired_of(listing_rules)
    floor = F.greatest(F.lit(0.0), *[F.when(F.array_contains(fired_listing, r), F.lit(float(rule_scores[r])))
                                     for r in listing_rules]) if listing_rules else F.lit(0.0)
    joined = (
        scored.join(flags, on="merchant_id", how="left")
        .withColumn("rules_fired", F.coalesce(F.col("rules_fired"), no_strings()))
        .withColumn("hard_rules", hard)
        .where((F.col("score") >= F.lit(threshold)) | (F.size(F.col("hard_rules")) > 0))
        .withColumn("risk_score", F.round(F.greatest(F.col("score"), floor), 6).cast("double"))
    )
    lead = F.concat(
        F.lit("counterfeit-seller model score "), F.format_number(F.col("score"), 2),
        F.lit(f" ({model_name} v{model_version}; listed at {threshold:g} and above)"),
    )
    # Hard-rule sentences first (a reviewer checks them against the source rows), then the model's.
    model_reasons = F.concat(F.array(lead), reasons)
    rule_reasons = F.coalesce(F.col("rule_reasons"), no_strings())
    all_reasons = F.array_distinct(F.concat(rule_reasons, model_reasons))
    rank = F.row_number().over(Window.orderBy(F.col("risk_score").desc(), F.col("score").desc(),
                                              F.col("merchant_id").asc()))
    return joined.select(
        F.lit(run_date).cast("date").alias("run_date"),
        F.col("merchant_id"),
        F.col("store_name"),
        F.col("risk_score"),
        rank.cast("int").alias("rank"),
        recommended_action(F.col("risk_score"), actions).alias("recommended_action"),
        all_reasons.alias("reasons"),
        F.col("counterfeit_test_buys").cast("bigint").alias("counterfeit_test_buys"),
        F.coalesce(F.col("rule_upheld_notices_30d"), F.lit(0)).cast("bigint").alias("upheld_notices_30d"),
        F.col("linked_closed_stores").cast("bigint").alias("linked_closed_stores"),
        F.col("reused_image_listings").cast("bigint").alias("reused_image_listings"),
        F.col("low_price_listings").cast("bigint").alias("low_price_listings"),
        F.col("branded_listings").cast("bigint").alias("branded_listings"),
        F.col("rules_fired"),
        F.round(F.col("score"), 6).cast("double").alias("model_score"),
        F.lit(model_name).alias("model_name"),
        F.lit(str(model_version)).alias("model_version"),
    )
