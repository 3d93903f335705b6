"""Ingest: landing files -> parsed batch -> gates -> bronze, quarantine and silver Delta tables.

A (table, delivery day) is pending until a run that read it has published; its fingerprint (file
names and sizes) is recorded then, so a late file in an old day makes that day pending again. Every
write here is keyed by the days it covers (replaceWhere) or by the table key (MERGE, latest wins), so
re-reading a day after a crash or a failed gate changes nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.pipelines.recovery import published_runs
from ipr_guard.io.landing import DeliveryDay, list_deliveries, read_lines
from ipr_guard.schema import TABLES, Table
from ipr_guard.transforms.parse import Pseudonymise, mark_duplicates, parse_lines

log = logging.getLogger(__name__)
_Item = TypeVar("_Item")
_Out = TypeVar("_Out")

INGEST_LOG_SCHEMA = T.StructType([
    T.StructField("table", T.StringType()), T.StructField("ingest_date", T.DateType()),
    T.StructField("fingerprint", T.StringType()), T.StructField("files", T.IntegerType()),
    T.StructField("rows_read", T.LongType()), T.StructField("accepted", T.LongType()),
    T.StructField("quarantined", T.LongType()), T.StructField("duplicates", T.LongType()),
    T.StructField("run_id", T.StringType()), T.StructField("run_date", T.DateType()),
])


@dataclass
class TableBatch:
    """What one run read of one table: the parsed rows (persisted) and its accounting.

    `key_conflicts` counts good, kept rows that share their key and updated_at (or just their key, in a
    table without updated_at) with other content on their delivery day (`parse.mark_duplicates`); they
    are resolved like any version, and only the broken-feed check looks at how many there are.
    """

    table: Table
    days: list[DeliveryDay]
    parsed: DataFrame
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    key_conflicts: int = 0
    per_day: dict[dt.date, dict[str, int]] = field(default_factory=dict)


def pending_days(spark: SparkSession, cfg: Config, run_date: dt.date) -> list[DeliveryDay]:
    """Delivery days up to `run_date` whose files were not taken in by a published run."""
    days = [d for d in list_deliveries(spark, cfg.landing) if d.ingest_date <= run_date]
    log_path = catalog.table_path(cfg.lakehouse, "meta/ingest_log")
    if not delta.exists(spark, log_path):
        return days
    # Only entries of runs that wrote their marker count: a killed run's days are read again.
    markers = published_runs(spark, cfg.lakehouse)
    if markers is None:
        return days
    taken = {(r["table"], r["ingest_date"], r["fingerprint"])
             for r in delta.read(spark, log_path).join(markers.select("run_id"), on="run_id", how="left_semi")
             .select("table", "ingest_date", "fingerprint").collect()}
    return [d for d in days if (d.table, d.ingest_date, d.fingerprint) not in taken]


def read_batch(spark: SparkSession, cfg: Config, table: Table, days: list[DeliveryDay],
               pseudonymise: Pseudonymise) -> TableBatch:
    """Parses a table's pending days, persists the result and counts it (one Spark job)."""
    files = [f for d in days for f in d.files]
    parsed = parse_lines(read_lines(spark, files), table, pseudonymise,
                         cfg.ingest.max_field_chars, cfg.ingest.max_raw_line_chars)
    parsed = mark_duplicates(parsed, table).persist(StorageLevel.MEMORY_AND_DISK)
    rows = (parsed.groupBy("ingest_date").agg(
        F.count(F.lit(1)).alias("rows_read"),
        F.count(F.col("_reason")).alias("quarantined"),
        F.sum(F.col("_duplicate").cast("long")).alias("duplicates"),
        F.sum(F.col("_key_conflict").cast("long")).alias("key_conflicts"),
    ).collect())
    batch = TableBatch(table, days, parsed)
    for r in rows:
        accepted = r["rows_read"] - r["quarantined"] - r["duplicates"]
        batch.per_day[r["ingest_date"]] = {"rows_read": r["rows_read"], "accepted": accepted,
                                           "quarantined": r["quarantined"], "duplicates": r["duplicates"],
                                           "key_conflicts": r["key_conflicts"]}
        batch.rows_read += r["rows_read"]
        batch.quarantined += r["quarantined"]
        batch.duplicates += r["duplicates"]
        batch.accepted += accepted
        batch.key_conflicts += r["key_conflicts"]
    return batch


