"""Computing and publishing a run date's gold outputs and the reviewers' files.

Everything is computed first (cached, counted) and only then written: one commit per gold table,
keyed by run date (replaceWhere) or kpi_date (MERGE), so a rerun replaces rather than duplicates.
"""
from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.faults import fault_point
from ipr_guard.io import delta
from ipr_guard.pipelines.ingest import TableBatch
from ipr_guard.schema import TABLES, silver_schema
from ipr_guard.pipelines import model_step
from ipr_guard.pipelines.networks_step import previous_networks
from ipr_guard.pipelines.report_step import write_reports
from ipr_guard.transforms.candidates import closure_candidates
from ipr_guard.transforms.columns import market_date
from ipr_guard.transforms.kpis import enforcement_kpis
from ipr_guard.transforms.listing_risk import listing_risk, new_listing_matches
from ipr_guard.transforms.network_reasons import network_reasons, with_network_reasons
from ipr_guard.transforms.model_candidates import evidence_sentences, score_reasons, scored_candidates

log = logging.getLogger(__name__)

# Event time columns whose day a new or changed row can change a KPI of.
KPI_EVENT_TIMES = {"takedowns": "taken_down_at", "orders": "created_at", "complaints": "submitted_at",
                   "enforcement_actions": "decided_at"}


def silver(spark: SparkSession, cfg: Config, name: str) -> DataFrame:
    """Silver table `name`, or an empty frame of its schema before its first rows."""
    return delta.read_or_empty(spark, catalog.table_path(cfg.lakehouse, f"silver/{name}"), silver_schema(TABLES[name]))


def first_delivery_day(spark: SparkSession, cfg: Config, batches: dict[str, TableBatch], run_date: dt.date) -> dt.date:
    """The first delivery day taken in, by this run or an earlier one (`run_date` when there is none)."""
    log_path = catalog.table_path(cfg.lakehouse, "meta/ingest_log")
    firsts = [d.ingest_date for b in batches.values() for d in b.days]
    if delta.exists(spark, log_path):
        first_logged = delta.read(spark, log_path).agg(F.min("ingest_date")).first()[0]
        firsts += [first_logged] if first_logged else []
    return min(firsts) if firsts else run_date


def kpi_days(spark: SparkSession, cfg: Config, run_date: dt.date, changed: dict[str, DataFrame],
             batches: dict[str, TableBatch]) -> DataFrame:
    """The kpi_dates this run must (re)compute: those its new rows affect, and any not published yet."""
    first_day = first_delivery_day(spark, cfg, batches, run_date)
    start = run_date
    for name, col in KPI_EVENT_TIMES.items():
        if name in changed:
            earliest = changed[name].agg(F.min(market_date(F.col(col), cfg.timezone))).first()[0]
            if earliest:
                start = min(start, earliest)
    gold = catalog.table_path(cfg.lakehouse, "gold/enforcement_kpis")
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


CANDIDATE_COLUMNS = ("run_date", "merchant_id", "store_name", "risk_score", "rank", "recommended_action", "reasons",
                     "counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "reused_image_listings",
                     "low_price_listings", "branded_listings", "rules_fired", "model_score", "model_name",
                     "model_version")


def rules_only_candidates(rules: DataFrame, features: DataFrame) -> DataFrame:
    """The policy-rule list in the published shape, for nights without a champion model."""
    evidence = features.select("merchant_id", "reused_image_listings", "low_price_listings", "branded_listings")
    return rules.join(evidence, on="merchant_id", how="left").select(
        *[F.coalesce(F.col(c), F.lit(0)).cast("bigint").alias(c) if c in evidence.columns[1:] else
          F.lit(None).cast("double").alias(c) if c == "model_score" else F.col(c)
          for c in CANDIDATE_COLUMNS])


def _named_networks(spark: SparkSession, cfg: Config, run_date: dt.date, candidates: DataFrame,
                    enforcement_actions: DataFrame) -> DataFrame:
    """The candidates with a reason naming their store network, from the networks job's last night before D
    (a lakehouse where the job has not run yet gets the candidates unchanged)."""
    if not delta.exists(spark, catalog.table_path(cfg.lakehouse, "gold/store_networks")):
        return candidates  # no Spark job on a lakehouse the networks job never ran on
    networks, last = previous_networks(spark, cfg, run_date)
    if last is None:
        return candidates
    reasons = network_reasons(networks, enforcement_actions, run_date, cfg.timezone, tuple(cfg.rules.closure_reasons))
    return with_network_reasons(candidates, reasons)


