"""Gathers the reviewers' report inputs from Delta (filtered and aggregated in Spark) and writes the files.

Only small frames leave Spark: one run date's candidates, the KPI window, validation predictions counted
per rounded score, score histograms, one run's drift and data-quality rows. Which model scored (or why
the list is rules-only) and its validation figures come from the MLflow registry, not from Spark.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.charts import SCORE_BINS
from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.io.files import write_bytes
from ipr_guard.model import registry
from ipr_guard.model.status import describe
from ipr_guard.quality import ExpectationResult
from ipr_guard.reports import ReportData, candidates_csv, render_report

SCORE_DECIMALS = 3      # validation scores are counted per rounded score for the PR curve
MAX_FAILURES_SHOWN = 50


def _table(spark: SparkSession, cfg: Config, layer: str, name: str) -> DataFrame | None:
    path = catalog.table_path(cfg.lakehouse, f"{layer}/{name}")
    return delta.read(spark, path) if delta.exists(spark, path) else None


def _score_bin(score: Column) -> Column:
    return F.least(F.floor(score * F.lit(SCORE_BINS)), F.lit(SCORE_BINS - 1)) / F.lit(SCORE_BINS)


def previous_list(candidates: DataFrame, run_date: dt.date) -> tuple[dt.date | None, frozenset[str]]:
    """The latest run date before `run_date` in gold closure_candidates and the stores listed on it."""
    before = candidates.where(F.col("run_date") < F.lit(run_date))
    previous = before.agg(F.max("run_date")).first()[0]
    if previous is None:
        return None, frozenset()
    ids = before.where(F.col("run_date") == F.lit(previous)).select("merchant_id").collect()
    return previous, frozenset(r[0] for r in ids)


def champion_version(spark: SparkSession, cfg: Config, run_date: dt.date, candidates: pd.DataFrame) -> str | None:
    """The model version that scored `run_date` (gold closure_candidates, else gold merchant_features)."""
    if not candidates.empty and candidates["model_version"].notna().any():
        return str(candidates["model_version"].dropna().iloc[0])
    features = _table(spark, cfg, "gold", "merchant_features")
    if features is None:
        return None
    row = (features.where((F.col("as_of_date") == F.lit(run_date)) & F.col("model_version").isNotNull())
           .select("model_version").limit(1).first())
    return row[0] if row else None


def validation_counts(validation: DataFrame, name: str, version: str) -> pd.DataFrame:
    """The version's validation predictions as score, positives, negatives (one row per rounded score)."""
    return (validation.where((F.col("model_name") == F.lit(name)) & (F.col("model_version") == F.lit(version)))
            .groupBy(F.round("score", SCORE_DECIMALS).alias("score"))
            .agg(F.sum((F.col("label") == 1).cast("long")).alias("positives"),
                 F.sum((F.col("label") != 1).cast("long")).alias("negatives"))
            .select("score", "positives", "negatives").orderBy("score").toPandas())


def score_bins(validation: DataFrame | None, features: DataFrame | None, name: str, version: str | None,
               run_date: dt.date) -> pd.DataFrame:
    """Histogram counts (group, bin, stores) of validation scores by label and of tonight's open stores."""
    parts = []
    if validation is not None and version is not None:
        parts.append(validation.where((F.col("model_name") == F.lit(name)) & (F.col("model_version") == F.lit(version)))
                     .select(F.when(F.col("label") == 1, F.lit("validation: positives"))
                             .otherwise(F.lit("validation: negatives")).alias("group"), F.col("score")))
    if features is not None:
        # Closed stores are not scored (score null): what remains is every open store scored on D.
        parts.append(features.where((F.col("as_of_date") == F.lit(run_date)) & F.col("score").isNotNull())
                     .select(F.lit("tonight: open stores").alias("group"), F.col("score")))
    if not parts:
        return pd.DataFrame(columns=["group", "bin", "stores"])
    scores = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
    return (scores.groupBy("group", _score_bin(F.col("score")).alias("bin")).agg(F.count(F.lit(1)).alias("stores"))
            .select("group", "bin", "stores").orderBy("group", "bin").toPandas())


