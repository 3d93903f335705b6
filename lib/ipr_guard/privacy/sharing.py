"""Sharing gold tables with affiliates: views with only the granted columns, every access recorded.

Contract ("Personal data"): data shared with an affiliate is shared as a view with only the columns that
affiliate is entitled to, never as a copy, and each such access is recorded.

Grants come from configuration (section ``sharing``, validated by `ipr_guard.config.parse_sharing`)::

    sharing:
      risk_bands: {high: 0.9, medium: 0.8, low: 0.0}
      affiliates:
        logistics:
          closure_candidates: [merchant_id, recommended_action, risk_band]

A view is a DataFrame over the gold Delta table's path that selects the granted columns; nothing is
copied. In this session it is registered as a temporary view ``<affiliate>__<table>``. On a cluster with
a metastore the same thing is a permanent view over the Delta path (see `view_sql`), readable by the
affiliate's principal only, with no grant on the underlying table.

Rights holders get no view: `ipr-guard brand-report` writes them a report of their brand's infringing
stores with only the columns ``sharing.rights_holders.brand_report`` grants (`rights_holder_columns`);
their requests are logged here too, as affiliate ``rights_holder:<brand_id>`` and table ``brand_report``.

Every request, granted or refused, is appended to ``meta/share_access_log`` (affiliate, table, columns,
granted, run_id, accessed_at). A request outside the grant raises `PermissionError`.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard.config import SharingConfig
from ipr_guard.io import delta

# Columns computed in the view rather than read from the table.
DERIVED_COLUMNS = ("risk_band",)
# What a rights holder's request is logged as (the log's `table`).
BRAND_REPORT = "brand_report"

ACCESS_LOG_SCHEMA = T.StructType([
    T.StructField("affiliate", T.StringType()),
    T.StructField("table", T.StringType()),
    T.StructField("columns", T.ArrayType(T.StringType())),
    T.StructField("granted", T.BooleanType()),
    T.StructField("run_id", T.StringType()),
    T.StructField("accessed_at", T.TimestampType()),
])


def risk_band(score: Column, bands: dict[str, float]) -> Column:
    """The band of a risk score: the band with the highest cut point the score reaches."""
    expr = None
    for name, cut in sorted(bands.items(), key=lambda kv: -kv[1]):
        cond = score >= F.lit(cut)
        expr = F.when(cond, F.lit(name)) if expr is None else expr.when(cond, F.lit(name))
    return expr


def view_name(affiliate: str, table: str) -> str:
    """`<affiliate>__<table>`."""
    return f"{affiliate}__{table}"


def publish_views(spark: SparkSession, lakehouse: str, affiliate: str, grants: SharingConfig,
                  run_id: str) -> list[str]:
    """Registers one view per gold table granted to `affiliate`, named `<affiliate>__<table>`.

    The views are temporary views of this session. On a cluster with a metastore they would be
    ``CREATE OR REPLACE VIEW`` statements over the Delta path (`view_sql`); either way no data is copied.
    All accesses are recorded in one append to ``meta/share_access_log``.

    Returns:
        The view names, sorted.

    Raises:
        PermissionError: the affiliate has no grant at all (the refusal is recorded).
    """
    tables = sorted(grants.affiliates.get(affiliate, {}))
    if not tables:
        log_access(spark, lakehouse, [(affiliate, None, [], False, run_id)])
        raise PermissionError(f"affiliate {affiliate!r} is granted no gold table")
    names, log_rows = [], []
    for table in tables:
        df, cols = _granted_view(spark, lakehouse, affiliate, table, grants)
        name = view_name(affiliate, table)
        df.createOrReplaceTempView(name)
        names.append(name)
        log_rows.append((affiliate, table, cols, True, run_id))
    log_access(spark, lakehouse, log_rows)
    return names


def view_sql(lakehouse: str, affiliate: str, table: str, grants: SharingConfig) -> str:
    """The ``CREATE OR REPLACE VIEW`` a metastore deployment would run instead of a temporary view."""
    cols = grants.granted(affiliate, table)
    if cols is None:
        raise PermissionError(f"affiliate {affiliate!r} is not granted gold table {table!r}")
    exprs = [_select_sql(c, grants) for c in cols]
    path = catalog.table_path(lakehouse, f"gold/{table}")
    return (f"CREATE OR REPLACE VIEW {view_name(affiliate, table)} AS SELECT {', '.join(exprs)} "
            f"FROM delta.`{path}`")


def _select_sql(column: str, grants: SharingConfig) -> str:
    if column != "risk_band":
        return f"`{column}`"
    cases = " ".join(f"WHEN risk_score >= {cut!r} THEN '{name}'"
                     for name, cut in sorted(grants.risk_bands.items(), key=lambda kv: -kv[1]))
    return f"CASE {cases} END AS risk_band"


def _granted_view(spark: SparkSession, lakehouse: str, affiliate: str, table: str,
                  grants: SharingConfig) -> tuple[DataFrame, list[str]]:
    """The view's DataFrame (every granted column, in grant order) and its columns."""
    granted = grants.granted(affiliate, table)
    if granted is None:
        raise PermissionError(f"affiliate {affiliate!r} is not granted gold table {table!r}")
    asked = list(granted)
    path = catalog.table_path(lakehouse, f"gold/{table}")
    if not delta.exists(spark, path):
        raise FileNotFoundError(f"gold table {table} is not published yet at {path}")
    source = delta.read(spark, path)
    missing = [c for c in asked if c not in DERIVED_COLUMNS and c not in source.columns]
    if missing:
        raise ValueError(f"sharing grants column(s) {', '.join(missing)} that gold table {table} does not have")
    exprs = [risk_band(F.col("risk_score"), grants.risk_bands).alias(c) if c == "risk_band" else F.col(c)
             for c in asked]
    return source.select(*exprs), asked


def rights_holder(brand_id: str) -> str:
    """The access log's name for the rights holder of a brand: `rights_holder:<brand_id>`."""
    return f"rights_holder:{brand_id}"


def rights_holder_columns(spark: SparkSession, lakehouse: str, brand_id: str, grants: SharingConfig | None,
                          run_id: str) -> tuple[str, ...]:
    """The brand report's columns the rights holder of `brand_id` may see, in grant order.

    A refusal is logged here; a granted request is logged by the caller with `log_access` once the report
    is built, so that the log holds only reports that were written.

    Raises:
        PermissionError: no brand report column is granted to rights holders (the refusal is recorded).
    """
    columns = grants.rights_holder_columns if grants else ()
    if not columns:
        log_access(spark, lakehouse, [(rights_holder(brand_id), BRAND_REPORT, [], False, run_id)])
        raise PermissionError("rights holders are granted no brand report column "
                              "(sharing.rights_holders.brand_report in conf)")
    return columns


def log_access(spark: SparkSession, lakehouse: str, rows: list[tuple]) -> None:
    """Appends access records (no data values, only names) to meta/share_access_log.

    Args:
        spark: the session.
        lakehouse: the lakehouse root.
        rows: (affiliate, table, columns, granted, run_id) per request; accessed_at is now, in UTC.
    """
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # UTC, like the session's time zone
    records = [(a, t, cols, granted, run_id, now) for a, t, cols, granted, run_id in rows]
    delta.append(spark.createDataFrame(records, ACCESS_LOG_SCHEMA),
                 catalog.table_path(lakehouse, "meta/share_access_log"))
