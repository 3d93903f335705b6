"""Checks a written lakehouse against the dataset catalog: the tables, their keys and how they were written."""
from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ipr_guard.catalog import load_catalog
from ipr_guard.privacy.erasure import delta_tables

# Commits that change files or properties but not rows, or undo a killed run's: allowed on any table.
HOUSEKEEPING = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES", "RESTORE"}
# What each write mode's commits look like in Delta's history: (operation, mode, with a predicate).
CREATE = ("WRITE", "Overwrite", False)
MODES = {
    "append": {("WRITE", "Append", False)},
    "merge_by_key": {CREATE, ("MERGE", None, None)},
    "replace_by_day": {CREATE, ("WRITE", "Overwrite", True)},
}


def _commit_kind(row) -> tuple[str, str | None, bool | None]:
    op, params = row["operation"], row["operationParameters"] or {}
    if op != "WRITE":
        return op, None, None
    predicate = params.get("predicate")
    return op, params.get("mode"), bool(predicate and predicate not in ("[]", "null"))


def catalog_mismatches(spark: SparkSession, lakehouse: str) -> list[str]:
    """What in the lakehouse disagrees with the catalog; empty when every table is declared and kept to it.

    Every Delta table must be a catalog entry; a keyed table must have no two rows with the same key; its
    commits must be of its write mode (an erasure's MERGE is allowed on tables with personal columns).
    """
    catalog = load_catalog()
    by_path = {e.path(lakehouse): e for e in catalog.entries.values()}
    paths = delta_tables(spark, lakehouse)
    problems = [] if paths else [f"{lakehouse}: no Delta table at all"]
    for path in paths:
        entry = by_path.get(path)
        if entry is None:
            problems.append(f"{path}: a Delta table that is not in the dataset catalog")
            continue
        df = spark.read.format("delta").load(path)
        if entry.key:
            dupes = df.groupBy(*entry.key).count().where(F.col("count") > 1).limit(3).collect()
            if dupes:
                problems.append(f"{entry.ref}: key {list(entry.key)} not unique, e.g. {[r.asDict() for r in dupes]}")
        allowed = MODES[entry.write] | ({("MERGE", None, None)} if entry.pii else set())
        for row in DeltaTable.forPath(spark, path).history().select("version", "operation", "operationParameters").collect():
            kind = _commit_kind(row)
            if kind[0] not in HOUSEKEEPING and kind not in allowed:
                problems.append(f"{entry.ref} v{row['version']}: commit {kind} is not a {entry.write} write")
    return problems
