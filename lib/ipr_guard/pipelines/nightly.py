"""The nightly run for a date D: take in pending deliveries, gate them, refresh silver, publish gold.

Published outputs change only at the end, after every gate, one commit per gold table; a failed run
leaves them as they were and the next run reads the same delivery days again.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from ipr_guard.config import Config
from ipr_guard.errors import GateError, UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import RunLock, ensure_writable
from ipr_guard.pii import load_hmac_key, pseudonymiser
from ipr_guard.model import registry
from ipr_guard.faults import arm_during, fault_point
from ipr_guard.model import drift
from ipr_guard.pipelines import drift_step, ingest, model_step, privacy_step, publish, quality_gate, recovery

log = logging.getLogger(__name__)

RUNS_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType()), T.StructField("run_date", T.DateType()),
    T.StructField("status", T.StringType()), T.StructField("started_at", T.TimestampType()),
    T.StructField("finished_at", T.TimestampType()), T.StructField("override_reason", T.StringType()),
    T.StructField("accounting", T.StringType()), T.StructField("gold_versions", T.StringType()),
])


@dataclass
class RunResult:
    """What a nightly run did, for the terminal and for tests."""

    run_id: str
    run_date: dt.date
    status: str
    accounting: dict[str, dict[str, int]] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    lakehouse: str = ""
    data_docs: str | None = None
    erasures: int = 0
    vacuumed: int = 0
    quality: str = ""
    training: str = ""
    model: str = ""  # what scored and its validation figures, or "policy rules only: <why>" (model.status)
    drift: str = ""
    recovered: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"run {self.run_id} for {self.run_date}: {self.status}"]
        if self.accounting:
            lines.append(f"  {'table':<20}{'read':>10}{'accepted':>10}{'quarantined':>12}{'duplicates':>11}")
            for name, c in sorted(self.accounting.items()):
                lines.append(f"  {name:<20}{c['rows_read']:>10}{c['accepted']:>10}{c['quarantined']:>12}"
                             f"{c['duplicates']:>11}")
        for name, n in self.outputs.items():
            lines.append(f"  published {name}: {n} rows for {self.run_date}")
        if self.erasures or self.vacuumed:
            lines.append(f"  privacy: {self.erasures} erasure requests applied, {self.vacuumed} tables vacuumed")
        for line in self.recovered:
            lines.append(f"  recovered: {line}")
        if self.training:
            lines.append(f"  training: {self.training}")
        if self.model:
            lines.append(f"  scored by: {self.model}")
        if self.drift:
            lines.append(f"  {self.drift}")
        if self.quality:
            lines.append(f"  {self.quality}")
        if self.data_docs:
            lines.append(f"  data docs: {self.data_docs}")
        if self.stage_seconds:
            lines.append("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.stage_seconds.items()))
        return "\n".join(lines)


@contextmanager
def stage(result: RunResult, name: str):
    """Logs a stage's start and end and records its duration (progress on long runs)."""
    log.info("[%s] %s ...", result.run_date, name)
    start = time.monotonic()
    timer = arm_during(name)
    yield
    if timer:
        timer.cancel()
    result.stage_seconds[name] = time.monotonic() - start
    log.info("[%s] %s done in %.1fs", result.run_date, name, result.stage_seconds[name])
    fault_point(f"after:{name}", result.run_date)


def _check_paths(cfg: Config) -> None:
    if not cfg.landing:
        raise UsageError("no landing folder: pass --landing or set paths.landing")
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")


def run(spark: SparkSession, cfg: Config, run_date: dt.date, force: bool = False,
        override_reason: str | None = None) -> RunResult:
    """Runs the nightly for `run_date` and publishes its outputs.

    Args:
        spark: the session (built by the caller).
        cfg: validated configuration with landing and lakehouse set.
        run_date: D, a day in the marketplace's time zone.
        force: republish D even when it was published and nothing new arrived.
        override_reason: publish despite failed broken-feed gates; recorded in the run log.

    Raises:
        UsageError: missing paths, an unwritable lakehouse, or no HMAC key.
        InputError: a landing folder that breaks the contract's layout.
        GateError: a broken feed; nothing was published.
    """
    _check_paths(cfg)
    key = load_hmac_key(cfg.privacy)
    ensure_writable(spark, cfg.lakehouse)
    result = RunResult(f"{run_date}-{uuid.uuid4().hex[:8]}", run_date, "running", lakehouse=cfg.lakehouse)
    with RunLock(spark, cfg.lakehouse, result.run_id):
        return _run_locked(spark, cfg, run_date, result, key, force, override_reason)


