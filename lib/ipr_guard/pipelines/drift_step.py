"""Drift's part of a run: a model's baseline when it is registered, PSI each night, the retraining signal.

Tables (all under `<lakehouse>/meta`):
    model_validation: model_name, model_version, label INT, score DOUBLE; the registered model's
        predictions on its validation examples (no merchant ids).
    model_baseline: model_name, model_version, feature, bin INT, lower, upper, share DOUBLE; the
        quantile-bin shares of the model's `drift.top_features` most important inputs and of its `score`
        on its examples: the validation days' (`drift.baseline: validation`, the default) or the
        training days' (`train`). The validation days are the latest, so closest to the stores scored
        after training, and scored out of sample; on the demo marketplace the night v1 was trained,
        a train-days baseline flagged unauthorized_branded_listings (PSI 0.53: counts that grow with a
        store's age) where the validation-days baseline gave at most 0.08.
    drift: run_date, run_id, model_name, model_version, feature, psi, threshold, flagged; one row per
        watched column and night, replaced per run date and committed with the run id like the gold
        tables (pipelines.recovery rolls it back with them).
Both model tables are appended once per version: a version that already has rows gets none.
"""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.model import drift
from ipr_guard.model.drift import NightDrift
from ipr_guard.model.promotion import load_version
from ipr_guard.model.training import TimeSplit, feature_importance, split_at, with_score

log = logging.getLogger(__name__)

VALIDATION_SCHEMA = T.StructType([
    T.StructField("model_name", T.StringType()), T.StructField("model_version", T.StringType()),
    T.StructField("label", T.IntegerType()), T.StructField("score", T.DoubleType()),
])
BASELINE_SCHEMA = T.StructType([
    T.StructField("model_name", T.StringType()), T.StructField("model_version", T.StringType()),
    T.StructField("feature", T.StringType()), T.StructField("bin", T.IntegerType()),
    T.StructField("lower", T.DoubleType()), T.StructField("upper", T.DoubleType()),
    T.StructField("share", T.DoubleType()),
])
DRIFT_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("run_id", T.StringType()),
    T.StructField("model_name", T.StringType()), T.StructField("model_version", T.StringType()),
    T.StructField("feature", T.StringType()), T.StructField("psi", T.DoubleType()),
    T.StructField("threshold", T.DoubleType()), T.StructField("flagged", T.BooleanType()),
])


def _has_version(spark: SparkSession, path: str, name: str, version: str) -> bool:
    if not delta.exists(spark, path):
        return False
    rows = delta.read(spark, path).where((F.col("model_name") == name) & (F.col("model_version") == version))
    return not rows.limit(1).isEmpty()


def watched_columns(model, feature_cols: list[str], top: int) -> list[str]:
    """The `top` most important inputs of `model` (ties in input order), then `score`."""
    ranked = feature_importance(model, feature_cols)["feature"].tolist()
    return ranked[:top] + [drift.SCORE]


def write_baseline(spark: SparkSession, cfg: Config, name: str, version: str, baseline: pd.DataFrame) -> bool:
    """Appends one version's baseline (feature, bin, lower, upper, share) unless it has one already."""
    path = catalog.table_path(cfg.lakehouse, "meta/model_baseline")
    if _has_version(spark, path, name, version):
        return False
    rows = [(name, version, r.feature, int(r.bin), float(r.lower), float(r.upper), float(r.share))
            for r in baseline.itertuples(index=False)]
    delta.append(spark.createDataFrame(rows, BASELINE_SCHEMA), path)
    return True


def record_baseline(spark: SparkSession, cfg: Config, outcome, examples: DataFrame, feature_cols: list[str],
                    split: TimeSplit) -> None:
    """Writes the registered version's validation predictions and drift baseline, once per version.

    Args:
        spark: the active session.
        cfg: validated configuration (lakehouse, `drift.top_features`, `drift.baseline`).
        outcome: `registry.TrainOutcome` of the version; its `model` or, when reused, the registered one.
        examples: the labelled examples it was trained on.
        feature_cols: the model's inputs.
        split: the time split training used on them (`training.plan_split`).
    """
    if not cfg.lakehouse:
        return
    name, version = outcome.model_name, outcome.version
    need_validation = not _has_version(spark, catalog.table_path(cfg.lakehouse, "meta/model_validation"), name, version)
    need_baseline = not _has_version(spark, catalog.table_path(cfg.lakehouse, "meta/model_baseline"), name, version)
    if not (need_validation or need_baseline):
        return
    # A reused version (its run was stopped before this point) is loaded back from the registry.
    model = outcome.model if outcome.model is not None else load_version(name, version)
    train, validation = split_at(examples.select("as_of_date", "label", *feature_cols), split.cutoff)
    if need_validation:
        predictions = with_score(model.transform(validation)).select(
            F.lit(name).alias("model_name"), F.lit(version).alias("model_version"),
            F.col("label").cast("int").alias("label"), F.col("score"))
        delta.append(predictions, catalog.table_path(cfg.lakehouse, "meta/model_validation"))
    if need_baseline:
        watched = watched_columns(model, feature_cols, cfg.drift.top_features)
        reference = validation if cfg.drift.baseline == "validation" else train
        scored = with_score(model.transform(reference)).select(*watched).cache()
        try:
            edges = drift.quantile_edges(scored, watched)
            counts = drift.bin_counts(drift.assign_bins(scored, edges)).toPandas()
        finally:
            scored.unpersist()
        write_baseline(spark, cfg, name, version, drift.baseline_shares(edges, counts))
    log.info("model %s v%s: validation predictions and drift baseline recorded", name, version)


