"""The classifier's part of a run: silver inputs, point-in-time features, training when due, scoring.

Features are computed for the run date only (one as-of date) in a nightly, and for the labels' as-of
dates when training. Opted-out buyers' orders and reporters' complaints are left out of both (contract:
`opt_out_analytics`); a merchant's opt-out does not exempt its store from enforcement.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.model import registry
from ipr_guard.model.status import describe
from ipr_guard.model.training import day_label_counts, empty_counts, feature_importance, plan_split
from ipr_guard.pipelines import drift_step
from ipr_guard.pipelines.review import read_decisions
from ipr_guard.privacy.opt_out import exclude_opted_out, opted_out
from ipr_guard.schema import TABLES, silver_schema
from ipr_guard.transforms.features import feature_columns, merchant_features
from ipr_guard.transforms.labels import closure_labels, review_labels, snapshot_dates, with_review_labels

log = logging.getLogger(__name__)

SILVER_INPUTS = ("merchants", "brands", "authorized_sellers", "listings", "orders", "complaints", "takedowns",
                 "test_buys", "enforcement_actions", "privacy_requests")
# A snapshot needs this much history for its 30-day windows to mean something.
WARMUP_DAYS = 14


@dataclass(frozen=True)
class Champion:
    """The model that scores tonight, as loaded from the registry by its alias."""

    model: object
    name: str
    version: str
    threshold: float
    importance: dict[str, float]


def silver_inputs(spark: SparkSession, cfg: Config, run_date: dt.date) -> dict[str, DataFrame]:
    """The silver tables the features need, with analytics opt-outs applied as of `run_date`."""
    s = {}
    for name in SILVER_INPUTS:
        s[name] = delta.read_or_empty(spark, catalog.table_path(cfg.lakehouse, f"silver/{name}"),
                                      silver_schema(TABLES[name]))
    requests = s.pop("privacy_requests")
    s["orders"] = exclude_opted_out(s["orders"], "buyer_id", opted_out(requests, run_date, cfg.timezone, "buyer"))
    s["complaints"] = exclude_opted_out(s["complaints"], "reporter_id",
                                        opted_out(requests, run_date, cfg.timezone, "reporter"))
    return s


def features_as_of(spark: SparkSession, cfg: Config, s: dict[str, DataFrame], dates: list[dt.date]) -> DataFrame:
    """merchant_features for each of `dates` (one row per store registered by then and date)."""
    as_of = spark.createDataFrame([(d,) for d in sorted(set(dates))], "as_of_date date")
    return merchant_features(
        as_of, s["merchants"], s["brands"], s["authorized_sellers"], s["listings"], s["orders"], s["complaints"],
        s["takedowns"], s["test_buys"], s["enforcement_actions"], cfg.timezone, cfg.features,
        tuple(cfg.rules.identity_fields), tuple(cfg.rules.closure_reasons),
    )


def training_examples(spark: SparkSession, cfg: Config, s: dict[str, DataFrame], run_date: dt.date,
                      first_day: dt.date) -> DataFrame:
    """Labelled examples: enforcement and review labels joined with the features as of each label's date.

    Reviewers' decisions on candidate lists before `run_date` are labels too (confirm 1, reject 0, as of
    the list's date); where a store has both kinds at one date, the review decision is kept.
    """
    snaps = snapshot_dates(run_date, first_day, cfg.model.snapshot_every_days, WARMUP_DAYS)
    enforcement = closure_labels(s["merchants"], s["enforcement_actions"], run_date,
                                 first_day + dt.timedelta(days=WARMUP_DAYS), snaps, cfg.timezone,
                                 tuple(cfg.rules.closure_reasons))
    labels = with_review_labels(enforcement, review_labels(read_decisions(spark, cfg), run_date)).cache()
    duplicated = labels.groupBy("merchant_id", "as_of_date").count().where(F.col("count") > 1).limit(3).collect()
    if duplicated:
        raise AssertionError(f"training labels are not unique per (merchant_id, as_of_date): {duplicated}")
    columns = feature_columns(cfg.features.windows)
    dates = [r[0] for r in labels.select("as_of_date").distinct().collect()]
    if not dates:
        return labels.select("merchant_id", "as_of_date", "label", F.lit(None).cast("string").alias("segment"),
                             *[F.lit(None).cast("double").alias(c) for c in columns])
    feats = features_as_of(spark, cfg, s, dates)
    return labels.join(feats, on=["merchant_id", "as_of_date"], how="inner").select(
        "merchant_id", "as_of_date", "label", F.coalesce(F.col("business_type"), F.lit("unknown")).alias("segment"),
        *columns,
    )


def table_versions(spark: SparkSession, cfg: Config) -> dict[str, int]:
    """The silver tables' Delta versions: what a model was trained on, for its MLflow run."""
    out = {}
    for name in SILVER_INPUTS:
        v = delta.version(spark, catalog.table_path(cfg.lakehouse, f"silver/{name}"))
        if v is not None:
            out[f"silver.{name}"] = v
    return out


