"""What the files that leave the platform (store dossiers, brand reports) share: how they read and write.

They read every table at one pinned version and record it for provenance, accept a period only from
the first delivery day a published run took in, and write canonical JSON (sorted keys, no wall-clock
time) beside the pages rendered from it, as plain files. Their content is checked for personal columns
before anything is written.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import write_bytes
from ipr_guard.pipelines import recovery
from ipr_guard.schema import TABLES, silver_schema
from ipr_guard.transforms.dossier import PERSONAL_COLUMNS


class Tables:
    """Reads tables by catalog name, each at one pinned version, and remembers the versions read."""

    def __init__(self, spark: SparkSession, lakehouse: str):
        self.spark, self.lakehouse, self.versions = spark, lakehouse, {}

    def read(self, ref: str, schema: T.StructType, version: int | None = None) -> DataFrame:
        """Table `ref` at `version` (default: its latest), or an empty frame of `schema` when it is absent."""
        path = catalog.table_path(self.lakehouse, ref)
        if version is None:
            version = delta.version(self.spark, path)
        self.versions[ref] = version
        if version is None:
            return self.spark.createDataFrame([], schema)
        return delta.read(self.spark, path, version)

    def silver(self, name: str) -> DataFrame:
        """silver/<name> at its latest version (empty with the contract's schema when absent)."""
        return self.read(f"silver/{name}", silver_schema(TABLES[name]))


def plain(value):
    """A collected value as JSON: dates as ISO text, rows and lists recursively."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def rows(df: DataFrame, *order, drop: tuple[str, ...] = ()) -> list[dict]:
    """`df` collected in `order` (none for a one-row frame) as JSON-ready dicts, without the columns in `drop`."""
    return [{k: plain(v) for k, v in r.asDict(recursive=True).items() if k not in drop}
            for r in (df.orderBy(*order) if order else df).collect()]


def published_runs(spark: SparkSession, lakehouse: str) -> list[dict]:
    """The latest published run of each run date: run_date, run_id, gold_versions, by run date.

    Raises:
        UsageError: the lakehouse has no published run.
    """
    runs = recovery.published_runs(spark, lakehouse)
    latest = Window.partitionBy("run_date").orderBy(F.col("finished_at").desc(), F.col("run_id").desc())
    found = [] if runs is None else (runs.withColumn("n", F.row_number().over(latest)).where(F.col("n") == 1)
                                     .select("run_date", "run_id", "gold_versions").orderBy("run_date").collect())
    if not found:
        raise UsageError(f"no published run in {lakehouse}: run the nightly first")
    return [{"run_date": r["run_date"], "run_id": r["run_id"],
             "gold_versions": recovery.marker_versions(r["gold_versions"])}
            for r in found]


def first_delivery_day(tables: Tables, runs: list[dict]) -> dt.date | None:
    """The first delivery day taken in by a published run (meta/ingest_log), None when none is logged."""
    log_rows = tables.read("meta/ingest_log", T.StructType([T.StructField("run_id", T.StringType()),
                                                            T.StructField("ingest_date", T.DateType())]))
    ids = [r["run_id"] for r in runs]
    return log_rows.where(F.col("run_id").isin(ids)).agg(F.min("ingest_date")).first()[0]


def checked_period(spark: SparkSession, cfg: Config, start: dt.date, end: dt.date) -> tuple[Tables, list[dict]]:
    """The pinned-table reader and the published runs, after the checks every outgoing file makes.

    Raises:
        UsageError: end before start, no lakehouse, no published run, or a period starting before the
            first delivery day.
    """
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    lakehouse = cfg.lakehouse
    tables = Tables(spark, lakehouse)
    runs = published_runs(spark, lakehouse)
    tables.versions["meta/runs"] = delta.version(spark, catalog.table_path(lakehouse, "meta/runs"))
    first_day = first_delivery_day(tables, runs)
    if first_day is None or start < first_day:
        raise UsageError(f"the period starts on {start}, before the first delivery day "
                         f"({first_day or 'none logged'}) of {lakehouse}: start on or after it")
    return tables, runs


def check_no_personal(content, where: str = "dossier") -> None:
    """Fails if any key of the content is a personal column's name (a guard against a future edit)."""
    if isinstance(content, dict):
        for k, v in content.items():
            if k in PERSONAL_COLUMNS:
                raise AssertionError(f"{where}.{k}: personal data must never be in a {where.split('.')[0]}")
            check_no_personal(v, f"{where}.{k}")
    elif isinstance(content, list):
        for item in content:
            check_no_personal(item, where)


def canonical_json(content: dict) -> bytes:
    """The JSON file's bytes: sorted keys, two-space indent, UTF-8, a final newline."""
    return (json.dumps(content, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_files(spark: SparkSession, folder: str, files: dict[str, bytes]) -> str:
    """Writes `files` (name -> bytes) into `folder`; returns the folder written (resolved when local)."""
    local = "://" not in folder or folder.startswith("file:")
    if not local:
        for name, data in files.items():
            write_bytes(spark, f"{folder}/{name}", data)
        return folder
    # Plain files for a local folder (Hadoop's local file system would add .crc files beside them).
    target = Path(folder.removeprefix("file:")).resolve()
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        tmp = target / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(target / name)
    return str(target)
