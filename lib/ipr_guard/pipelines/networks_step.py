"""Store networks as a job of its own (`ipr-guard networks --date D`), run after the nightly for D.

Tables (replaced per run date, so that a rerun gives the same rows):
    gold/store_networks: run_date, merchant_id, network_id, network_size, closed_members, first_seen,
        link_kinds; one row per store in a network of two or more stores.
    meta/network_merges: run_date, kind (``merge`` or ``split``), from_id, to_id
        (`transforms.networks` for what a row means).

Last night's state is the store_networks rows of the latest run date before D that has rows. The night
is recomputed incrementally from the stores delivered since then (bronze merchants by delivery day) and
the stores erased by the end of D, or in full when asked (`--full`) or when there are no rows before D.
A night whose stores form no network writes no rows; the next night then starts from the last one that
had networks, so ids seen before are kept rather than made anew.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.pipelines import recovery
from ipr_guard.privacy.erasure import erasure_subjects
from ipr_guard.schema import TABLES, silver_schema
from ipr_guard.transforms import networks

log = logging.getLogger(__name__)

STORE_NETWORKS_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("merchant_id", T.StringType()),
    T.StructField("network_id", T.StringType()), T.StructField("network_size", T.LongType()),
    T.StructField("closed_members", T.LongType()), T.StructField("first_seen", T.DateType()),
    T.StructField("link_kinds", T.ArrayType(T.StringType())),
])
NETWORK_MERGES_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("kind", T.StringType()),
    T.StructField("from_id", T.StringType()), T.StructField("to_id", T.StringType()),
])


def _silver(spark: SparkSession, cfg: Config, name: str) -> DataFrame:
    return delta.read_or_empty(spark, catalog.table_path(cfg.lakehouse, f"silver/{name}"), silver_schema(TABLES[name]))


def previous_networks(spark: SparkSession, cfg: Config, run_date: dt.date) -> tuple[DataFrame, dt.date | None]:
    """Last night's store_networks rows and their run date (None when no run date before D has rows)."""
    path = catalog.table_path(cfg.lakehouse, "gold/store_networks")
    rows = delta.read_or_empty(spark, path, STORE_NETWORKS_SCHEMA).where(F.col("run_date") < F.lit(run_date))
    last = rows.agg(F.max("run_date")).first()[0]
    return rows.where(F.col("run_date") == F.lit(last)) if last else rows, last


def delivered_merchants(spark: SparkSession, cfg: Config, after: dt.date, run_date: dt.date) -> DataFrame:
    """merchant_id of the stores delivered on a day in (after, D]: the stores whose identity may have changed."""
    path = catalog.table_path(cfg.lakehouse, "bronze/merchants")
    bronze = delta.read_or_empty(spark, path, T.StructType([T.StructField("merchant_id", T.StringType()),
                                                            T.StructField("_ingest_date", T.DateType())]))
    return bronze.where((F.col("_ingest_date") > F.lit(after)) & (F.col("_ingest_date") <= F.lit(run_date))).select(
        "merchant_id").distinct()


def compute_networks(spark: SparkSession, cfg: Config, run_date: dt.date,
                     full: bool = False) -> tuple[DataFrame, DataFrame, str]:
    """Tonight's store networks and network merges/splits, computed, not written.

    Incremental from the stores delivered since last night (`delivered_merchants`) and the stores erased
    by the end of D (an erasure changes silver without a delivered row); in full when `full` or when no
    night before D has rows.

    Args:
        spark: the session.
        cfg: the run's configuration (lakehouse, rules.identity_fields, rules.closure_reasons, timezone).
        run_date: the run date D.
        full: recompute every network.

    Returns:
        (store_networks rows for D, network_merges rows for D, "full" or "incremental"), uncached and
        unwritten.
    """
    merchants = _silver(spark, cfg, "merchants")
    closed = networks.closed_stores(_silver(spark, cfg, "enforcement_actions"), cfg.rules.closure_reasons)
    previous, last = previous_networks(spark, cfg, run_date)
    fields = tuple(cfg.rules.identity_fields)
    mode = "full" if full or last is None else "incremental"
    if mode == "full":
        log.info("[%s] store networks: full recompute", run_date)
        assigned = networks.recompute_full(previous, merchants, fields, run_date)
    else:
        erased = (erasure_subjects(_silver(spark, cfg, "privacy_requests"), run_date, cfg.timezone)
                  .where(F.col("subject_type") == "merchant").select(F.col("subject_id").alias("merchant_id")))
        changed = delivered_merchants(spark, cfg, last, run_date).unionByName(erased)
        assigned = networks.recompute_incremental(previous, merchants, changed, fields, run_date)
    # Both outputs read the assignments; checkpointed (lazily: on first use) they are computed once.
    assigned = assigned.localCheckpoint(eager=False)
    rows = networks.store_networks(assigned, closed, run_date)
    merges = networks.network_changes(previous, assigned, run_date)
    return rows, merges, mode


@dataclass
class NetworksResult:
    """What a networks run wrote for D."""

    run_date: dt.date
    mode: str
    stores: int
    networks: int
    merges: int
    splits: int

    def summary(self) -> str:
        return (f"store networks for {self.run_date} ({self.mode}): {self.stores} stores in {self.networks} "
                f"networks; {self.merges} merged, {self.splits} split off")


def run(spark: SparkSession, cfg: Config, run_date: dt.date, full: bool = False) -> NetworksResult:
    """Computes D's store networks from silver and replaces D's rows of both tables.

    Raises:
        UsageError: D is not published yet (the networks read what the nightly for D took in).
    """
    if run_date not in recovery.published_dates(spark, cfg.lakehouse):
        raise UsageError(f"{run_date} is not published on {cfg.lakehouse}: run the nightly for it first")
    rows, merges, mode = compute_networks(spark, cfg, run_date, full)
    rows, merges = rows.cache(), merges.cache()
    day = f"run_date = DATE'{run_date}'"
    delta.replace_where(rows, catalog.table_path(cfg.lakehouse, "gold/store_networks"), day)
    delta.replace_where(merges, catalog.table_path(cfg.lakehouse, "meta/network_merges"), day)
    counts = rows.agg(F.count(F.lit(1)), F.countDistinct("network_id")).first()
    kinds = {r["kind"]: r["count"] for r in merges.groupBy("kind").count().collect()}
    result = NetworksResult(run_date, mode, counts[0], counts[1],
                            kinds.get("merge", 0), kinds.get("split", 0))
    rows.unpersist()
    merges.unpersist()
    log.info(result.summary())
    return result