def _edges(baseline: pd.DataFrame) -> dict[str, list[float]]:
    return {f: g.sort_values("bin")["upper"].astype(float).tolist() for f, g in baseline.groupby("feature")}


def measure(spark: SparkSession, cfg: Config, champion, scored: DataFrame) -> pd.DataFrame | None:
    """Tonight's PSI of each baseline column of the champion, from one aggregation over `scored`.

    Args:
        spark: the active session.
        cfg: validated configuration (`drift.*`).
        champion: `model_step.Champion` (name, version) or None.
        scored: tonight's stores with the champion's input columns and `score`; rows whose score is null
            (stores it did not score) are left out.

    Returns:
        feature, psi, rows, threshold, flagged (see `drift.psi_by_feature`) plus model_name and
        model_version; None when nothing was measured (no champion, no baseline, too few rows).
    """
    if champion is None:
        log.info("drift: no champion tonight; not measured")
        return None
    path = catalog.table_path(cfg.lakehouse, "meta/model_baseline")
    baseline = pd.DataFrame(columns=list(drift.BASELINE_COLUMNS))
    if delta.exists(spark, path):
        baseline = (delta.read(spark, path).where((F.col("model_name") == champion.name)
                                                  & (F.col("model_version") == champion.version))
                    .select(*drift.BASELINE_COLUMNS).toPandas())
    missing = sorted(set(baseline["feature"]) - set(scored.columns))
    if baseline.empty or missing:
        why = "it has no baseline" if baseline.empty else f"tonight's stores lack {', '.join(missing)}"
        log.warning("drift: not measured against %s v%s: %s", champion.name, champion.version, why)
        return None
    counts = drift.bin_counts(drift.assign_bins(scored.where(F.col(drift.SCORE).isNotNull()),
                                                _edges(baseline))).toPandas()
    stores = int(counts.loc[counts["feature"] == drift.SCORE, "rows"].sum())
    if stores < cfg.drift.min_rows:
        log.info("drift: %d scored stores is under drift.min_rows %d; not measured", stores, cfg.drift.min_rows)
        return None
    table = drift.psi_by_feature(baseline, counts, cfg.drift.psi_threshold)
    log.info(drift.summary(table, champion.name, champion.version))
    return table.assign(model_name=champion.name, model_version=champion.version)


def write(spark: SparkSession, cfg: Config, run_date: dt.date, table: pd.DataFrame | None, run_id: str) -> None:
    """Replaces meta/drift's rows for `run_date` with `table` (none when nothing was measured).

    The commit carries `run_id`, so it counts only once the run's marker is written.
    """
    path = catalog.table_path(cfg.lakehouse, "meta/drift")
    rows = [] if table is None else [
        (run_date, run_id, r.model_name, r.model_version, r.feature, float(r.psi), float(r.threshold), bool(r.flagged))
        for r in table.itertuples(index=False)]
    if not rows and not delta.exists(spark, path):
        return
    delta.replace_where(spark.createDataFrame(rows, DRIFT_SCHEMA), path, f"run_date = DATE'{run_date}'",
                        run_id=run_id)


def last_published_drift(spark: SparkSession, cfg: Config, run_date: dt.date) -> NightDrift | None:
    """The drift check of the latest published night before `run_date`; None if that night measured none."""
    runs, path = catalog.table_path(cfg.lakehouse, "meta/runs"), catalog.table_path(cfg.lakehouse, "meta/drift")
    if not cfg.lakehouse or not delta.exists(spark, runs) or not delta.exists(spark, path):
        return None
    published = delta.read(spark, runs).where((F.col("status") == "published") & (F.col("run_date") < F.lit(run_date)))
    last = published.agg(F.max("run_date")).first()[0]
    if last is None:
        return None
    night = (delta.read(spark, path).where(F.col("run_date") == F.lit(last))
             .join(published.select("run_id"), on="run_id", how="left_semi")
             .select("model_version", "feature", "flagged").collect())
    if not night:
        return None
    return NightDrift(last, night[0]["model_version"], tuple(sorted(r["feature"] for r in night if r["flagged"])))