def _describe(counts: dict[tuple[str, int], int]) -> str:
    return ", ".join(f"{side} {counts[(side, 1)]} positive / {counts[(side, 0)]} negative"
                     for side in ("train", "validation"))


def train(spark: SparkSession, cfg: Config, run_date: dt.date, s: dict[str, DataFrame], first_day: dt.date):
    """Builds the examples, trains, registers and gates a model for `run_date` (see model.registry).

    The registered version's validation predictions and drift baseline are recorded with it
    (`drift_step.record_baseline`; once per version, so a rerun that reuses the version writes nothing).
    """
    examples = training_examples(spark, cfg, s, run_date, first_day).cache()
    day_counts = day_label_counts(examples)
    split = plan_split(day_counts, cfg.model.validation_days, cfg.model.min_validation_positives) \
        if day_counts else None
    counts = split.counts if split else empty_counts()
    log.info("[%s] training examples: %s", run_date, _describe(counts))
    if split is not None and split.note:
        log.warning("[%s] %s", run_date, split.note)
    # Both classes are needed before the validation window, not just overall: review labels, for one,
    # all sit on recent dates and would otherwise leave the training side empty.
    if counts[("train", 1)] < 2 or counts[("train", 0)] < 2 or \
            counts[("validation", 0)] + counts[("validation", 1)] == 0:
        log.warning("[%s] not enough labelled examples to train (%s); policy rules only", run_date,
                    _describe(counts))
        registry.record_skipped_training(cfg, run_date, f"not enough labelled examples ({_describe(counts)})")
        return None
    inputs = list(feature_columns(cfg.features.windows))
    outcome = registry.train_and_register(spark, cfg, run_date, examples, inputs, table_versions(spark, cfg),
                                           split=split)
    drift_step.record_baseline(spark, cfg, outcome, examples, inputs, split)
    examples.unpersist()
    log.info("[%s] model %s v%s is %s: %s", run_date, outcome.model_name, outcome.version, outcome.alias,
             outcome.reason)
    return outcome


def load_champion(spark: SparkSession, cfg: Config) -> Champion | None:
    """The `champion` alias of the registered model, or None before a first champion exists."""
    found = registry.load_champion(spark, cfg)
    if found is None:
        return None
    model, name, version, threshold = found
    importance = feature_importance(model)
    return Champion(model, name, str(version), float(threshold),
                    dict(zip(importance["feature"].tolist(), importance["importance"].tolist())))


def scoring_note(cfg: Config, run_date: dt.date, champion: Champion | None) -> str:
    """The summary's 'scored by' sentence: the champion and its validation figures, or rules only and why.

    Reads what the registry already holds (`registry.scoring_status`); no Spark job.
    """
    return describe(registry.scoring_status(cfg, run_date, champion.version if champion else None))


def score_stores(champion: Champion, features: DataFrame) -> DataFrame:
    """`features` with the champion's `score` (the model applied by transform, on the executors)."""
    return registry.score(champion.model, features)
