"""Small helpers over path-based Delta tables, so that pipelines state what they write, not how."""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from delta.tables import DeltaTable



def stats_properties(df: DataFrame, excluded: list[str]) -> dict[str, str]:
    """Table properties that keep `excluded` columns (personal data) out of Delta's per-file min/max.

    The contract requires it: a pseudonym in a file's statistics would survive an erasure in the log.
    Columns Delta cannot keep statistics for (arrays, booleans) are left out as well.
    """
    kept = [f.name for f in df.schema.fields if f.name not in set(excluded)
            and f.dataType.typeName() not in ("array", "map", "struct", "boolean", "binary")]
    return {"delta.dataSkippingStatsColumns": ",".join(f"`{c}`" for c in kept)}


def table_path(lakehouse: str, layer: str, name: str) -> str:
    """`<lakehouse>/<layer>/<name>`, the contract's layout for path-based tables."""
    return f"{lakehouse.rstrip('/')}/{layer}/{name}"


def exists(spark: SparkSession, path: str) -> bool:
    return DeltaTable.isDeltaTable(spark, path)


def read(spark: SparkSession, path: str, version: int | None = None) -> DataFrame:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)


def version(spark: SparkSession, path: str) -> int | None:
    """The table's latest version, or None when there is no table yet."""
    if not exists(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


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
    _writer(df, "overwrite", run_id).option("replaceWhere", condition).save(path)


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
        (DeltaTable.forPath(spark, path).alias("t").merge(df.alias("s"), on)
         .whenMatchedUpdateAll(condition=update_condition)
         .whenNotMatchedInsertAll()
         .execute())
    finally:
        if run_id:
            spark.conf.unset(key)


def append(df: DataFrame, path: str, run_id: str | None = None) -> None:
    _writer(df, "append", run_id).save(path)
