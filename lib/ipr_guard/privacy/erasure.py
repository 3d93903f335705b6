"""Erasure requests: remove a subject's personal data from every table the project writes.

Contract ("Personal data", `erasure`): personal-data columns are nulled and rows are kept (so KPIs still
count every event); older table versions lose the data once the retention window has passed (VACUUM);
an erasure deletes by joining with the requests, so no personal value is written into a commit's
predicate; the erasure is recorded without personal data.

How each rule is kept here:

* Every update is a Delta MERGE whose source is the subjects DataFrame and whose condition names columns
  only (``t.buyer_id = s.subject_id``). The commit's ``operationParameters`` therefore hold column names,
  never a pseudonym or a merchant's identity.
* PII columns are kept out of Delta's per-file statistics when the tables are created
  (`ipr_guard.io.delta.stats_properties`) and deletion vectors are off, so the MERGE rewrites whole files
  and the old ones hold the only remaining copies: `vacuum_after_erasure` removes them.
* `meta/erasure_audit` holds the request id, the subject type, the tables touched and a row count.

Typical use in the nightly, after silver is refreshed (the caller decides when)::

    subjects = erasure_subjects(silver(privacy_requests), run_date, cfg.timezone)
    apply_erasures(spark, lakehouse, subjects, run_id, erased_on=run_date)
    vacuum_after_erasure(spark, lakehouse, retention_hours)
"""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.schema import TABLES
from ipr_guard.transforms.columns import market_date

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"
ERASURE = "erasure"
# Layers holding one copy of each contract table, both written by ingest.
LAYERS = ("bronze", "silver")
# Subject types whose id is itself personal data (pseudonymised at ingest), straight from the schema.
PSEUDONYMISED_SUBJECTS: tuple[str, ...] = TABLES["privacy_requests"].field("subject_id").pii_if[1]
# Quarantine: a pointer to one bad record (unique: a file's line is quarantined once per delivery day).
QUARANTINE_POINTER = ("table", "ingest_date", "source_file", "line_number")
PARALLELISM_CONF = "spark.sql.sources.parallelPartitionDiscovery.parallelism"

AUDIT_SCHEMA = T.StructType([
    T.StructField("request_id", T.StringType(), False),
    T.StructField("subject_type", T.StringType()),
    T.StructField("tables_touched", T.ArrayType(T.StringType(), False)),
    T.StructField("rows_updated", T.LongType()),
    T.StructField("run_id", T.StringType()),
    T.StructField("erased_on", T.DateType()),
])


@dataclass(frozen=True)
class ErasureTarget:
    """Where a subject's personal data lives in one contract table.

    Attributes:
        table: contract table name (the same name under bronze/ and silver/).
        subject_types: privacy-request subject types this table holds data of.
        match_column: the table's column compared with the request's subject_id.
        columns: the personal-data columns set to NULL.
        same_subject_type: the row's own subject_type must equal the request's as well (a buyer and a
            reporter id may share a pseudonym without being the same person).
    """

    table: str
    subject_types: tuple[str, ...]
    match_column: str
    columns: tuple[str, ...]
    same_subject_type: bool = False

    def condition(self) -> str:
        """The MERGE condition: column names only, so no personal value reaches the commit log."""
        parts = [f"t.`{self.match_column}` = s.`subject_id`"]
        if self.same_subject_type:
            parts.append("t.`subject_type` = s.`subject_type`")
        # Rows already erased are not matched: a rerun rewrites no file and counts nothing.
        parts.append("(" + " OR ".join(f"t.`{c}` IS NOT NULL" for c in self.columns) + ")")
        return " AND ".join(parts)


# PII columns come from the schema, so a PII field added to the contract is erased without a change here.
TARGETS = (
    ErasureTarget("merchants", ("merchant",), "merchant_id", tuple(TABLES["merchants"].pii_fields)),
    ErasureTarget("orders", ("buyer",), "buyer_id", ("buyer_id",)),
    ErasureTarget("complaints", ("reporter",), "reporter_id", ("reporter_id",)),
)
# Last, after every other table: its subject_id is what the other tables were matched against.
PRIVACY_REQUESTS_TARGET = ErasureTarget("privacy_requests", PSEUDONYMISED_SUBJECTS, "subject_id", ("subject_id",),
                                        same_subject_type=True)
