"""Small helpers over path-based Delta tables, so that pipelines state what they write, not how."""
from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Callable

from delta.exceptions import (ConcurrentAppendException, ConcurrentDeleteDeleteException,
                              ConcurrentDeleteReadException, ConcurrentTransactionException)
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from ipr_guard.io.files import hadoop_fs, read_text

log = logging.getLogger(__name__)

# Conflicts a keyed write may simply run again: the losing commit saw files that another writer (a
# compaction, another table's maintenance) added or removed meanwhile. Rerunning the whole command reads
# the new snapshot, and since every write here is keyed (replaceWhere, MERGE) the result is the same as
# if it had run alone. A schema or protocol change (MetadataChanged, ProtocolChanged) is not retried:
# it needs a person.
RETRYABLE = (ConcurrentAppendException, ConcurrentDeleteReadException, ConcurrentDeleteDeleteException,
             ConcurrentTransactionException)
RETRY_ATTEMPTS = 5
# A commit file of the Delta log (the protocol's `<version, 20 digits>.json`); checkpoints, compacted
# ranges and temporary files have other names.
COMMIT_FILE = re.compile(r"^(\d{20})\.json$")


def retry_on_conflict(write: Callable[[], None], path: str, attempts: int = RETRY_ATTEMPTS,
                      base_delay: float = 0.5) -> int:
    """Runs `write`, running it again after Delta's retryable conflicts, with jittered backoff.

    Args:
        write: a keyed, idempotent write (the whole command, not a part of it).
        path: the table, for the log line.
        attempts: tries in all before the conflict is raised.
        base_delay: seconds before the first retry; doubled each time.

    Returns:
        The number of retries it took (0 when the first try committed).
    """
    for attempt in range(attempts):
        try:
            write()
            return attempt
        except RETRYABLE as e:
            if attempt == attempts - 1:
                raise
            delay = base_delay * 2 ** attempt * (1 + random.random())
            log.warning("write conflict on %s (%s), retry %d/%d in %.1fs", path, type(e).__name__,
                        attempt + 1, attempts - 1, delay)
            time.sleep(delay)
    return attempts

def stats_properties(df: DataFrame, excluded: list[str]) -> dict[str, str]:
    """Table properties that keep `excluded` columns (personal data) out of Delta's per-file min/max.

    The contract requires it: a pseudonym in a file's statistics would survive an erasure in the log.
    Columns Delta cannot keep statistics for (arrays, booleans) are left out as well.
    """
    kept = [f.name for f in df.schema.fields if f.name not in set(excluded)
            and f.dataType.typeName() not in ("array", "map", "struct", "boolean", "binary")]
    return {"delta.dataSkippingStatsColumns": ",".join(f"`{c}`" for c in kept)}


def _log_dir(path: str) -> str:
    return f"{path.rstrip('/')}/_delta_log"


def _commit_versions(spark: SparkSession, path: str) -> list[int]:
    """The versions whose commit files are in the table's log, oldest first ([] when there is no table).

    A listing of `_delta_log`: the run's recovery, publish and summary ask for versions of a dozen tables,
    and building a snapshot for each (DeltaTable.history) costs Spark jobs and seconds a night.
    """
    fs, log_dir = hadoop_fs(spark, _log_dir(path))
    if not fs.exists(log_dir):
        return []
    return sorted(int(m.group(1)) for s in fs.listStatus(log_dir) if (m := COMMIT_FILE.match(s.getPath().getName())))


def exists(spark: SparkSession, path: str) -> bool:
    """Whether `path` holds a Delta table with at least one commit."""
    return bool(_commit_versions(spark, path))


def read(spark: SparkSession, path: str, version: int | None = None) -> DataFrame:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)


def read_or_empty(spark: SparkSession, path: str, schema: T.StructType) -> DataFrame:
    """The table at `path`, or an empty frame of `schema` before the table's first write."""
    return read(spark, path) if exists(spark, path) else spark.createDataFrame([], schema)


def version(spark: SparkSession, path: str) -> int | None:
    """The table's latest version, or None when there is no table yet."""
    versions = _commit_versions(spark, path)
    return versions[-1] if versions else None


def latest_commit(spark: SparkSession, path: str) -> tuple[int, str | None] | None:
    """The table's latest version and the `userMetadata` its commit carries (None when it has none),
    or None when there is no table yet. Read from the log's last commit file, without a Spark job."""
    latest = version(spark, path)
    if latest is None:
        return None
    for line in read_text(spark, f"{_log_dir(path)}/{latest:020d}.json").splitlines():
        action = json.loads(line) if line.strip() else {}
        if "commitInfo" in action:
            return latest, action["commitInfo"].get("userMetadata")
    return latest, None


def _writer(df: DataFrame, mode: str, run_id: str | None):
    writer = df.write.format("delta").mode(mode)
    # The run id in the commit's metadata tells a completed run's commits from a killed one's.
    return writer.option("userMetadata", run_id) if run_id else writer


def create(df: DataFrame, path: str, properties: dict[str, str] | None = None, run_id: str | None = None) -> None:
    """Creates the table from `df`, with `properties` (delta.*) as table properties."""
    writer = _writer(df, "overwrite", run_id)
    for key, value in (properties or {}).items():
        writer = writer.option(key, value)
    writer.save(path)


def replace_where(df: DataFrame, path: str, condition: str, properties: dict[str, str] | None = None,
                  run_id: str | None = None) -> None:
    """Atomically replaces the rows matching `condition` with `df` (creates the table if needed).

    Rows of `df` must all match `condition`; Delta checks that and fails otherwise.
    """
    if not exists(df.sparkSession, path):
        create(df, path, properties, run_id)
        return
    retry_on_conflict(lambda: _writer(df, "overwrite", run_id).option("replaceWhere", condition).save(path), path)


def merge_rows(df: DataFrame, path: str, keys: list[str], update_condition: str | None = None,
               properties: dict[str, str] | None = None, run_id: str | None = None) -> None:
    """Upserts `df` into the table on `keys` in one commit; `update_condition` gates updates."""
    spark = df.sparkSession
    if not exists(spark, path):
        create(df, path, properties, run_id)
        return
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    # MERGE takes no writer options: its commit metadata comes from the session for this one commit.
    key = "spark.databricks.delta.commitInfo.userMetadata"
    if run_id:
        spark.conf.set(key, run_id)
    try:
        retry_on_conflict(lambda: (DeltaTable.forPath(spark, path).alias("t").merge(df.alias("s"), on)
                                   .whenMatchedUpdateAll(condition=update_condition)
                                   .whenNotMatchedInsertAll()
                                   .execute()), path)
    finally:
        if run_id:
            spark.conf.unset(key)


def append(df: DataFrame, path: str, run_id: str | None = None) -> None:
    """Appends `df` in one commit. Blind appends never conflict in Delta, so there is no retry."""
    _writer(df, "append", run_id).save(path)
