"""The nightly run for a date D: take in pending deliveries, gate them, refresh silver, publish gold.

Batch inference only: the champion scores, and training and promotion are jobs of their own
(`pipelines.train`, `pipelines.promote`); without a champion the list is the policy rules' alone.

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
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import GateError, UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import RunLock, ensure_writable
from ipr_guard.faults import arm_during, fault_point
from ipr_guard.model import drift
from ipr_guard.pii import load_hmac_key, pseudonymiser
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
    """Logs a step's start and end and records its duration, also when it fails (progress on long runs).

    The step's `after:<name>` fault point is reached only when it succeeds.
    """
    log.info("[%s] %s ...", result.run_date, name)
    start = time.monotonic()
    timer = arm_during(name)
    try:
        yield
    finally:
        if timer:
            timer.cancel()
        result.stage_seconds[name] = time.monotonic() - start
    log.info("[%s] %s done in %.1fs", result.run_date, name, result.stage_seconds[name])
    fault_point(f"after:{name}", result.run_date)


@dataclass
class Night:
    """What the steps of one nightly hand to each other, in the order they produce it."""

    spark: SparkSession
    cfg: Config
    run_date: dt.date
    result: RunResult
    key: bytes
    force: bool
    override_reason: str | None
    started: dt.datetime
    stop: str | None = None                     # set by a step when the run has nothing to do
    pending: list = field(default_factory=list)  # delivery days not taken in yet
    batches: dict[str, ingest.TableBatch] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # broken-feed findings
    reports: list = field(default_factory=list)        # data quality reports: silver, then gold
    changed: dict[str, DataFrame] = field(default_factory=dict)  # each table's rows new or changed tonight
    silver: dict[str, DataFrame] = field(default_factory=dict)
    features: DataFrame | None = None
    champion: model_step.Champion | None = None
    outputs: dict[str, DataFrame] = field(default_factory=dict)
    drift_table: DataFrame | None = None


@dataclass(frozen=True)
class Step:
    """One step of the nightly: its name (log lines, timings, fault points), its function, what it writes."""

    name: str
    run: Callable[[Night], None]
    writes: tuple[str, ...] = ()


def recover_incomplete_runs(n: Night) -> None:
    """Rolls back the commits of a killed run (pipelines.recovery)."""
    n.result.recovered = recovery.roll_back_incomplete(n.spark, n.cfg.lakehouse)


def discover_deliveries(n: Night) -> None:
    """Finds the delivery days not taken in yet; stops the run when D is published and nothing is new."""
    n.pending = ingest.pending_days(n.spark, n.cfg, n.run_date)
    already = n.run_date in recovery.published_dates(n.spark, n.cfg.lakehouse)
    if already and not n.pending and not n.force:
        n.stop = "already published (nothing new to take in; use --force to recompute)"
        return
    log.info("[%s] %d delivery days to take in across %d tables", n.run_date, len(n.pending),
             len({d.table for d in n.pending}))


def read_deliveries(n: Night) -> None:
    """Parses the pending days (PII pseudonymised on read) and runs the broken-feed checks."""
    n.batches.update(ingest.read_batches(n.spark, n.cfg, n.pending, pseudonymiser(n.key)))
    for name, batch in n.batches.items():
        n.result.accounting[name] = {"rows_read": batch.rows_read, "accepted": batch.accepted,
                                     "quarantined": batch.quarantined, "duplicates": batch.duplicates}
        log.info("  %-20s read %d, accepted %d, quarantined %d, duplicates %d", name, batch.rows_read,
                 batch.accepted, batch.quarantined, batch.duplicates)
        n.problems += ingest.check_feed(batch, n.cfg)
    n.problems += ingest.check_daily_volume(n.spark, n.cfg, n.batches, n.run_date)


def quarantine_bad_records(n: Night) -> None:
    """Writes the bad records, then stops a broken feed unless the gates are overridden."""
    ingest.write_quarantine(n.spark, n.cfg, list(n.batches.values()), n.result.run_id)
    if n.problems and not n.override_reason:
        first, rest = n.problems[0], n.problems[1:]
        more = f" (and {len(rest)} more: {'; '.join(rest)})" if rest else ""
        raise GateError(f"broken feed, nothing published: {first}{more}; bad records are in "
                        f"{catalog.table_path(n.cfg.lakehouse, 'quarantine/records')}; rerun with "
                        f"--override-gates REASON to publish anyway")
    if n.problems:
        log.warning("gates overridden (%s): %s", n.override_reason, "; ".join(n.problems))


def validate_silver(n: Night) -> None:
    """Checks tonight's silver rows before any is written (the data quality gate)."""
    staged = {f"silver.{name}": ingest.latest_per_key(ingest.accepted_rows(b, n.result.run_id), b.table)
              for name, b in n.batches.items()}
    n.reports.append(quality_gate.validate(n.spark, n.cfg, n.result.run_id, n.run_date, staged))
    if not n.reports[0].passed:
        quality_gate.write_docs(n.cfg, n.run_date, n.reports)
        quality_gate.enforce(n.reports[0])


def write_silver(n: Night) -> None:
    """Writes the accepted rows to bronze (by day) and merges their latest versions into silver."""
    n.changed = ingest.write_all_layers(n.spark, n.cfg, n.batches, n.result.run_id)


def apply_privacy_requests(n: Night) -> None:
    """Applies tonight's erasure requests and opt-outs."""
    n.result.erasures = privacy_step.apply_requests(n.spark, n.cfg, n.run_date, n.result.run_id)