# A merchant's personal data is only in merchants rows; buyer/reporter pseudonyms may be in any table's.
MERCHANT_PII_TABLES = tuple(t.table for t in TARGETS if "merchant" in t.subject_types)


def erasure_subjects(privacy_requests: DataFrame, run_date: dt.date, tz: str = DEFAULT_TZ) -> DataFrame:
    """The erasure requests received by the end of `run_date` (a day in `tz`).

    Pure: no I/O. Pass silver privacy_requests (one row per request_id).

    Args:
        privacy_requests: rows of the privacy_requests table (subject_id pseudonymised for buyers and
            reporters, the raw merchant_id for merchants).
        run_date: the run date D.
        tz: the marketplace time zone; "received by the end of D" is judged on its calendar.

    Returns:
        request_id, subject_type, subject_id. A request whose subject_id was already nulled by an
        earlier erasure is kept (it matches nothing, and is audited if it was not yet).
    """
    received_by_d = market_date(F.col("received_at"), tz) <= F.lit(run_date)
    return (privacy_requests.where((F.col("request_type") == ERASURE) & received_by_d)
            .select("request_id", "subject_type", "subject_id"))


def apply_erasures(spark: SparkSession, lakehouse: str, subjects: DataFrame, run_id: str,
                   erased_on: dt.date | None = None, tz: str = DEFAULT_TZ) -> list[dict]:
    """Nulls the personal data of every not-yet-audited erasure request and audits each one.

    For each request: its subject's personal-data columns in bronze/ and silver/ (merchants, orders,
    complaints) are set to NULL, rows kept; `quarantine/records.raw_line` is set to NULL where it contains
    the subject's pseudonym (or, for merchants' bad records, the merchant id); last, the subject_id of
    privacy_requests rows of a buyer or reporter subject is nulled. One MERGE per table touched, then one
    append to `meta/erasure_audit`.

    Idempotent: requests already in the audit are skipped, and each MERGE only matches rows that still
    hold data, so a rerun after a crash (before the audit was written) redoes the rest and changes
    nothing else.

    Args:
        spark: the session.
        lakehouse: the lakehouse root.
        subjects: request_id, subject_type, subject_id, e.g. from `erasure_subjects`.
        run_id: the run that applies the erasures (recorded in the audit).
        erased_on: the date recorded in the audit; default today in `tz`. Pass the run date to keep
            reruns reproducible.
        tz: the marketplace time zone (only for the default of `erased_on`).

    Returns:
        The audit rows written, as dicts (no personal data); empty when nothing was pending.
    """
    audit_path = catalog.table_path(lakehouse, "meta/erasure_audit")
    pending = subjects.select("request_id", "subject_type", "subject_id")
    if delta.exists(spark, audit_path):
        pending = pending.join(delta.read(spark, audit_path).select("request_id"), "request_id", "left_anti")
    # Materialised once: the subjects usually come from privacy_requests, whose subject_id this function
    # nulls at the end; a lazy frame would then see NULLs. localCheckpoint keeps it in Spark's block
    # manager (the executors' scratch space), never under the lakehouse.
    pending = pending.dropDuplicates(["request_id"]).localCheckpoint(eager=True)
    requests = {r["request_id"]: r["subject_type"] for r in pending.select("request_id", "subject_type").collect()}
    if not requests:
        return []
    touched: dict[str, dict[str, int]] = {rid: {} for rid in requests}

    for target in TARGETS:
        for layer in LAYERS:
            _erase_columns(spark, lakehouse, layer, target, pending, touched)
    _erase_quarantine(spark, lakehouse, pending, touched)
    for layer in LAYERS:
        _erase_columns(spark, lakehouse, layer, PRIVACY_REQUESTS_TARGET, pending, touched)

    day = erased_on or dt.datetime.now(ZoneInfo(tz)).date()
    rows = [{"request_id": rid, "subject_type": requests[rid], "tables_touched": sorted(touched[rid]),
             "rows_updated": sum(touched[rid].values()), "run_id": run_id, "erased_on": day}
            for rid in sorted(requests)]
    # Written last: a crash before this line leaves the requests pending, and the rerun is harmless.
    delta.append(spark.createDataFrame([tuple(r[f.name] for f in AUDIT_SCHEMA) for r in rows], AUDIT_SCHEMA),
                 audit_path)
    for r in rows:
        log.info("erasure %s (%s): %d rows in %s", r["request_id"], r["subject_type"], r["rows_updated"],
                 ", ".join(r["tables_touched"]) or "no table")
    return rows


