"""Backfill: the nightly for each day of a range, in order, skipping days already published."""
from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import SparkSession

from ipr_guard.config import Config
from ipr_guard.pipelines import nightly, recovery

log = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: Config, start: dt.date, end: dt.date, force: bool = False) -> list[nightly.RunResult]:
    """Runs the nightly for every day from `start` to `end`; stops at the first failing day.

    A day already published is skipped unless `force`, so a backfill interrupted half-way and
    started again picks up where it stopped.
    """
    results = []
    total = (end - start).days + 1
    for i in range(total):
        day = start + dt.timedelta(days=i)
        if not force and day in recovery.published_dates(spark, cfg.lakehouse):
            log.info("backfill %d/%d: %s already published, skipped", i + 1, total, day)
            continue
        log.info("backfill %d/%d: %s", i + 1, total, day)
        result = nightly.run(spark, cfg, day, force=force)
        print(result.summary(), flush=True)
        results.append(result)
    return results
