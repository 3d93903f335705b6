"""The landing zone: which delivery files exist, and reading them into lines with their position.

Listing goes through Hadoop's FileSystem API so that local folders and object stores (s3a://, abfss://)
are read the same way.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard.errors import InputError, UsageError
from ipr_guard.io.files import hadoop_fs
from ipr_guard.schema import TABLES

DAY_DIR = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")
RELPATH = r"([^/]+/ingest_date=\d{4}-\d{2}-\d{2}/[^/]+)$"


@dataclass(frozen=True)
class DeliveryFile:
    """One delivered file: its table, delivery day, full path, path relative to the landing, size."""

    table: str
    ingest_date: dt.date
    path: str
    relpath: str
    size: int

    @property
    def fmt(self) -> str:
        return "parquet" if self.relpath.endswith(".parquet") else "jsonl"


@dataclass(frozen=True)
class DeliveryDay:
    """The files of one table delivered on one day, and a fingerprint of their names and sizes."""

    table: str
    ingest_date: dt.date
    files: tuple[DeliveryFile, ...]

    @property
    def fingerprint(self) -> str:
        text = "\n".join(f"{f.relpath}:{f.size}" for f in self.files)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _visible(name: str) -> bool:
    return not name.startswith((".", "_"))


def list_deliveries(spark: SparkSession, landing: str) -> list[DeliveryDay]:
    """Lists every (table, delivery day) in the landing folder, sorted by table and day.

    Raises:
        UsageError: the landing folder does not exist.
        InputError: it holds no table folder, a folder that is not a contract table, or a day folder
            not named ingest_date=YYYY-MM-DD.
    """
    fs, root = hadoop_fs(spark, landing)
    if not fs.exists(root) or not fs.getFileStatus(root).isDirectory():
        raise UsageError(f"landing folder {landing} does not exist")
    tables = [s for s in fs.listStatus(root) if s.isDirectory() and _visible(s.getPath().getName())]
    if not tables:
        raise InputError(f"landing folder {landing} holds no table folders (expected e.g. orders/, listings/)")
    unknown = sorted(s.getPath().getName() for s in tables if s.getPath().getName() not in TABLES)
    if unknown:
        raise InputError(f"landing folder {landing} has folders that are not contract tables: "
                         f"{', '.join(unknown)} (known: {', '.join(TABLES)})")
    days: list[DeliveryDay] = []
    for t in tables:
        table = t.getPath().getName()
        for d in fs.listStatus(t.getPath()):
            name = d.getPath().getName()
            if not d.isDirectory() or not _visible(name):
                continue
            m = DAY_DIR.match(name)
            try:
                day = dt.date.fromisoformat(m.group(1)) if m else None
            except ValueError:
                day = None
            if day is None:
                raise InputError(f"landing folder {table}/{name} is not named ingest_date=YYYY-MM-DD")
            files = tuple(sorted(
                (DeliveryFile(table, day, f.getPath().toString(), f"{table}/{name}/{f.getPath().getName()}", f.getLen())
                 for f in fs.listStatus(d.getPath())
                 if f.isFile() and _visible(f.getPath().getName())
                 and f.getPath().getName().endswith((".jsonl", ".json", ".parquet"))),
                key=lambda f: f.relpath))
            if files:
                days.append(DeliveryDay(table, day, files))
    return sorted(days, key=lambda d: (d.table, d.ingest_date))


def read_lines(spark: SparkSession, files: list[DeliveryFile]) -> DataFrame:
    """Reads delivery files into one row per non-empty line (JSON Lines) or row (Parquet, as JSON text).

    Returns:
        Columns source_file (path relative to the landing), ingest_date (DATE), line_number (1-based
        line of a JSON Lines file, row of a Parquet file), line (the JSON text).
    """
    parts = []
    jsonl = [f.path for f in files if f.fmt == "jsonl"]
    parquet = [f.path for f in files if f.fmt == "parquet"]
    if jsonl:
        # wholetext keeps each file in one row so that line numbers are exact.
        raw = spark.read.text(jsonl, wholetext=True).select(
            F.col("_metadata.file_path").alias("_path"), F.col("value"))
        parts.append(raw.select(
            "_path", F.posexplode(F.split(F.col("value"), "\n")).alias("_pos", "_line"),
        ).select(
            "_path", (F.col("_pos") + 1).cast("long").alias("line_number"),
            F.regexp_replace(F.col("_line"), "\r$", "").alias("line"),
        ).where(F.trim(F.col("line")) != ""))
    if parquet:
        rows = spark.read.option("mergeSchema", "true").parquet(*parquet)
        data_cols = [c for c in rows.columns]
        parts.append(rows.select(
            F.col("_metadata.file_path").alias("_path"),
            (F.col("_metadata.row_index") + 1).cast("long").alias("line_number"),
            F.to_json(F.struct(*[F.col(c) for c in data_cols])).alias("line"),
        ))
    if not parts:
        raise ValueError("read_lines needs at least one file")
    lines = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
    relpath = F.regexp_extract(F.col("_path"), RELPATH, 1)
    return lines.select(
        relpath.alias("source_file"),
        F.to_date(F.regexp_extract(relpath, r"ingest_date=(\d{4}-\d{2}-\d{2})", 1)).alias("ingest_date"),
        "line_number", "line",
    )