def _run_locked(spark: SparkSession, cfg: Config, run_date: dt.date, result: RunResult, key: bytes,
                force: bool, override_reason: str | None) -> RunResult:
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    privacy_step.set_retention_defaults(spark, cfg)
    with stage(result, "recover"):
        result.recovered = recovery.roll_back_incomplete(spark, cfg.lakehouse)

    with stage(result, "discover"):
        pending = ingest.pending_days(spark, cfg, run_date)
        already = run_date in recovery.published_dates(spark, cfg.lakehouse)
    if already and not pending and not force:
        result.status = "already published (nothing new to take in; use --force to recompute)"
        return result
    log.info("[%s] %d delivery days to take in across %d tables", run_date, len(pending),
             len({d.table for d in pending}))

    batches: dict[str, ingest.TableBatch] = {}
    try:
        with stage(result, "ingest"):
            problems = []
            batches.update(ingest.read_batches(spark, cfg, pending, pseudonymiser(key)))
            for name, batch in batches.items():
                result.accounting[name] = {"rows_read": batch.rows_read, "accepted": batch.accepted,
                                           "quarantined": batch.quarantined, "duplicates": batch.duplicates}
                log.info("  %-20s read %d, accepted %d, quarantined %d, duplicates %d", name, batch.rows_read,
                         batch.accepted, batch.quarantined, batch.duplicates)
                problems += ingest.check_feed(batch, cfg)
            problems += ingest.check_daily_volume(spark, cfg, batches, run_date)
        with stage(result, "quarantine"):
            ingest.write_quarantine(spark, cfg, list(batches.values()), result.run_id)
        if problems and not override_reason:
            more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})" if len(problems) > 1 else ""
            raise GateError(f"broken feed, nothing published: {problems[0]}{more}; bad records are in "
                            f"{delta.table_path(cfg.lakehouse, 'quarantine', 'records')}; rerun with "
                            f"--override-gates REASON to publish anyway")
        if problems:
            log.warning("gates overridden (%s): %s", override_reason, "; ".join(problems))

        reports = []
        with stage(result, "validate silver"):
            staged = {f"silver.{name}": ingest.latest_per_key(ingest.accepted_rows(b, result.run_id), b.table)
                      for name, b in batches.items()}
            reports.append(quality_gate.validate(spark, cfg, result.run_id, run_date, staged))
        if not reports[0].passed:
            quality_gate.write_docs(cfg, run_date, reports)
            quality_gate.enforce(reports[0])
        with stage(result, "silver"):
            changed = ingest.write_all_layers(spark, cfg, batches, result.run_id)
        with stage(result, "privacy"):
            result.erasures = privacy_step.apply_requests(spark, cfg, run_date, result.run_id)
        with stage(result, "train"):
            s = model_step.silver_inputs(spark, cfg, run_date)
            why = registry.training_reason(cfg, run_date, drift_step.last_published_drift(spark, cfg, run_date))
            if why:
                log.info("[%s] training: %s", run_date, why)
                first_day = publish.first_delivery_day(spark, cfg, batches, run_date)
                outcome = model_step.train(spark, cfg, run_date, s, first_day)
                result.training = (f"model {outcome.model_name} v{outcome.version} is {outcome.alias}: "
                                   f"{outcome.reason}" if outcome else "not enough labelled examples to train") + \
                    f" (training due: {why})"
        with stage(result, "features"):
            features = model_step.features_as_of(spark, cfg, s, [run_date]).cache()
            log.info("[%s] features of %d stores", run_date, features.count())
            champion = model_step.load_champion(spark, cfg)
        with stage(result, "gold"):
            outputs = publish.compute_outputs(spark, cfg, run_date, changed, batches, s, features, champion)
            result.model = model_step.scoring_note(cfg, run_date, champion)
        with stage(result, "drift"):
            # The published features carry tonight's champion scores: drift reads them, no second scoring.
            drift_table = drift_step.measure(spark, cfg, champion, outputs["merchant_features"])
            result.drift = drift.summary(drift_table, champion.name, champion.version) \
                if drift_table is not None else ""
        with stage(result, "validate gold"):
            reports.append(quality_gate.validate(spark, cfg, result.run_id, run_date,
                                                 {f"gold.{name}": df for name, df in outputs.items()}))
            result.data_docs = quality_gate.write_docs(cfg, run_date, reports)
            result.quality = reports[0].message() + "; " + reports[1].message()
        quality_gate.enforce(reports[1])
        with stage(result, "publish"):
            # Drift first: the report written with the gold tables shows this run's drift rows.
            drift_step.write(spark, cfg, run_date, drift_table, result.run_id)
            fault_point("publish:drift")
            result.outputs = publish.publish_outputs(spark, cfg, run_date, outputs, result.run_id)
            ingest_log = ingest.ingest_log_rows(spark, list(batches.values()), result.run_id, run_date)
            delta.append(ingest_log, delta.table_path(cfg.lakehouse, "meta", "ingest_log"))
            fault_point("publish:ingest_log")
            # The run marker, written last: until it exists, this run's gold commits and ingest log
            # entries do not count (pipelines.recovery).
            result.status = "published"
            finished = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            versions = {n: delta.version(spark, delta.table_path(cfg.lakehouse, "gold", n)) for n in result.outputs}
            versions.update(recovery.meta_versions(spark, cfg.lakehouse))
            delta.append(spark.createDataFrame(
                [(result.run_id, run_date, "published", started, finished, override_reason,
                  json.dumps(result.accounting, sort_keys=True), json.dumps(versions, sort_keys=True))],
                RUNS_SCHEMA), delta.table_path(cfg.lakehouse, "meta", "runs"))
        with stage(result, "vacuum"):
            result.vacuumed = len(privacy_step.vacuum_if_due(spark, cfg, run_date, result.run_id))
    finally:
        for b in batches.values():
            b.parsed.unpersist()
        spark.catalog.clearCache()
    for name, c in result.accounting.items():
        if c["rows_read"] != c["accepted"] + c["quarantined"] + c["duplicates"]:
            raise AssertionError(f"accounting does not balance for {name}: {c}")
    return result
