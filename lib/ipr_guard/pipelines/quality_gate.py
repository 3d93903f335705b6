"""The data-quality gate of the nightly: validate with the expectation suites, record, then decide.

Results always go to meta/quality_results and the run's Data Docs, so a stopped run can be inspected;
a failing critical expectation then stops the run before gold is written.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard.config import Config
from ipr_guard.errors import GateError
from ipr_guard.io import delta
from ipr_guard.quality import (RESULTS_SCHEMA, QualityReport, build_data_docs, default_folder, load_suites,
                               validate_frames)

log = logging.getLogger(__name__)


def validate(spark: SparkSession, cfg: Config, run_id: str, run_date: dt.date,
             frames: dict[str, DataFrame]) -> QualityReport:
    """Validates `frames` (keyed by suite name, e.g. "silver.orders") and records the results."""
    folder = Path(cfg.quality.expectations) if cfg.quality.expectations else default_folder()
    report = validate_frames(frames, load_suites(folder), run_id).with_severities(cfg.quality.severity)
    rows = spark.createDataFrame(report.to_rows(), RESULTS_SCHEMA).withColumn("run_date", F.lit(run_date))
    delta.append(rows, delta.table_path(cfg.lakehouse, "meta", "quality_results"))
    for w in report.failures("warning"):
        log.warning("data quality warning: %s", w.describe())
    return report


def write_docs(cfg: Config, run_date: dt.date, reports: list[QualityReport]) -> str | None:
    """Data Docs HTML under reports/D/data_docs (local lakehouses; object stores get the Delta results)."""
    root = cfg.lakehouse
    if "://" in root and not root.startswith("file:"):
        log.info("Data Docs are written for local lakehouses only; results are in meta/quality_results")
        return None
    folder = Path(root.removeprefix("file:")) / "reports" / str(run_date) / "data_docs"
    return str(build_data_docs(reports, str(folder)))


def enforce(report: QualityReport) -> None:
    """Raises GateError with one readable line when a critical expectation failed."""
    if not report.passed:
        raise GateError(f"nothing published: {report.message()}")