def compute_outputs(spark: SparkSession, cfg: Config, run_date: dt.date, changed: dict[str, DataFrame],
                    batches: dict[str, TableBatch], s: dict[str, DataFrame], features: DataFrame,
                    champion: model_step.Champion | None) -> dict[str, DataFrame]:
    """Computes the gold outputs for `run_date`; each is cached and counted once.

    Args:
        s: the silver inputs with analytics opt-outs applied (`model_step.silver_inputs`).
        features: merchant_features as of `run_date`.
        champion: the model scoring tonight, or None (policy rules only).
    """
    raw = {name: silver(spark, cfg, name) for name in ("orders", "complaints", "takedowns", "enforcement_actions")}
    rules = closure_candidates(run_date, s["merchants"], s["complaints"], s["test_buys"], s["enforcement_actions"],
                               cfg.timezone, cfg.rules)
    closed = s["merchants"].where(F.col("status") == "closed").select("merchant_id")
    open_stores = features.where(~F.col("is_closed")).join(closed, on="merchant_id", how="left_anti")
    store_scores = None
    if champion is None:
        candidates = rules_only_candidates(rules, features)
        published_features = features.withColumn("score", F.lit(None).cast("double"))
    else:
        scored = model_step.score_stores(champion, open_stores).cache()
        sentences = evidence_sentences(run_date, cfg.features.low_price_ratio, max(cfg.features.windows))
        candidates = scored_candidates(
            run_date, scored, rules, champion.threshold, cfg.model.hard_rules, cfg.model.corroborated_rules,
            cfg.rules.scores, cfg.rules.actions,
            score_reasons(champion.importance, sentences), champion.name, champion.version,
        ).select(*CANDIDATE_COLUMNS)
        store_scores = scored.select("merchant_id", "score")
        published_features = features.join(store_scores, on="merchant_id", how="left")
    candidates = _named_networks(spark, cfg, run_date, candidates, s["enforcement_actions"])
    # A store a reviewer rejected lately stays off the list until new evidence (transforms.review).
    from ipr_guard.pipelines.review import read_decisions
    from ipr_guard.transforms.review import suppress_rejected
    candidates = suppress_rejected(candidates, read_decisions(spark, cfg), run_date, cfg.review.suppress_days)
    matches = new_listing_matches(s["listings"], s["takedowns"], run_date, cfg.timezone,
                                  cfg.features.image_max_distance)
    outputs = {
        "enforcement_kpis": enforcement_kpis(kpi_days(spark, cfg, run_date, changed, batches), raw["takedowns"],
                                             raw["orders"], raw["complaints"], raw["enforcement_actions"],
                                             cfg.timezone),
        "closure_candidates": candidates,
        "listing_risk": listing_risk(run_date, s["listings"], s["orders"], s["brands"], cfg.timezone,
                                     cfg.listing_risk.low_price_ratio, cfg.listing_risk.keywords,
                                     image_matches=matches, store_scores=store_scores),
        "merchant_features": published_features.withColumn(
            "model_version", F.lit(champion.version if champion else None).cast("string")),
    }
    return {name: df.cache() for name, df in outputs.items()}


def publish_outputs(spark: SparkSession, cfg: Config, run_date: dt.date, outputs: dict[str, DataFrame],
                    run_id: str) -> dict[str, int]:
    """Writes the gold tables (one commit each, tagged with `run_id`) and the reviewers' files.

    The commits count only once the caller writes the run marker (see pipelines.recovery).

    Returns:
        Row counts for D per table.
    """
    gold = {name: catalog.table_path(cfg.lakehouse, f"gold/{name}") for name in outputs}
    counts = {}
    for name, condition in (("closure_candidates", f"run_date = DATE'{run_date}'"),
                            ("listing_risk", f"run_date = DATE'{run_date}'"),
                            ("merchant_features", f"as_of_date = DATE'{run_date}'")):
        delta.replace_where(outputs[name], gold[name], condition, run_id=run_id)
        counts[name] = outputs[name].count()
        fault_point(f"publish:{name}")
    kpis = outputs["enforcement_kpis"]
    delta.merge_rows(kpis, gold["enforcement_kpis"], ["kpi_date"], run_id=run_id)
    counts["enforcement_kpis"] = kpis.count()
    fault_point("publish:enforcement_kpis")
    write_reports(spark, cfg, run_date, run_id)
    for df in outputs.values():
        df.unpersist()
    return counts

