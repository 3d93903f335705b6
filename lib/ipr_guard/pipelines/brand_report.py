"""`ipr-guard brand-report`: for a brand's rights holder, the infringing stores of the brand in a period.

Silver is read at its current versions, each pinned and recorded in the provenance (`evidence_files`,
shared with the dossier); the figures are `transforms/brand_report.py`'s. The rights holder sees only
the columns `sharing.rights_holders.brand_report` grants, in grant order, and every request is logged in
meta/share_access_log like an affiliate's (`privacy/sharing.py`): a refusal when nothing is granted, a
granted row with the columns once the report is built. brand_report.json has sorted keys and no
wall-clock time, so the same tables give the same bytes (the access log's run id is only in the log and
on the terminal); brand_report.html states its SHA-256. Files go to `<lakehouse>/reports/brands/B_D1_D2/`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import AccessDenied, UsageError
from ipr_guard.pipelines import evidence_files as files
from ipr_guard.privacy import sharing
from ipr_guard.reports import brand_report as render
from ipr_guard.transforms import brand_report as tx
from ipr_guard.transforms import infringing

log = logging.getLogger(__name__)

SILVER = ("merchants", "brands", "listings", "orders", "complaints", "takedowns", "test_buys")
FILES = ("brand_report.json", "brand_report.html")


@dataclass
class BrandReportResult:
    """What `run` wrote, for the terminal and for tests.

    Attributes:
        folder: the folder written.
        sha256: the hash of brand_report.json.
        content: the JSON's content.
        run_id: the request's id in meta/share_access_log (`brand-report-<hex8>`).
    """

    folder: str
    sha256: str
    content: dict
    run_id: str

    def summary(self) -> str:
        """Three lines: the brand, period and stores; what the rights holder sees; where the files are."""
        d, t = self.content, self.content["totals"]
        found = (f"{t['stores']} infringing store{'' if t['stores'] == 1 else 's'}" if t["stores"]
                 else "0 infringing stores (the brand's listings had activity, but no store qualifies)")
        if t["stores"] and "infringing_gmv" in t:
            found += f", infringing GMV {t['infringing_gmv']:.2f} CNY"
            found += f" from {t['paid_orders']} paid orders" if "paid_orders" in t else ""
        return (f"brand report for {d['brand_id']} ({d['brand_name']}) from {d['period_start']} to "
                f"{d['period_end']}: {found}\n"
                f"for its rights holder: {len(d['columns'])} granted columns, access {self.run_id} logged in "
                f"meta/share_access_log\n"
                f"written to {self.folder}: brand_report.json (sha256 {self.sha256}), brand_report.html")


def build(tables: files.Tables, runs: list[dict], cfg: Config, brand_id: str, start: dt.date, end: dt.date,
          columns: tuple[str, ...]) -> dict:
    """The brand report's JSON content, showing only `columns` of each store.

    Raises:
        UsageError: an unknown brand, or nothing at all recorded for the brand's listings in the period.
    """
    tz, lakehouse = cfg.timezone, cfg.lakehouse
    s = {name: tables.silver(name) for name in SILVER}
    brand = files.rows(s["brands"].where(F.col("brand_id") == F.lit(brand_id))
                       .select("brand_id", "brand_name", "rights_holder"), "brand_id")
    if not brand:
        raise UsageError(f"unknown brand {brand_id}: not in silver/brands of {lakehouse}")
    activity = tx.brand_activity(s["listings"], s["orders"], s["takedowns"], s["test_buys"], s["complaints"],
                                 brand_id, start, end, tz).first().asDict()
    if not any(activity.values()):
        raise UsageError(f"nothing recorded for brand {brand_id} between {start} and {end} (no listing created, "
                         "order, takedown, test buy, notice or complaint on its listings): no brand report written")
    cached: list[DataFrame] = []

    def kept(df: DataFrame) -> DataFrame:
        # Read by several figures below: computed once.
        cached.append(df.cache())
        return df

    try:
        evidence = infringing.listing_evidence(s["takedowns"], s["test_buys"], s["complaints"])
        infringing_b = kept(tx.brand_infringing(infringing.infringing_listings(evidence, s["listings"]), brand_id))
        notices = kept(tx.brand_notices(s["complaints"], s["listings"], brand_id, start, end, tz))
        stores = kept(tx.infringing_stores(
            tx.store_sales(infringing_b, s["orders"], start, end, tz),
            tx.store_evidence(evidence, infringing_b, start, end, tz), tx.store_notices(notices),
            tx.store_test_buys(s["test_buys"], s["listings"], brand_id, start, end, tz), s["merchants"]))
        # Sorted on every figure, shown or not, so that the order does not change with the grant.
        found = files.rows(stores, F.col("infringing_gmv").desc(), F.col("merchant_id"))
        totals = files.rows(tx.report_totals(stores, notices))[0]
    finally:
        for df in cached:
            df.unpersist()
    shown = set(columns)
    return {
        "brand_report_format": 1,
        "brand_id": brand_id,
        "brand_name": brand[0]["brand_name"],
        "rights_holder": brand[0]["rights_holder"],
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "timezone": tz,
        "columns": list(columns),
        "totals": {k: v for k, v in totals.items() if k == "stores" or k in shown},
        "stores": [{c: row[c] for c in columns} for row in found],
        "provenance": {
            "tables": dict(sorted(tables.versions.items())),
            "runs": [{"run_date": r["run_date"].isoformat(), "run_id": r["run_id"]} for r in runs],
        },
    }


def run(spark: SparkSession, cfg: Config, brand_id: str, start: dt.date, end: dt.date) -> BrandReportResult:
    """`ipr-guard brand-report`: builds the report, logs the access and writes its two files.

    Raises:
        UsageError: end before start, no lakehouse or published run, a period starting before the first
            delivery day, an unknown brand, or nothing recorded for the brand's listings in the period.
        AccessDenied: rights holders are granted no column (the refusal is logged).
    """
    tables, runs = files.checked_period(spark, cfg, start, end)
    run_id = f"brand-report-{uuid.uuid4().hex[:8]}"
    try:
        columns = sharing.rights_holder_columns(spark, cfg.lakehouse, brand_id, cfg.sharing, run_id)
    except PermissionError as e:
        raise AccessDenied(f"{e}: no brand report for {brand_id}") from None
    content = build(tables, runs, cfg, brand_id, start, end, columns)
    files.check_no_personal(content, "brand_report")
    data = files.canonical_json(content)
    sha256 = hashlib.sha256(data).hexdigest()
    page = render.render_html(content, sha256).encode("utf-8")
    # Logged before the files are written: a report on disk always has its access row.
    sharing.log_access(spark, cfg.lakehouse, [(sharing.rights_holder(brand_id), sharing.BRAND_REPORT,
                                               list(columns), True, run_id)])
    folder = catalog.brand_report_path(cfg.lakehouse, f"{quote(brand_id, safe='')}_{start}_{end}")
    written = files.write_files(spark, folder, {"brand_report.json": data, "brand_report.html": page})
    log.info("brand report for %s written to %s", brand_id, written)
    return BrandReportResult(written, sha256, content, run_id)