def _erase_columns(spark: SparkSession, lakehouse: str, layer: str, target: ErasureTarget, pending: DataFrame,
                   touched: dict[str, dict[str, int]]) -> None:
    """Nulls `target.columns` of one table by a MERGE joining with the pending subjects."""
    path = catalog.table_path(lakehouse, f"{layer}/{target.table}")
    if not delta.exists(spark, path):
        return
    src = pending.where(F.col("subject_type").isin(*target.subject_types) & F.col("subject_id").isNotNull())
    condition = target.condition()
    # Counted per request before the MERGE (its own metrics are per table, not per request).
    counts = (delta.read(spark, path).alias("t").join(src.alias("s"), F.expr(condition))
              .groupBy(F.col("s.request_id")).count().collect())
    if not counts:
        return  # nothing to erase: no empty commit
    name = f"{layer}/{target.table}"
    for r in counts:
        touched[r[0]][name] = r[1]
    # One source row per subject: Delta refuses a target row matched by two source rows (two requests
    # for the same subject).
    source = src.select("subject_type", "subject_id").distinct()
    # Nulling is idempotent, so a conflicting commit may simply run again.
    delta.retry_on_conflict(lambda: (DeltaTable.forPath(spark, path).alias("t")
                                     .merge(source.alias("s"), condition)
                                     .whenMatchedUpdate(set={c: F.lit(None).cast("string") for c in target.columns})
                                     .execute()), path)


def _erase_quarantine(spark: SparkSession, lakehouse: str, pending: DataFrame,
                      touched: dict[str, dict[str, int]]) -> None:
    """Nulls `raw_line` of bad records that contain a pending subject's pseudonym or merchant id.

    A raw line may contain several subjects (so a MERGE straight on `contains` could match one target row
    twice): the bad records are found by a `contains` join with the subjects, and the MERGE then joins on
    the records' pointers (table, day, file, line), none of them personal data.
    """
    path = catalog.table_path(lakehouse, "quarantine/records")
    if not delta.exists(spark, path):
        return
    subjects = pending.where(F.col("subject_id").isNotNull())
    # A merchant id is not a pseudonym: searched only in the merchants' bad records, the only ones holding
    # a merchant's personal data. It may also hit a longer id that contains it (M2 in M20); losing such a
    # diagnostic copy is cheaper than keeping personal data.
    in_scope = (F.col("s.subject_type") != "merchant") | F.col("q.table").isin(*MERCHANT_PII_TABLES)
    hits = (delta.read(spark, path).where(F.col("raw_line").isNotNull()).alias("q")
            .join(F.broadcast(subjects.alias("s")), F.col("q.raw_line").contains(F.col("s.subject_id")) & in_scope)
            .select(F.col("s.request_id").alias("request_id"), *[F.col(f"q.{c}").alias(c) for c in QUARANTINE_POINTER])
            .localCheckpoint(eager=True))
    counts = hits.groupBy("request_id").count().collect()
    if not counts:
        return
    for r in counts:
        touched[r[0]]["quarantine/records"] = r[1]
    on = " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in QUARANTINE_POINTER)
    delta.retry_on_conflict(lambda: (DeltaTable.forPath(spark, path).alias("t")
                                     .merge(hits.select(*QUARANTINE_POINTER).distinct().alias("s"), on)
                                     .whenMatchedUpdate(set={"raw_line": F.lit(None).cast("string")})
                                     .execute()), path)


