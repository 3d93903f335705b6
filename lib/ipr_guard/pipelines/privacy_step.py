"""Privacy requests in the nightly: erasures applied after silver, VACUUM once the window has passed."""
from __future__ import annotations

import datetime as dt
import logging
import math

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.privacy.erasure import apply_erasures, erasure_subjects, retention_properties, vacuum_after_erasure

log = logging.getLogger(__name__)

VACUUM_LOG_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType()), T.StructField("run_date", T.DateType()),
    T.StructField("erased_through", T.DateType()), T.StructField("tables", T.IntegerType()),
])


def set_retention_defaults(spark: SparkSession, cfg: Config) -> None:
    """New tables get log and deleted-file retention no longer than the erasure window (contract)."""
    for key, value in retention_properties(cfg.privacy.erasure_window_hours).items():
        spark.conf.set(f"spark.databricks.delta.properties.defaults.{key.removeprefix('delta.')}", value)


def apply_requests(spark: SparkSession, cfg: Config, run_date: dt.date, run_id: str) -> int:
    """Applies the erasure requests received by the end of `run_date`; returns how many were new."""
    requests = catalog.table_path(cfg.lakehouse, "silver/privacy_requests")
    if not delta.exists(spark, requests):
        return 0
    subjects = erasure_subjects(delta.read(spark, requests), run_date, cfg.timezone)
    done = apply_erasures(spark, cfg.lakehouse, subjects, run_id, erased_on=run_date, tz=cfg.timezone)
    return len(done)


def vacuum_if_due(spark: SparkSession, cfg: Config, run_date: dt.date, run_id: str) -> list[str]:
    """VACUUMs every table once the erasure window has passed for erasures not yet vacuumed."""
    audit = catalog.table_path(cfg.lakehouse, "meta/erasure_audit")
    if not delta.exists(spark, audit):
        return []
    window_days = math.ceil(cfg.privacy.erasure_window_hours / 24)
    due_through = run_date - dt.timedelta(days=window_days)
    vac_log = catalog.table_path(cfg.lakehouse, "meta/vacuum_log")
    done_through = (delta.read(spark, vac_log).agg(F.max("erased_through")).first()[0]
                    if delta.exists(spark, vac_log) else None)
    pending = delta.read(spark, audit).where(F.col("erased_on") <= F.lit(due_through))
    if done_through:
        pending = pending.where(F.col("erased_on") > F.lit(done_through))
    latest = pending.agg(F.max("erased_on")).first()[0]
    if latest is None:
        return []
    log.info("erasures up to %s are past the %d h window: vacuuming", latest, cfg.privacy.erasure_window_hours)
    tables = vacuum_after_erasure(spark, cfg.lakehouse, cfg.privacy.erasure_window_hours)
    delta.append(spark.createDataFrame([(run_id, run_date, latest, len(tables))], VACUUM_LOG_SCHEMA), vac_log)
    return tables
