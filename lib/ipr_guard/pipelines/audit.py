"""Audit: a past run's candidate list exactly as published (Delta time travel), and the KPIs of a period.

`candidates` reads gold closure_candidates at the version the run's marker in meta/runs recorded, so a
later rerun, backfill or overwrite of that date does not change what it prints.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog, charts
from ipr_guard.config import Config
from ipr_guard.errors import InputError, UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import write_bytes
from ipr_guard.pipelines import recovery

KPI_COLUMNS = ("kpi_date", "stores_closed", "proactive_takedowns", "proactive_before_first_sale",
               "proactive_before_first_sale_share", "notice_requests", "notice_processed_within_24h",
               "notice_processed_within_24h_share")
LIST_COLUMNS = ("rank", "merchant_id", "store_name", "score", "action", "reasons")


@dataclass
class PublishedList:
    """One run date's candidate list as its run published it."""

    run_id: str
    run_date: dt.date
    versions: dict[str, int]
    model: str | None
    rows: pd.DataFrame


def _lakehouse(cfg: Config) -> str:
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    return cfg.lakehouse


def published_run(spark: SparkSession, lakehouse: str, run_date: dt.date) -> tuple[str, dict[str, int]]:
    """The latest published run for `run_date`: its run id and gold versions.

    Raises:
        InputError: no published run for that date.
    """
    runs = recovery.published_runs(spark, lakehouse)
    row = None if runs is None else (runs.where(F.col("run_date") == F.lit(run_date))
                                     .orderBy(F.col("finished_at").desc(), F.col("run_id").desc())
                                     .select("run_id", "gold_versions").first())
    if row is None:
        raise InputError(f"no published run for {run_date} in {lakehouse}")
    return row[0], {k: int(v) for k, v in json.loads(row[1] or "{}").items() if v is not None}


def candidates_as_published(spark: SparkSession, cfg: Config, run_date: dt.date) -> PublishedList:
    """Gold closure_candidates of `run_date` at the table version its published run recorded.

    Raises:
        InputError: no published run for the date, or that version is no longer readable (vacuumed).
    """
    lakehouse = _lakehouse(cfg)
    run_id, versions = published_run(spark, lakehouse, run_date)
    if "closure_candidates" not in versions:
        raise InputError(f"run {run_id} for {run_date} recorded no closure_candidates version")
    path = catalog.table_path(lakehouse, "gold/closure_candidates")
    try:
        rows = (delta.read(spark, path, versions["closure_candidates"])
                .where(F.col("run_date") == F.lit(run_date)).orderBy("rank").toPandas())
    except Exception as e:  # noqa: BLE001 - Delta reports a vacuumed version in several ways
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise InputError(f"gold/closure_candidates version {versions['closure_candidates']} of run {run_id} "
                         f"cannot be read (removed by VACUUM after the retention window?): {first}") from None
    names = rows[["model_name", "model_version"]].dropna() if not rows.empty else pd.DataFrame()
    model = f"{names.iloc[0, 0]} v{names.iloc[0, 1]}" if not names.empty else None
    return PublishedList(run_id, run_date, versions, model, rows)