def compute_features(n: Night) -> None:
    """Merchant features as of D, and the champion that will score them (trained by the train job)."""
    n.silver = model_step.silver_inputs(n.spark, n.cfg, n.run_date)
    n.features = model_step.features_as_of(n.spark, n.cfg, n.silver, [n.run_date]).cache()
    log.info("[%s] features of %d stores", n.run_date, n.features.count())
    n.champion = model_step.load_champion(n.spark, n.cfg)


def compute_gold(n: Night) -> None:
    """Scores the stores and computes every gold output for D (nothing written yet)."""
    n.outputs = publish.compute_outputs(n.spark, n.cfg, n.run_date, n.changed, n.batches, n.silver, n.features,
                                        n.champion)
    n.result.model = model_step.scoring_note(n.cfg, n.run_date, n.champion)


def measure_drift(n: Night) -> None:
    """The champion's inputs and scores tonight against its training baseline."""
    # The published features carry tonight's champion scores: drift reads them, no second scoring.
    n.drift_table = drift_step.measure(n.spark, n.cfg, n.champion, n.outputs["merchant_features"])
    n.result.drift = drift.summary(n.drift_table, n.champion.name, n.champion.version) \
        if n.drift_table is not None else ""


def validate_gold(n: Night) -> None:
    """Checks the gold outputs before they are published; writes the night's Data Docs."""
    n.reports.append(quality_gate.validate(n.spark, n.cfg, n.result.run_id, n.run_date,
                                           {f"gold.{name}": df for name, df in n.outputs.items()}))
    n.result.data_docs = quality_gate.write_docs(n.cfg, n.run_date, n.reports)
    n.result.quality = n.reports[0].message() + "; " + n.reports[1].message()
    quality_gate.enforce(n.reports[1])


def publish_gold(n: Night) -> None:
    """Commits drift, the gold tables and the ingest log, then the run marker that makes them count."""
    check_accounting(n.result.accounting)
    # Drift first: the report written with the gold tables shows this run's drift rows.
    drift_step.write(n.spark, n.cfg, n.run_date, n.drift_table, n.result.run_id)
    fault_point("publish:drift")
    n.result.outputs = publish.publish_outputs(n.spark, n.cfg, n.run_date, n.outputs, n.result.run_id)
    ingest_log = ingest.ingest_log_rows(n.spark, list(n.batches.values()), n.result.run_id, n.run_date)
    delta.append(ingest_log, catalog.table_path(n.cfg.lakehouse, "meta/ingest_log"))
    fault_point("publish:ingest_log")
    write_run_marker(n)


def vacuum_erased_files(n: Night) -> None:
    """VACUUMs the tables when an erasure's window has passed (privacy.erasure_window_hours)."""
    n.result.vacuumed = len(privacy_step.vacuum_if_due(n.spark, n.cfg, n.run_date, n.result.run_id))


# The nightly, top to bottom as the data flows: landing -> bronze/silver -> features -> scores -> gold ->
# reports. Each step is timed, logged and has an `after:<name>` fault point (tests/integration/crash.py).
STEPS: tuple[Step, ...] = (
    Step("recover", recover_incomplete_runs, ("gold/*", "meta/drift")),
    Step("discover", discover_deliveries),
    Step("ingest", read_deliveries),
    Step("quarantine", quarantine_bad_records, ("quarantine/records",)),
    Step("validate silver", validate_silver, ("meta/quality_results",)),
    Step("silver", write_silver, ("bronze/*", "silver/*")),
    Step("privacy", apply_privacy_requests, ("bronze/*", "silver/*", "quarantine/records", "meta/erasure_audit")),
    Step("features", compute_features),
    Step("gold", compute_gold),
    Step("drift", measure_drift),
    Step("validate gold", validate_gold, ("meta/quality_results",)),
    Step("publish", publish_gold, ("meta/drift", "gold/*", "meta/ingest_log", "meta/runs")),
    Step("vacuum", vacuum_erased_files, ("meta/vacuum_log",)),
)


def check_accounting(accounting: dict[str, dict[str, int]]) -> None:
    """Every line read was accepted, quarantined or a duplicate; checked before anything is published."""
    for name, c in accounting.items():
        if c["rows_read"] != c["accepted"] + c["quarantined"] + c["duplicates"]:
            raise AssertionError(f"accounting does not balance for {name}: {c}")


def write_run_marker(n: Night) -> None:
    """Appends the run's row to meta/runs, last: until it exists, the run's gold commits and ingest log
    entries do not count (pipelines.recovery). It records the versions readers of this run must read."""
    n.result.status = "published"
    finished = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    versions = {name: delta.version(n.spark, catalog.table_path(n.cfg.lakehouse, f"gold/{name}"))
                for name in n.result.outputs}
    versions.update(recovery.meta_versions(n.spark, n.cfg.lakehouse))
    marker = [(n.result.run_id, n.run_date, "published", n.started, finished, n.override_reason,
               json.dumps(n.result.accounting, sort_keys=True), json.dumps(versions, sort_keys=True))]
    delta.append(n.spark.createDataFrame(marker, RUNS_SCHEMA), catalog.table_path(n.cfg.lakehouse, "meta/runs"))


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
        started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        privacy_step.set_retention_defaults(spark, cfg)
        night = Night(spark, cfg, run_date, result, key, force, override_reason, started)
        try:
            for step in STEPS:
                with stage(result, step.name):
                    step.run(night)
                if night.stop:
                    result.status = night.stop
                    break
        finally:
            for b in night.batches.values():
                b.parsed.unpersist()
            spark.catalog.clearCache()
    return result