def per_table(work: Callable[[_Item], _Out], items: list[_Item], parallel: int) -> list[_Out]:
    """`work` on each item, `parallel` at a time in threads, results in the items' order.

    One Spark session takes jobs from several threads; with small tables most of a table's time is
    driver work, which a second table in flight overlaps. The first failure is raised (after the
    other tables' work has finished: every write here is keyed, so a rerun repeats it harmlessly).
    """
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(items))), thread_name_prefix="table") as pool:
        return list(pool.map(work, items))


def read_batches(spark: SparkSession, cfg: Config, pending: list[DeliveryDay],
                 pseudonymise: Pseudonymise) -> dict[str, TableBatch]:
    """`read_batch` for every table with pending days, `ingest.parallel_tables` at a time."""
    days = group_by_table(pending)
    names = list(days)
    batches = per_table(lambda name: read_batch(spark, cfg, TABLES[name], days[name], pseudonymise), names,
                        cfg.ingest.parallel_tables)
    return dict(zip(names, batches))


def write_all_layers(spark: SparkSession, cfg: Config, batches: dict[str, TableBatch],
                     run_id: str) -> dict[str, DataFrame]:
    """`write_layers` for every batch, `ingest.parallel_tables` tables at a time (no two write one table)."""
    names = list(batches)
    latest = per_table(lambda name: write_layers(spark, cfg, batches[name], run_id), names,
                       cfg.ingest.parallel_tables)
    return dict(zip(names, latest))


def check_feed(batch: TableBatch, cfg: Config) -> list[str]:
    """Broken-feed checks of one table's batch: too many bad records or key conflicts.

    Versions of a key with different updated_at on one day are updates, never counted here; only
    `TableBatch.key_conflicts` (same key, same updated_at, other content) are.

    Returns:
        One readable sentence per problem (empty when the batch passes).
    """
    problems = []
    limit = cfg.ingest.max_bad_share * batch.rows_read
    if batch.quarantined > limit and batch.quarantined >= cfg.ingest.min_bad_rows:
        worst = max(batch.per_day.items(), key=lambda kv: kv[1]["quarantined"])
        problems.append(
            f"{batch.table.name}: {batch.quarantined} bad records of {batch.rows_read} rows read "
            f"({batch.quarantined / batch.rows_read:.1%}, limit {cfg.ingest.max_bad_share:.1%}); "
            f"worst day {worst[0]} with {worst[1]['quarantined']} (check: bad_record_share)")
    if batch.key_conflicts > limit and batch.key_conflicts >= cfg.ingest.min_bad_rows:
        worst = max(batch.per_day.items(), key=lambda kv: kv[1].get("key_conflicts", 0))
        same = "at the same updated_at " if batch.table.has_updated_at else ""
        problems.append(
            f"{batch.table.name}: {batch.key_conflicts} rows share their key with other content {same}on the "
            f"same delivery day ({batch.key_conflicts / batch.rows_read:.1%}, limit {cfg.ingest.max_bad_share:.1%}); "
            f"worst day {worst[0]} with {worst[1].get('key_conflicts', 0)} (check: duplicate_keys)")
    return problems


def check_daily_volume(spark: SparkSession, cfg: Config, batches: dict[str, TableBatch],
                       run_date: dt.date) -> list[str]:
    """Daily feeds must deliver every day up to the run date, each near its trailing average."""
    problems = []
    log_path = catalog.table_path(cfg.lakehouse, "meta/ingest_log")
    history: dict[tuple[str, dt.date], int] = {}
    if delta.exists(spark, log_path):
        for r in (delta.read(spark, log_path).where(F.col("table").isin(*cfg.ingest.daily_feeds))
                  .groupBy("table", "ingest_date").agg(F.max("rows_read").alias("n")).collect()):
            history[(r["table"], r["ingest_date"])] = r["n"]
    for name in cfg.ingest.daily_feeds:
        counts = {k[1]: v for k, v in history.items() if k[0] == name}
        batch = batches.get(name)
        new_days = set()
        if batch:
            for day, c in batch.per_day.items():
                counts[day] = c["rows_read"]
                new_days.add(day)
        if not counts:
            problems.append(f"{name}: no delivery at all up to {run_date} (check: daily_feed_missing)")
            continue
        first = min(counts)
        day = max(first, min(new_days) if new_days else run_date)
        while day <= run_date:
            trailing = [counts[day - dt.timedelta(days=i)] for i in range(1, cfg.ingest.trailing_days + 1)
                        if day - dt.timedelta(days=i) in counts]
            n = counts.get(day, 0)
            if n == 0:
                problems.append(f"{name}: delivery day {day} is missing or empty (check: daily_feed_missing)")
            elif trailing and n < cfg.ingest.min_volume_share * (sum(trailing) / len(trailing)):
                avg = sum(trailing) / len(trailing)
                problems.append(f"{name}: delivery day {day} has {n} rows, {n / avg:.0%} of its trailing "
                                f"{len(trailing)}-day average {avg:.0f} (check: daily_volume, minimum "
                                f"{cfg.ingest.min_volume_share:.0%})")
            day += dt.timedelta(days=1)
    return problems


