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

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import GateError
from ipr_guard.io import delta
from ipr_guard.quality import (RESULTS_SCHEMA, ExpectationResult, QualityReport, build_data_docs, default_folder,
                               load_suites, validate_frames)

log = logging.getLogger(__name__)


# (child table, column) must name an existing (parent table, key): checked across tables, which a GX
# suite of one table cannot express.
REFERENCES = (("listings", "merchant_id", "merchants", "merchant_id"),
              ("takedowns", "listing_id", "listings", "listing_id"))
REFERENCE_EXPECTATION = "expect_column_values_to_reference_existing_keys"


def referential_integrity(spark: SparkSession, cfg: Config, run_id: str,
                          staged: dict[str, DataFrame]) -> list[ExpectationResult]:
    """Rows of this run whose reference has no row in the parent (this run's rows or silver's).

    Warnings by default: a parent row may legitimately arrive on a later delivery day. A row per
    reference goes to the results; `quality.severity` can make it critical.
    """
    results = []
    for child, col, parent, key in REFERENCES:
        rows = staged.get(f"silver.{child}")
        if rows is None:
            continue
        parents = [staged[f"silver.{parent}"].select(F.col(key).alias("_ref"))] if f"silver.{parent}" in staged else []
        path = catalog.table_path(cfg.lakehouse, f"silver/{parent}")
        if delta.exists(spark, path):
            parents.append(delta.read(spark, path).select(F.col(key).alias("_ref")))
        refs = rows.where(F.col(col).isNotNull()).select(F.col(col).alias("_ref"))
        if parents:
            known = parents[0] if len(parents) == 1 else parents[0].unionByName(parents[1])
            marked = refs.join(known.distinct().withColumn("_known", F.lit(True)), on="_ref", how="left")
        else:
            marked = refs.withColumn("_known", F.lit(None).cast("boolean"))
        orphan = F.col("_known").isNull()
        # One job for both counts; the examples only when there is an orphan to show.
        counts = marked.agg(F.count(F.lit(1)).alias("total"), F.count_if(orphan).alias("missing")).first()
        total, missing = int(counts["total"]), int(counts["missing"] or 0)
        examples = tuple(r[0] for r in marked.where(orphan).select("_ref").distinct().orderBy("_ref")
                         .limit(5).collect()) if missing else ()
        results.append(ExpectationResult(
            run_id, f"silver.{child}", REFERENCE_EXPECTATION, f"{col}->{parent}.{key}", "warning", missing == 0,
            observed_value=f"{missing} of {total} without a {parent} row", element_count=total,
            unexpected_count=missing, unexpected_percent=100.0 * missing / total if total else 0.0,
            example_values=examples))
    return results


def validate(spark: SparkSession, cfg: Config, run_id: str, run_date: dt.date,
             frames: dict[str, DataFrame]) -> QualityReport:
    """Validates `frames` (keyed by suite name, e.g. "silver.orders") and records the results."""
    folder = Path(cfg.quality.expectations) if cfg.quality.expectations else default_folder()
    report = validate_frames(frames, load_suites(folder), run_id, parallel=cfg.quality.parallel_tables,
                             driver_max_rows=cfg.quality.driver_max_rows)
    report.results.extend(referential_integrity(spark, cfg, run_id, frames))
    report = report.with_severities(cfg.quality.severity)
    rows = spark.createDataFrame(report.to_rows(), RESULTS_SCHEMA).withColumn("run_date", F.lit(run_date))
    delta.append(rows, catalog.table_path(cfg.lakehouse, "meta/quality_results"))
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