def drift_rows(drift: DataFrame, run_date: dt.date, run_id: str) -> pd.DataFrame:
    """The drift this run measured for `run_date` (the nightly writes it before the reports)."""
    mine = drift.where((F.col("run_date") == F.lit(run_date)) & (F.col("run_id") == F.lit(run_id)))
    return mine.select("feature", "psi", "threshold", "flagged").orderBy(F.col("psi").desc()).toPandas()


def quality_summary(results: DataFrame, run_id: str) -> tuple[pd.DataFrame, list[str]]:
    """The run's data-quality results per suite, and one sentence per failed expectation."""
    mine = results.where(F.col("run_id") == F.lit(run_id))
    failed = ~F.col("success")
    per_table = (mine.groupBy("table").agg(
        F.count(F.lit(1)).alias("expectations"), F.sum(F.col("success").cast("long")).alias("passed"),
        F.sum((failed & (F.col("severity") == "critical")).cast("long")).alias("critical_failed"),
        F.sum((failed & (F.col("severity") == "warning")).cast("long")).alias("warnings_failed"))
        .select("table", "expectations", "passed", "critical_failed", "warnings_failed").orderBy("table").toPandas())
    fields = [f for f in ExpectationResult.__dataclass_fields__ if f != "example_values"]
    failures = []
    for r in mine.where(failed).orderBy("table", "expectation_type").limit(MAX_FAILURES_SHOWN).collect():
        values = {f: r[f] for f in fields}
        failures.append(ExpectationResult(**values, example_values=tuple(r["example_values"] or ())).describe())
    return per_table, failures


def report_data(spark: SparkSession, cfg: Config, run_date: dt.date, run_id: str) -> ReportData:
    """Everything the report of `run_date` shows, read from the lakehouse."""
    gold = _table(spark, cfg, "gold", "closure_candidates")
    candidates = gold.where(F.col("run_date") == F.lit(run_date)).orderBy("rank").toPandas()
    previous, previous_ids = previous_list(gold, run_date)
    since = run_date - dt.timedelta(days=cfg.kpi_days - 1)
    kpi_table = _table(spark, cfg, "gold", "enforcement_kpis")
    kpis = (kpi_table.where(F.col("kpi_date").between(F.lit(since), F.lit(run_date))).orderBy("kpi_date").toPandas()
            if kpi_table is not None else pd.DataFrame(columns=["kpi_date"]))
    name = cfg.model.name
    version = champion_version(spark, cfg, run_date, candidates)
    status = registry.scoring_status(cfg, run_date, version)
    threshold = status.scored_by.threshold if status.scored_by and status.scored_by.threshold is not None \
        else cfg.model.operating_threshold
    validation = _table(spark, cfg, "meta", "model_validation")
    drift = _table(spark, cfg, "meta", "drift")
    quality = _table(spark, cfg, "meta", "quality_results")
    per_table, failures = quality_summary(quality, run_id) if quality is not None else (pd.DataFrame(), [])
    return ReportData(
        run_date=run_date, candidates=candidates, kpis=kpis, run_id=run_id, previous_date=previous,
        previous_ids=previous_ids,
        validation=validation_counts(validation, name, version) if validation is not None and version else
        pd.DataFrame(),
        score_bins=score_bins(validation, _table(spark, cfg, "gold", "merchant_features"), name, version, run_date),
        drift=drift_rows(drift, run_date, run_id) if drift is not None else pd.DataFrame(),
        quality=per_table, quality_failures=failures,
        model=f"{name} v{version}" if version else None,
        model_status=describe(status),
        threshold=threshold if version else None,
        targets=asdict(cfg.kpi_targets),
    )


def write_reports(spark: SparkSession, cfg: Config, run_date: dt.date, run_id: str = "") -> str:
    """Writes reports/D/closure_candidates.csv and reports/D/report.html from the published tables.

    Args:
        run_id: the publishing run, whose data-quality and drift rows the report shows.

    Returns:
        The reports folder of `run_date`.
    """
    folder = f"{cfg.lakehouse.rstrip('/')}/reports/{run_date}"
    data = report_data(spark, cfg, run_date, run_id)
    write_bytes(spark, f"{folder}/closure_candidates.csv", candidates_csv(data.candidates))
    write_bytes(spark, f"{folder}/report.html", render_report(data).encode("utf-8"))
    return folder