def _days_condition(days: list[DeliveryDay], column: str = "ingest_date") -> str:
    return f"{column} IN (" + ", ".join(f"DATE'{d.ingest_date}'" for d in days) + ")"


def write_quarantine(spark: SparkSession, cfg: Config, batches: list[TableBatch], run_id: str) -> None:
    """Replaces the quarantine rows of the batches' days with this run's bad records (one commit)."""
    if not batches:
        return
    frames = [b.parsed.where(F.col("_reason").isNotNull()).select(
        F.lit(b.table.name).alias("table"), "ingest_date", "source_file", "line_number",
        F.col("_reason").alias("reason"), F.col("_raw").alias("raw_line"),
        F.lit(run_id).alias("ingest_run_id")) for b in batches]
    bad = frames[0]
    for f in frames[1:]:
        bad = bad.unionByName(f)
    condition = " OR ".join(f"(table = '{b.table.name}' AND {_days_condition(b.days)})" for b in batches)
    path = catalog.table_path(cfg.lakehouse, "quarantine/records")
    delta.replace_where(bad, path, condition, delta.stats_properties(bad, ["raw_line"]))


def accepted_rows(batch: TableBatch, run_id: str) -> DataFrame:
    """The batch's good, non-duplicate rows in silver's shape (contract fields + lineage)."""
    return batch.parsed.where(F.col("_reason").isNull() & ~F.col("_duplicate")).select(
        *batch.table.field_names,
        F.col("ingest_date").alias("_ingest_date"), F.col("source_file").alias("_source_file"),
        F.col("line_number").alias("_line_number"), F.lit(run_id).alias("_ingest_run_id"))


def version_order(table: Table, prefix: str = "") -> list[str]:
    """Columns that order versions of a key: updated_at, then delivery day, file name, line."""
    cols = (["updated_at"] if table.has_updated_at else []) + ["_ingest_date", "_source_file", "_line_number"]
    return [f"{prefix}{c}" for c in cols]


def latest_per_key(rows: DataFrame, table: Table) -> DataFrame:
    """One row per key, the latest version winning (contract: updated_at, then day, file, line)."""
    order = [F.col(c).desc_nulls_last() for c in version_order(table)]
    w = Window.partitionBy(*table.key).orderBy(*order)
    return rows.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") == 1).select(*rows.columns)


def write_layers(spark: SparkSession, cfg: Config, batch: TableBatch, run_id: str) -> DataFrame:
    """Writes the batch to bronze (by day) and merges its latest rows into silver; returns them."""
    table = batch.table
    rows = accepted_rows(batch, run_id)
    props = delta.stats_properties(rows, table.pii_fields)
    delta.replace_where(rows, catalog.table_path(cfg.lakehouse, f"bronze/{table.name}"),
                        _days_condition(batch.days, "_ingest_date"), props)
    latest = latest_per_key(rows, table)
    newer = "struct({}) > struct({})".format(", ".join(version_order(table, "s.")),
                                             ", ".join(version_order(table, "t.")))
    delta.merge_rows(latest, catalog.table_path(cfg.lakehouse, f"silver/{table.name}"), list(table.key), newer, props)
    return latest


def ingest_log_rows(spark: SparkSession, batches: list[TableBatch], run_id: str, run_date: dt.date) -> DataFrame:
    """One row per (table, delivery day) taken in by this run, with its accounting."""
    rows = []
    for b in batches:
        for d in b.days:
            c = b.per_day.get(d.ingest_date, {"rows_read": 0, "accepted": 0, "quarantined": 0, "duplicates": 0})
            rows.append((b.table.name, d.ingest_date, d.fingerprint, len(d.files), c["rows_read"], c["accepted"],
                         c["quarantined"], c["duplicates"], run_id, run_date))
    return spark.createDataFrame(rows, INGEST_LOG_SCHEMA)


def group_by_table(days: list[DeliveryDay]) -> dict[str, list[DeliveryDay]]:
    out: dict[str, list[DeliveryDay]] = {}
    for d in days:
        out.setdefault(d.table, []).append(d)
    return out
