"""Backfill: the nightly for each day of a range, in order, skipping days already published.

With `train`, each day's nightly is followed by the model lifecycle as the schedule runs it (training
when due, then the promotion gate), so day d+1 is scored by what day d's data could train.
"""
from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import SparkSession

from ipr_guard.config import Config
from ipr_guard.pipelines import nightly, promote, recovery
from ipr_guard.pipelines import train as train_job

log = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: Config, start: dt.date, end: dt.date, force: bool = False,
        train: bool = False) -> list[nightly.RunResult]:
    """Runs the nightly for every day from `start` to `end`; stops at the first failing day.

    A day already published is skipped unless `force`, so a backfill interrupted half-way and
    started again picks up where it stopped. With `train`, after each day's nightly: `ipr-guard train
    --if-due` and `ipr-guard promote` for that day (a skipped day's model is reused, not retrained).
    """
    results = []
    total = (end - start).days + 1
    for i in range(total):
        day = start + dt.timedelta(days=i)
        if not force and day in recovery.published_dates(spark, cfg.lakehouse):
            log.info("backfill %d/%d: %s already published, skipped", i + 1, total, day)
        else:
            log.info("backfill %d/%d: %s", i + 1, total, day)
            result = nightly.run(spark, cfg, day, force=force)
            print(result.summary(), flush=True)
            results.append(result)
        if train:
            print(train_job.run(spark, cfg, day, if_due=True), flush=True)
            print(promote.run(cfg, day).summary(), flush=True)
    return results
