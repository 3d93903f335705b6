"""`ipr-guard train`: train, register and gate a classifier for a date, outside the nightly's cadence."""
from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.pipelines import model_step


def run(spark: SparkSession, cfg: Config, run_date: dt.date) -> str:
    """Trains on the silver tables as they are and returns what became of the model, in one line.

    Raises:
        UsageError: no lakehouse, or one that no nightly has filled yet.
    """
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    log_path = catalog.table_path(cfg.lakehouse, "meta/ingest_log")
    if not delta.exists(spark, log_path):
        raise UsageError(f"nothing to train on: {cfg.lakehouse} has no ingest log (run the nightly first)")
    first_day = delta.read(spark, log_path).agg(F.min("ingest_date")).first()[0]
    outcome = model_step.train(spark, cfg, run_date, model_step.silver_inputs(spark, cfg, run_date), first_day)
    if outcome is None:
        return f"not enough labelled examples by {run_date} to train; the nightly uses policy rules only"
    return f"model {outcome.model_name} v{outcome.version} is {outcome.alias}: {outcome.reason}"
