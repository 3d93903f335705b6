"""Computing and publishing a run date's gold outputs and the reviewers' files.

Everything is computed first (cached, counted) and only then written: one commit per gold table,
keyed by run date (replaceWhere) or kpi_date (MERGE), so a rerun replaces rather than duplicates.
"""
from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard.config import Config
from ipr_guard.io import delta
from ipr_guard.io.files import write_bytes
from ipr_guard.pipelines.ingest import TableBatch
from ipr_guard.schema import TABLES, silver_schema
from ipr_guard.reports import candidates_csv, render_report
from ipr_guard.transforms.candidates import closure_candidates
from ipr_guard.transforms.kpis import enforcement_kpis, market_date
from ipr_guard.transforms.listing_risk import listing_risk

log = logging.getLogger(__name__)

# Event time columns whose day a new or changed row can change a KPI of.
KPI_EVENT_TIMES = {"takedowns": "taken_down_at", "orders": "created_at", "complaints": "submitted_at",
                   "enforcement_actions": "decided_at"}


def silver(spark: SparkSession, cfg: Config, name: str) -> DataFrame:
    path = delta.table_path(cfg.lakehouse, "silver", name)
    if delta.exists(spark, path):
        return delta.read(spark, path)
    return spark.createDataFrame([], silver_schema(TABLES[name]))


def kpi_days(spark: SparkSession, cfg: Config, run_date: dt.date, changed: dict[str, DataFrame],
             batches: dict[str, TableBatch]) -> DataFrame:
    """The kpi_dates this run must (re)compute: those its new rows affect, and any not published yet."""
    log_path = delta.table_path(cfg.lakehouse, "meta", "ingest_log")
    firsts = [d.ingest_date for b in batches.values() for d in b.days]
    if delta.exists(spark, log_path):
        first_logged = delta.read(spark, log_path).agg(F.min("ingest_date")).first()[0]
        firsts += [first_logged] if first_logged else []
    first_day = min(firsts) if firsts else run_date
    start = run_date
    for name, col in KPI_EVENT_TIMES.items():
        if name in changed:
            earliest = changed[name].agg(F.min(market_date(F.col(col), cfg.timezone))).first()[0]
            if earliest:
                start = min(start, earliest)
    gold = delta.table_path(cfg.lakehouse, "gold", "enforcement_kpis")
    have = set()
    if delta.exists(spark, gold):
        have = {r[0] for r in delta.read(spark, gold).where(F.col("kpi_date") >= F.lit(first_day))
                .select("kpi_date").collect()}
    day, missing = first_day, []
    while day <= run_date:
        if day not in have:
            missing.append(day)
        day += dt.timedelta(days=1)
    if missing:
        start = min(start, missing[0])
    start = max(start, first_day)
    return spark.sql(f"SELECT explode(sequence(DATE'{start}', DATE'{run_date}', INTERVAL 1 DAY)) AS kpi_date")


def compute_outputs(spark: SparkSession, cfg: Config, run_date: dt.date, changed: dict[str, DataFrame],
                    batches: dict[str, TableBatch]) -> dict[str, DataFrame]:
    """Computes the gold outputs for `run_date` from silver; each is cached and counted once."""
    s = {name: silver(spark, cfg, name) for name in
         ("merchants", "brands", "listings", "orders", "complaints", "takedowns", "test_buys",
          "enforcement_actions")}
    outputs = {
        "enforcement_kpis": enforcement_kpis(kpi_days(spark, cfg, run_date, changed, batches), s["takedowns"],
                                             s["orders"], s["complaints"], s["enforcement_actions"], cfg.timezone),
        "closure_candidates": closure_candidates(run_date, s["merchants"], s["complaints"], s["test_buys"],
                                                 s["enforcement_actions"], cfg.timezone, cfg.rules),
        "listing_risk": listing_risk(run_date, s["listings"], s["orders"], s["brands"], cfg.timezone,
                                     cfg.listing_risk.low_price_ratio, cfg.listing_risk.keywords),
    }
    return {name: df.cache() for name, df in outputs.items()}


def publish_outputs(spark: SparkSession, cfg: Config, run_date: dt.date, outputs: dict[str, DataFrame]) -> dict[str, int]:
    """Writes the gold tables (one commit each) and the reviewers' files; returns row counts for D."""
    gold = {name: delta.table_path(cfg.lakehouse, "gold", name) for name in outputs}
    counts = {}
    for name in ("closure_candidates", "listing_risk"):
        df = outputs[name]
        delta.replace_where(df, gold[name], f"run_date = DATE'{run_date}'")
        counts[name] = df.count()
    kpis = outputs["enforcement_kpis"]
    delta.merge_rows(kpis, gold["enforcement_kpis"], ["kpi_date"])
    counts["enforcement_kpis"] = kpis.count()
    write_reports(spark, cfg, run_date)
    for df in outputs.values():
        df.unpersist()
    return counts


def write_reports(spark: SparkSession, cfg: Config, run_date: dt.date) -> str:
    """Writes reports/D/closure_candidates.csv and report.html from the published tables."""
    folder = f"{cfg.lakehouse.rstrip('/')}/reports/{run_date}"
    cand = (delta.read(spark, delta.table_path(cfg.lakehouse, "gold", "closure_candidates"))
            .where(F.col("run_date") == F.lit(run_date)).orderBy("rank").toPandas())
    since = run_date - dt.timedelta(days=cfg.kpi_days - 1)
    kpis = (delta.read(spark, delta.table_path(cfg.lakehouse, "gold", "enforcement_kpis"))
            .where(F.col("kpi_date").between(F.lit(since), F.lit(run_date))).orderBy("kpi_date").toPandas())
    write_bytes(spark, f"{folder}/closure_candidates.csv", candidates_csv(cand))
    write_bytes(spark, f"{folder}/report.html", render_report(run_date, cand, kpis).encode("utf-8"))
    return folder
