"""Importing reviewers' decisions on a day's closure candidates into meta/review_decisions.

The whole file is checked first; a file with any problem imports nothing. Decisions are MERGEd on
(run_date, merchant_id): importing the same file again changes nothing, and a later file's decision for
a store and date replaces the earlier one. The reviewer's name is personal data and is stored only as its
keyed pseudonym. Each decision keeps the evidence of the candidate row it was made on, so that a later
list can tell new evidence from old (transforms.review).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import InputError, UsageError
from ipr_guard.io import delta
from ipr_guard.pii import load_hmac_key, pseudonymiser
from ipr_guard.pipelines.recovery import published_dates
from ipr_guard.review_file import DECISIONS, check_stores, parse_return_file, problem_line_number

log = logging.getLogger(__name__)

SNAPSHOT_COLUMNS = ("counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "reused_image_listings",
                    "low_price_listings", "branded_listings", "rules_fired")
DECISIONS_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("merchant_id", T.StringType()),
    T.StructField("decision", T.StringType()), T.StructField("reviewer", T.StringType()),
    T.StructField("note", T.StringType()), T.StructField("import_id", T.StringType()),
    T.StructField("imported_at", T.TimestampType()), T.StructField("file_sha256", T.StringType()),
    *[T.StructField(c, T.ArrayType(T.StringType()) if c == "rules_fired" else T.LongType())
      for c in SNAPSHOT_COLUMNS],
])


@dataclass
class ImportResult:
    """What an import did, for the terminal and for tests."""

    run_date: dt.date
    import_id: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    replaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    notes_cut: int = 0

    def summary(self) -> str:
        n = sum(self.counts.values())
        parts = ", ".join(f"{d} {self.counts.get(d, 0)}" for d in DECISIONS)
        lines = [f"imported {n} decisions on the closure candidates of {self.run_date} ({parts}), "
                 f"skipped {self.skipped} unreviewed rows (import {self.import_id})"]
        if self.replaced:
            lines.append(f"  replaced the earlier decision for {len(self.replaced)} stores: "
                         f"{', '.join(sorted(self.replaced))}")
        if self.unchanged:
            lines.append(f"  {self.unchanged} decisions were already imported from this same file (unchanged)")
        if self.notes_cut:
            lines.append(f"  {self.notes_cut} notes were cut to the configured review.note_max_chars")
        return "\n".join(lines)


def decisions_path(cfg: Config) -> str:
    return catalog.table_path(cfg.lakehouse, "meta/review_decisions")


def read_decisions(spark: SparkSession, cfg: Config) -> DataFrame:
    """meta/review_decisions, or an empty frame of its schema before a first import."""
    return delta.read_or_empty(spark, decisions_path(cfg), DECISIONS_SCHEMA)


def published_candidates(spark: SparkSession, cfg: Config, run_date: dt.date) -> DataFrame:
    """closure_candidates of `run_date` as published (a run marker for the date exists), else InputError."""
    path = catalog.table_path(cfg.lakehouse, "gold/closure_candidates")
    if run_date not in published_dates(spark, cfg.lakehouse) or not delta.exists(spark, path):
        raise InputError(f"no closure candidates were published for {run_date} in {cfg.lakehouse}; "
                         f"run the nightly for {run_date} first")
    cand = delta.read(spark, path).where(F.col("run_date") == F.lit(run_date))
    if cand.isEmpty():
        raise InputError(f"the nightly for {run_date} published no closure candidates: nothing to review")
    return cand


def _read_file(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"review file {path} does not exist")
    return p.read_bytes()


def run_import(spark: SparkSession, cfg: Config, path: str, run_date: dt.date) -> ImportResult:
    """Checks a return file against the candidates of `run_date` and stores its decisions.

    Args:
        spark: the session.
        cfg: configuration with the lakehouse set.
        path: the return file (CSV, UTF-8; see review_file).
        run_date: the date of the candidate list the decisions are about.

    Raises:
        UsageError: no lakehouse, no file, or no HMAC key.
        InputError: no published candidates for `run_date`, or problems in the file (all listed, one
            per line after a first line ``N problems in FILE``); nothing is written then.
    """
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    key = load_hmac_key(cfg.privacy)
    data = _read_file(path)
    cand = published_candidates(spark, cfg, run_date)
    parsed = parse_return_file(data, cfg.review.note_max_chars)
    ids = sorted({d.merchant_id for d in parsed.decisions if d.merchant_id})
    problems = list(parsed.problems)
    if ids:
        merchants = catalog.table_path(cfg.lakehouse, "silver/merchants")
        known = {r[0] for r in delta.read(spark, merchants).where(F.col("merchant_id").isin(ids))
                 .select("merchant_id").collect()} if delta.exists(spark, merchants) else set()
        listed = {r[0] for r in cand.where(F.col("merchant_id").isin(ids)).select("merchant_id").collect()}
        problems += check_stores(parsed.decisions, known, listed, str(run_date))
    if not problems and not parsed.decisions:
        problems.append(f"file: no reviewed rows (every decision is empty; {parsed.skipped} rows skipped)")
    if problems:
        problems.sort(key=problem_line_number)  # stable: a line's problems keep their order
        n = len(problems)
        raise InputError(f"{n} problem{'s' if n > 1 else ''} in {path}; nothing was imported\n"
                         + "\n".join(f"  {p}" for p in problems))

    sha = hashlib.sha256(data).hexdigest()
    result = ImportResult(run_date, uuid.uuid4().hex[:12], skipped=parsed.skipped, notes_cut=parsed.notes_cut)
    for d in parsed.decisions:
        result.counts[d.decision] = result.counts.get(d.decision, 0) + 1
    existing = read_decisions(spark, cfg).where(
        (F.col("run_date") == F.lit(run_date)) & F.col("merchant_id").isin(ids)).select("merchant_id", "file_sha256")
    for r in existing.collect():
        if r["file_sha256"] == sha:
            result.unchanged += 1
        else:
            result.replaced.append(r["merchant_id"])

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    raw = spark.createDataFrame(
        [(d.merchant_id, d.decision, d.reviewer, d.note or None) for d in parsed.decisions],
        "merchant_id string, decision string, reviewer string, note string")
    pseudonymise = pseudonymiser(key)
    rows = raw.join(cand.select("merchant_id", *SNAPSHOT_COLUMNS), on="merchant_id", how="inner").select(
        F.lit(run_date).cast("date").alias("run_date"), "merchant_id", "decision",
        pseudonymise(F.col("reviewer")).alias("reviewer"), "note",
        F.lit(result.import_id).alias("import_id"), F.lit(now).cast("timestamp").alias("imported_at"),
        F.lit(sha).alias("file_sha256"),
        *[F.col(c) if c == "rules_fired" else F.col(c).cast("bigint").alias(c) for c in SNAPSHOT_COLUMNS],
    )
    target = decisions_path(cfg)
    # Re-importing the same file is a no-op; any other file's decision replaces the stored one.
    # Personal data (a pseudonym) and free text stay out of Delta's per-file statistics.
    personal = list(catalog.entry("meta/review_decisions").pii)
    delta.merge_rows(rows, target, ["run_date", "merchant_id"], update_condition="t.file_sha256 <> s.file_sha256",
                     properties=delta.stats_properties(rows, personal), run_id=f"review-{result.import_id}")
    if result.replaced:
        log.info("review import %s replaced the decisions of %s for %s", result.import_id,
                 ", ".join(sorted(result.replaced)), run_date)
    return result
