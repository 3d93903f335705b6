"""`ipr-guard dossier`: one store's evidence file for a period: dossier.json, dossier.html and dossier.pdf.

Silver is read at its current versions and gold as the published runs recorded it (Delta time travel to
each run's closure_candidates version, as `pipelines/audit.py` does), so a later rerun does not change
what the dossier says a run published. The figures are `transforms/dossier.py`'s; only the one store's
small results are collected. Every version read and every run used is recorded in the JSON's provenance;
the JSON is written with sorted keys and no wall-clock time, so the same tables give the same bytes, and
its SHA-256 is stated in the HTML and the PDF. Files go to `<lakehouse>/reports/dossiers/M_D1_D2/`.
How tables are read and files written is `pipelines/evidence_files.py`'s, shared with the brand report.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import quote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import InputError, UsageError
from ipr_guard.io import delta
from ipr_guard.pipelines import evidence_files as files
from ipr_guard.pipelines.review import DECISIONS_SCHEMA
from ipr_guard.reports import dossier as render
from ipr_guard.transforms import dossier as tx
from ipr_guard.transforms import infringing

log = logging.getLogger(__name__)

SILVER = ("merchants", "brands", "listings", "orders", "complaints", "takedowns", "test_buys", "enforcement_actions")
# The columns of gold/store_networks the dossier reads (the table is written by pipelines.networks_step).
NETWORKS_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("merchant_id", T.StringType()),
    T.StructField("network_id", T.StringType()), T.StructField("network_size", T.LongType()),
    T.StructField("closed_members", T.LongType()), T.StructField("first_seen", T.DateType()),
    T.StructField("link_kinds", T.ArrayType(T.StringType())),
])
CANDIDATE_COLUMNS = ("run_date", "merchant_id", "rank", "risk_score", "recommended_action", "reasons")
FILES = ("dossier.json", "dossier.html", "dossier.pdf")


@dataclass
class DossierResult:
    """What `run` wrote, for the terminal and for tests."""

    folder: str
    sha256: str
    pages: int
    content: dict

    def summary(self) -> str:
        d = self.content
        return (f"dossier for {d['merchant_id']} from {d['period_start']} to {d['period_end']}: infringing GMV "
                f"{d['infringing_gmv']:.2f} CNY from {d['paid_orders_on_infringing_listings']} paid orders on "
                f"{d['infringing_listings']['count']} infringing listings\n"
                f"written to {self.folder}: dossier.json (sha256 {self.sha256}), dossier.html, "
                f"dossier.pdf ({self.pages} pages)")


def _rows(df: DataFrame, *order: str, drop: tuple[str, ...] = ("merchant_id",)) -> list[dict]:
    # The dossier is about one store: its id is said once, not on every row.
    return files.rows(df, *order, drop=drop)


def candidate_rows(tables: files.Tables, runs: list[dict], merchant_id: str) -> list[dict]:
    """The store's closure_candidates rows of every published run, each read at the version its run recorded.

    Raises:
        InputError: a recorded version can no longer be read (removed by VACUUM).
    """
    spark, path = tables.spark, catalog.table_path(tables.lakehouse, "gold/closure_candidates")
    by_version: dict[int, list[dt.date]] = {}
    for r in runs:
        v = r["gold_versions"].get("closure_candidates")
        if v is not None:
            by_version.setdefault(v, []).append(r["run_date"])
    tables.versions["gold/closure_candidates"] = sorted(by_version)
    run_dates = spark.createDataFrame([(r["run_date"], r["run_id"]) for r in runs], "run_date date, run_id string")
    try:
        flagged = spark.createDataFrame([], "run_date date, merchant_id string, rank int, risk_score double, "
                                            "recommended_action string, reasons array<string>")
        for v, dates in sorted(by_version.items()):
            flagged = flagged.unionByName(delta.read(spark, path, v).where(
                F.col("run_date").isin(dates) & (F.col("merchant_id") == merchant_id)).select(*CANDIDATE_COLUMNS))
        return _rows(tx.candidate_history(flagged, run_dates), "run_date")
    except Exception as e:  # noqa: BLE001 - Delta reports a vacuumed version in several ways
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise InputError(f"a published gold/closure_candidates version (of {sorted(by_version)}) cannot be read "
                         f"(removed by VACUUM after the retention window?): {first}") from None


def _networks(tables: files.Tables) -> DataFrame:
    """gold/store_networks at its latest version (the networks job writes it, outside the run marker)."""
    return tables.read("gold/store_networks", NETWORKS_SCHEMA).select(*NETWORKS_SCHEMA.fieldNames())


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _listings(details: list[dict], evidence: list[dict], sales: list[dict]) -> list[dict]:
    per_listing = {s["listing_id"]: s for s in sales}
    out = []
    for item in details:
        sold = per_listing.get(item["listing_id"], {})
        out.append({**item, "evidence": [{k: v for k, v in e.items() if k != "listing_id"} for e in evidence
                                         if e["listing_id"] == item["listing_id"]],
                    "paid_orders": sold.get("paid_orders", 0), "infringing_gmv": sold.get("infringing_gmv", 0.0)})
    return out


def _checked_inputs(spark: SparkSession, cfg: Config, merchant_id: str, start: dt.date,
                    end: dt.date) -> tuple[files.Tables, list[dict], dict[str, DataFrame], dict]:
    """The tables, published runs, silver frames and the store's profile, after the request's checks."""
    tables, runs = files.checked_period(spark, cfg, start, end)
    lakehouse = cfg.lakehouse
    silver = {name: tables.silver(name) for name in SILVER}
    profile = _rows(tx.store_profile(silver["merchants"], cfg.timezone).where(F.col("merchant_id") == merchant_id),
                    "merchant_id", drop=())
    if not profile:
        raise UsageError(f"unknown store {merchant_id}: not in silver/merchants of {lakehouse}")
    return tables, runs, silver, profile[0]


def build(spark: SparkSession, cfg: Config, merchant_id: str, start: dt.date, end: dt.date) -> dict:
    """The dossier's JSON content for one store and period.

    Raises:
        UsageError: end before start, no lakehouse or published run, a period starting before the first
            delivery day, an unknown store, or nothing at all recorded for the store in the period.
        InputError: a published closure_candidates version can no longer be read.
    """
    tables, runs, s, profile = _checked_inputs(spark, cfg, merchant_id, start, end)
    tz, m = cfg.timezone, F.col("merchant_id") == F.lit(merchant_id)
    cached: list[DataFrame] = []

    def kept(df: DataFrame) -> DataFrame:
        # The store's base rows, computed once: every figure below is a small query over them.
        cached.append(df.cache())
        return df

    try:
        store_orders = kept(s["orders"].where(m))
        decisions = tables.read("meta/review_decisions", DECISIONS_SCHEMA)
        events = _rows(tx.timeline(s["merchants"].where(m), s["takedowns"].where(m), s["test_buys"].where(m),
                                   s["complaints"].where(m), s["enforcement_actions"].where(m), decisions.where(m),
                                   tz), "seq")
        history = candidate_rows(tables, runs, merchant_id)
        activity = (_rows(tx.period_activity(store_orders, s["listings"].where(m), start, end, tz), "merchant_id")
                    or [{"orders": 0, "listings_created": 0}])[0]
        activity["events"] = sum(start.isoformat() <= (e["on"] or "") <= end.isoformat() for e in events)
        activity["candidate_flags"] = sum(start.isoformat() <= h["run_date"] <= end.isoformat() for h in history)
        if not any(activity.values()):
            raise UsageError(f"nothing recorded for store {merchant_id} between {start} and {end} (no order, "
                             "listing, takedown, test buy, complaint, enforcement action, review decision or "
                             "candidate flag): no dossier written")

        evidence = infringing.listing_evidence(s["takedowns"], s["test_buys"], s["complaints"])
        store_infringing = kept(infringing.infringing_listings(evidence, s["listings"]).where(m))
        sales = kept(infringing.infringing_orders(store_orders, store_infringing, start, end, tz))
        totals = infringing.infringing_gmv(store_infringing, sales).first()
        listings = _listings(_rows(tx.infringing_details(store_infringing, s["listings"], tz), "listing_id"),
                             _rows(tx.evidence_details(evidence, store_infringing, tz), "listing_id", "at", "kind",
                                   "evidence_id"),
                             _rows(tx.listing_sales(sales), "listing_id"))
        monthly = {r["month"]: r for r in _rows(tx.gmv_by_month(sales), "month")}
        brands = sorted(_rows(tx.gmv_by_brand(sales, s["brands"]), "brand_id"),
                        key=lambda b: (-b["infringing_gmv"], b["brand_id"] or ""))
        statuses = {r["status"]: r for r in _rows(tx.order_statuses(store_orders, store_infringing, start, end, tz),
                                                  "status")}
        latest = kept(tx.latest_networks(_networks(tables), end))
        network = _rows(latest.where(m), "run_date")
        linked = _rows(tx.linked_stores(latest, tx.store_profile(s["merchants"], tz)).where(m), "linked_merchant_id")
    finally:
        for df in cached:
            df.unpersist()

    versions = {r["run_id"]: r["gold_versions"].get("closure_candidates") for r in runs}
    return {
        "dossier_format": 1,
        "merchant_id": merchant_id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "timezone": tz,
        "profile": profile,
        "infringing_gmv": totals["infringing_gmv"] if totals else 0.0,
        "paid_orders_on_infringing_listings": totals["paid_orders_on_infringing_listings"] if totals else 0,
        "infringing_listings": {"count": len(listings), "listings": listings},
        "orders_on_infringing_listings": {st: {"orders": statuses.get(st, {}).get("orders", 0),
                                               "amount": statuses.get(st, {}).get("amount", 0.0)}
                                          for st in tx.ORDER_STATUSES},
        "infringing_gmv_by_month": [{"month": mo, "paid_orders": monthly.get(mo, {}).get("paid_orders", 0),
                                     "infringing_gmv": monthly.get(mo, {}).get("infringing_gmv", 0.0)}
                                    for mo in _months(start, end)],
        "infringing_gmv_by_brand": brands,
        "activity_in_period": activity,
        "timeline": events,
        "network_id": network[0]["network_id"] if network else None,
        "network": network[0] if network else None,
        "linked_merchants": [{"merchant_id": x.pop("linked_merchant_id"), **x} for x in linked],
        "candidate_history": history,
        "provenance": {
            "tables": dict(sorted(tables.versions.items())),
            "runs": [{"run_date": r["run_date"].isoformat(), "run_id": r["run_id"],
                      "closure_candidates_version": versions[r["run_id"]]} for r in runs],
        },
    }


def run(spark: SparkSession, cfg: Config, merchant_id: str, start: dt.date, end: dt.date) -> DossierResult:
    """`ipr-guard dossier`: builds the dossier and writes its three files; returns what it wrote."""
    content = build(spark, cfg, merchant_id, start, end)
    files.check_no_personal(content)
    data = files.canonical_json(content)
    sha256 = hashlib.sha256(data).hexdigest()
    pdf = render.render_pdf(content, sha256, render.figures(content))
    written_files = {"dossier.json": data, "dossier.html": render.render_html(content, sha256).encode("utf-8"),
                     "dossier.pdf": pdf}
    folder = catalog.dossier_path(cfg.lakehouse, f"{quote(merchant_id, safe='')}_{start}_{end}")
    written = files.write_files(spark, folder, written_files)
    log.info("dossier for %s written to %s", merchant_id, written)
    return DossierResult(written, sha256, render.page_count(content), content)
