"""`ipr-guard train`: train and register the run date's classifier as `challenger`, outside the nightly.

The nightly only scores with the `champion`; this job trains (on its cadence with `--if-due`: no
champion, an old one, or drift flagged on the last published night) and `ipr-guard promote` applies the
gate that moves `champion`.
"""
from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.model import registry
from ipr_guard.pipelines import drift_step, model_step

log = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: Config, run_date: dt.date, if_due: bool = False) -> str:
    """Trains on the silver tables as they are and returns what became of the model, in one line.

    Args:
        spark: the session.
        cfg: validated configuration with a lakehouse.
        run_date: the training run date D (labels known by its end; features as of each label's date).
        if_due: train only when `registry.training_reason` says the champion is due.

    Raises:
        UsageError: no lakehouse, or (unless `if_due`) one that no nightly has filled yet.
    """
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    log_path = catalog.table_path(cfg.lakehouse, "meta/ingest_log")
    if not delta.exists(spark, log_path):
        if if_due:
            # The schedule's first night: nothing is taken in yet, which is no failure.
            return f"training for {run_date}: nothing to train on yet ({cfg.lakehouse} has no ingest log)"
        raise UsageError(f"nothing to train on: {cfg.lakehouse} has no ingest log (run the nightly first)")
    why = "requested"
    if if_due:
        why = registry.training_reason(cfg, run_date, drift_step.last_published_drift(spark, cfg, run_date))
        if why is None:
            return (f"training for {run_date}: not due (the champion is under model.retrain_every_days "
                    f"{cfg.model.retrain_every_days} days old and no drift was flagged)")
    log.info("[%s] training: %s", run_date, why)
    first_day = delta.read(spark, log_path).agg(F.min("ingest_date")).first()[0]
    outcome = model_step.train(spark, cfg, run_date, model_step.silver_inputs(spark, cfg, run_date), first_day)
    if outcome is None:
        return (f"training for {run_date} ({why}): not enough labelled examples; the champion is unchanged "
                "(without one the nightly uses policy rules only)")
    gate = "passes: promote it" if outcome.verdict == registry.CHAMPION else "keeps it out"
    return (f"training for {run_date} ({why}): model {outcome.model_name} v{outcome.version} is "
            f"{outcome.alias}; the gate {gate} ({outcome.reason})")
