"""Table maintenance: compact the small files daily appends leave (OPTIMIZE), then VACUUM old ones.

A job of its own (`ipr-guard maintain`, jobs/maintain.py), run under the nightly's lakehouse lock so it
never rewrites a table a nightly is writing. Contents never change: OPTIMIZE only rewrites files, and
VACUUM only deletes files no version within the retention still needs.

Two rules keep it from weakening the nightly's guarantees:

* Before anything, a killed nightly's gold commits are rolled back (pipelines.recovery), as the nightly
  itself does: recovery looks at each gold table's latest commit, which an OPTIMIZE would hide.
  Maintenance commits carry no run id, so recovery never mistakes one for a run's.
* The VACUUM retention (`maintenance.vacuum_retention_hours`) is never below the erasure window, i.e.
  the tables' `delta.deletedFileRetentionDuration` (checked by config); Delta's own safety check stays on.
  Erased data still leaves storage within the window through the nightly's `vacuum_if_due`.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import RunLock, ensure_writable, hadoop_fs
from ipr_guard.pipelines import recovery
from ipr_guard.privacy.erasure import delta_tables

log = logging.getLogger(__name__)

LAYERS = ("bronze", "silver", "gold", "meta", "quarantine")
LOG_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("table", T.StringType(), False),
    T.StructField("files_before", T.LongType()),
    T.StructField("files_after", T.LongType()),
    T.StructField("bytes_before", T.LongType()),
    T.StructField("bytes_after", T.LongType()),
    T.StructField("files_compacted", T.LongType()),
    T.StructField("stored_files_before", T.LongType()),
    T.StructField("stored_files_after", T.LongType()),
    T.StructField("vacuum_retention_hours", T.IntegerType()),
    T.StructField("seconds", T.DoubleType()),
    T.StructField("maintained_at", T.TimestampType()),
])


@dataclass(frozen=True)
class TableMaintenance:
    """What maintenance did to one table.

    Attributes:
        table: `<layer>/<name>` under the lakehouse.
        files_before, files_after: files in the table's latest version (DESCRIBE DETAIL numFiles).
        bytes_before, bytes_after: their total size.
        files_compacted: small files OPTIMIZE replaced.
        stored_files_before, stored_files_after: data files on storage, referenced or not, before
            OPTIMIZE and after VACUUM.
    """

    table: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    files_compacted: int
    stored_files_before: int
    stored_files_after: int
    seconds: float


def run(spark: SparkSession, cfg: Config, run_date: dt.date) -> list[TableMaintenance]:
    """Compacts and vacuums every Delta table of the lakehouse; one row per table in meta/maintenance_log.

    Args:
        spark: the session.
        cfg: validated configuration with the lakehouse set (`cfg.maintenance` for what to do).
        run_date: the day the maintenance is recorded under (a day in the marketplace's time zone).

    Raises:
        UsageError: no lakehouse, an unwritable one, or a nightly holding its lock.
    """
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    ensure_writable(spark, cfg.lakehouse)
    run_id = f"maintain-{run_date}-{uuid.uuid4().hex[:8]}"
    with RunLock(spark, cfg.lakehouse, run_id):
        for line in recovery.roll_back_incomplete(spark, cfg.lakehouse):
            log.info("before maintenance: %s", line)
        root = cfg.lakehouse.rstrip("/")
        paths = [p for p in delta_tables(spark, cfg.lakehouse) if p[len(root) + 1:].split("/")[0] in LAYERS]
        done = [_maintain_table(spark, cfg, root, path) for path in paths]
        _record(spark, cfg, run_id, run_date, done)
    return done


def _maintain_table(spark: SparkSession, cfg: Config, root: str, path: str) -> TableMaintenance:
    name = path[len(root) + 1:]
    start = time.monotonic()
    table = DeltaTable.forPath(spark, path)
    before = table.detail().select("numFiles", "sizeInBytes").first()
    stored_before = _stored_files(spark, path)
    compacted = 0
    if cfg.maintenance.optimize:
        metrics = table.optimize().executeCompaction().select("metrics.numFilesRemoved").first()
        compacted = int(metrics[0] or 0) if metrics else 0
    try:
        table.vacuum(float(cfg.maintenance.vacuum_retention_hours))
    except Exception as e:  # noqa: BLE001 - Delta's retention check arrives as a Py4J/Illegal argument error
        if "retention" in str(e).lower():
            raise UsageError(f"VACUUM of {name} refused: maintenance.vacuum_retention_hours="
                             f"{cfg.maintenance.vacuum_retention_hours} is below the table's "
                             f"delta.deletedFileRetentionDuration") from None
        raise
    after = DeltaTable.forPath(spark, path).detail().select("numFiles", "sizeInBytes").first()
    result = TableMaintenance(name, int(before[0]), int(after[0]), int(before[1]), int(after[1]), compacted,
                              stored_before, _stored_files(spark, path), time.monotonic() - start)
    log.info("%-32s files %d -> %d (%d compacted), on storage %d -> %d, %.1fs", name, result.files_before,
             result.files_after, compacted, result.stored_files_before, result.stored_files_after, result.seconds)
    return result


def _stored_files(spark: SparkSession, path: str) -> int:
    """Data files under a table's folder, whether the latest version references them or not."""
    fs, jpath = hadoop_fs(spark, path)
    files = fs.listFiles(jpath, True)
    count = 0
    while files.hasNext():
        p = files.next().getPath().toString()
        if "/_delta_log/" not in p and not p.rsplit("/", 1)[-1].startswith((".", "_")):
            count += 1
    return count


def _record(spark: SparkSession, cfg: Config, run_id: str, run_date: dt.date, done: list[TableMaintenance]) -> None:
    if not done:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = [(run_id, run_date, m.table, m.files_before, m.files_after, m.bytes_before, m.bytes_after,
             m.files_compacted, m.stored_files_before, m.stored_files_after,
             cfg.maintenance.vacuum_retention_hours, m.seconds, now) for m in done]
    delta.append(spark.createDataFrame(rows, LOG_SCHEMA), catalog.table_path(cfg.lakehouse, "meta/maintenance_log"))


def summary(done: list[TableMaintenance]) -> str:
    """A few lines for the terminal: per table, files before and after."""
    if not done:
        return "maintenance: no Delta tables found"
    lines = [f"  {'table':<34}{'files before':>13}{'after':>7}{'on storage before':>19}{'after':>7}"]
    lines += [f"  {m.table:<34}{m.files_before:>13}{m.files_after:>7}{m.stored_files_before:>19}"
              f"{m.stored_files_after:>7}" for m in done]
    total = sum(m.files_before for m in done), sum(m.files_after for m in done)
    return "\n".join([f"maintained {len(done)} tables: {total[0]} files -> {total[1]}", *lines])