def display_width(text: str) -> int:
    """Terminal columns `text` takes."""
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Rows as aligned columns (wide characters counted as two), the last column left unpadded."""
    widths = [max([display_width(h)] + [display_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - display_width(c)) for c, w in zip(cells[:-1], widths)]
        return "  ".join(padded + [cells[-1]]).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def format_candidates(published: PublishedList) -> str:
    """The header line (run, model, table versions) and the list as a table."""
    versions = ", ".join(f"{k} v{v}" for k, v in sorted(published.versions.items()))
    head = (f"candidates for {published.run_date} as published by run {published.run_id}; model "
            f"{published.model or 'none (policy rules only)'}; gold versions: {versions}")
    rows = [[str(r["rank"]), str(r["merchant_id"]), str(r["store_name"] or ""), f"{r['risk_score']:.4f}",
             str(r["recommended_action"]), " | ".join(str(x) for x in list(r["reasons"] if r["reasons"] is not None
                                                                        else []))]
            for r in published.rows.to_dict("records")]
    body = text_table(list(LIST_COLUMNS), rows) if rows else "(no candidates on that date)"
    return f"{head}\n{body}\n{len(rows)} candidates"


def run_candidates(spark: SparkSession, cfg: Config, run_date: dt.date) -> str:
    """`ipr-guard candidates --date D`: the text to print."""
    return format_candidates(candidates_as_published(spark, cfg, run_date))


def kpis_between(spark: SparkSession, cfg: Config, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Published gold enforcement_kpis rows with kpi_date in [start, end], by date.

    Reads the version the latest published run recorded (never a half-published run's commit).

    Raises:
        UsageError: end before start.
        InputError: no KPI table, or no KPIs in the range.
    """
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    lakehouse = _lakehouse(cfg)
    path = catalog.table_path(lakehouse, "gold/enforcement_kpis")
    if not delta.exists(spark, path):
        raise InputError(f"no KPIs published in {lakehouse} (no gold/enforcement_kpis)")
    version = recovery.published_versions(spark, lakehouse).get("enforcement_kpis")
    kpis = (delta.read(spark, path, version).where(F.col("kpi_date").between(F.lit(start), F.lit(end)))
            .select(*KPI_COLUMNS).orderBy("kpi_date").toPandas())
    if kpis.empty:
        raise InputError(f"no KPIs published between {start} and {end}")
    return kpis


def format_kpis(kpis: pd.DataFrame) -> str:
    """One line per day: counts and shares (shares as percent, "-" when the day had no denominator)."""
    header = ["date", "closed", "proactive", "before_sale", "share", "notices", "within_24h", "share"]

    def pct(v) -> str:
        return "-" if v is None or pd.isna(v) else f"{100 * v:.1f}%"

    rows = [[str(r["kpi_date"]), str(r["stores_closed"]), str(r["proactive_takedowns"]),
             str(r["proactive_before_first_sale"]), pct(r["proactive_before_first_sale_share"]),
             str(r["notice_requests"]), str(r["notice_processed_within_24h"]),
             pct(r["notice_processed_within_24h_share"])] for r in kpis.to_dict("records")]
    return text_table(header, rows)


def kpi_charts(kpis: pd.DataFrame, cfg: Config) -> dict[str, bytes]:
    """The three KPI charts as PNG bytes by file name, with the target lines from conf."""
    t = cfg.kpi_targets
    return {
        "stores_closed.png": charts.figure_png(charts.stores_closed_figure(kpis)),
        "proactive_before_first_sale_share.png": charts.figure_png(charts.share_figure(
            kpis, "proactive_before_first_sale_share", "Share of proactive takedowns before the first sale",
            t.proactive_before_first_sale_share)),
        "notice_processed_within_24h_share.png": charts.figure_png(charts.share_figure(
            kpis, "notice_processed_within_24h_share", "Share of rights-holder notices processed within 24 h",
            t.notice_processed_within_24h_share)),
    }


def run_kpis(spark: SparkSession, cfg: Config, start: dt.date, end: dt.date, out: str | None = None) -> str:
    """`ipr-guard kpis`: writes the charts to `out` (default <lakehouse>/reports/kpis_S_E) and returns the text."""
    kpis = kpis_between(spark, cfg, start, end)
    folder = out or f"{cfg.lakehouse.rstrip('/')}/reports/kpis_{start}_{end}"
    local = "://" not in folder or folder.startswith("file:")
    if local:
        folder = str(Path(folder.removeprefix("file:")).resolve())
    written = []
    for name, png in kpi_charts(kpis, cfg).items():
        if local:
            # Plain files for a local folder (Hadoop's local file system would add .crc files beside them).
            Path(folder).mkdir(parents=True, exist_ok=True)
            tmp = Path(folder) / f".{name}.tmp"
            tmp.write_bytes(png)
            tmp.replace(Path(folder) / name)
        else:
            write_bytes(spark, f"{folder.rstrip('/')}/{name}", png)
        written.append(name)
    return f"{format_kpis(kpis)}\n{len(kpis)} days; charts in {folder}: {', '.join(written)}"