def retention_properties(hours: int) -> dict[str, str]:
    """Table properties that let old versions and log entries age out within the erasure window.

    `delta.deletedFileRetentionDuration` is how long a file removed from the table (e.g. the file an
    erasure rewrote) stays readable by time travel; VACUUM deletes it only after that, and Delta's
    safety check refuses a VACUUM retaining less than it. `delta.logRetentionDuration` is how long commit
    files are kept; they are cleaned up when a checkpoint is written (every `delta.checkpointInterval`
    commits). Both must be no longer than the erasure window: an erasure is complete when its old files
    are gone, i.e. at most `hours` after the erasure plus the time to the next `vacuum_after_erasure`.
    (The commits hold no personal value anyway: PII is kept out of file statistics and erasure
    predicates name columns only.)

    Args:
        hours: the erasure window in hours (e.g. 168 for one week).

    Returns:
        {property: value} to pass when a table is created (`pipelines.privacy_step.set_retention_defaults`
        makes them the session's defaults for every new table).
    """
    if int(hours) != hours or hours < 0:
        raise ValueError(f"retention hours must be a whole number >= 0, got {hours!r}")
    value = f"interval {int(hours)} hours"
    return {"delta.logRetentionDuration": value, "delta.deletedFileRetentionDuration": value}


def delta_tables(spark: SparkSession, lakehouse: str, max_depth: int = 3) -> list[str]:
    """Paths of every Delta table under `lakehouse` (folders holding a `_delta_log`), sorted.

    Walks through Hadoop's FileSystem so object stores work too; does not descend into a table.
    """
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path
    root = lakehouse.rstrip("/")
    fs = hpath(root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    found: list[str] = []

    # Paths are built from `lakehouse` as given (not Hadoop's qualified form), like the catalog's paths.
    def walk(path: str, depth: int) -> None:
        if fs.exists(hpath(f"{path}/_delta_log")):
            found.append(path)
            return
        if depth >= max_depth:
            return
        for status in fs.listStatus(hpath(path)):
            name = status.getPath().getName()
            if status.isDirectory() and not name.startswith(("_", ".")):
                walk(f"{path}/{name}", depth + 1)

    if fs.exists(hpath(root)):
        walk(root, 0)
    return sorted(found)


def vacuum_after_erasure(spark: SparkSession, lakehouse: str, retention_hours: int,
                         listing_parallelism: int | None = None) -> list[str]:
    """VACUUMs every Delta table under the lakehouse, so files rewritten by an erasure disappear.

    A file an erasure replaced is deleted once it has been out of the table for `retention_hours`
    (Delta counts from the commit that removed it, not from the file's age). Set `retention_hours` to the
    erasure window and give the tables `retention_properties` of the same window: then Delta's safety
    check (`spark.databricks.delta.retentionDurationCheck.enabled`, which refuses a retention shorter
    than the table's `delta.deletedFileRetentionDuration`) passes without being disabled, and time
    travel to versions older than the window stops at the same point. Readers of a version older than
    the window may fail after this; that is the point of an erasure.

    Args:
        spark: the session.
        lakehouse: the lakehouse root.
        retention_hours: hours a removed file is kept (0 deletes every file no longer in a table).
        listing_parallelism: when given, `spark.sql.sources.parallelPartitionDiscovery.parallelism` for
            the duration of the call (restored after). VACUUM lists and deletes files with that many
            tasks per stage; Spark's default of 10000 costs about 20 s per tiny table on two local cores,
            against 2 s with a handful. Better set once in the environment's Spark options.

    Returns:
        The paths of the tables vacuumed.
    """
    retention_properties(retention_hours)  # same validation
    paths = delta_tables(spark, lakehouse)
    with _session_conf(spark, PARALLELISM_CONF, listing_parallelism):
        for path in paths:
            DeltaTable.forPath(spark, path).vacuum(float(retention_hours))
    return paths


@contextmanager
def _session_conf(spark: SparkSession, key: str, value: object | None):
    """Sets a session conf for the block and restores the previous value (nothing when value is None)."""
    if value is None:
        yield
        return
    old = spark.conf.get(key, None)
    spark.conf.set(key, str(value))
    try:
        yield
    finally:
        if old is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, old)
