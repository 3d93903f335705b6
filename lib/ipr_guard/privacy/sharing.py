"""Sharing gold tables with affiliates: views with only the granted columns, every access recorded.

Contract ("Personal data"): data shared with an affiliate is shared as a view with only the columns that
affiliate is entitled to, never as a copy, and each such access is recorded.

Grants come from configuration (section ``sharing``)::

    sharing:
      risk_bands: {high: 0.9, medium: 0.8, low: 0.0}
      affiliates:
        logistics:
          closure_candidates: [merchant_id, recommended_action, risk_band]

A view is a DataFrame over the gold Delta table's path that selects the granted columns; nothing is
copied. In this session it is registered as a temporary view ``<affiliate>__<table>``. On a cluster with
a metastore the same thing is a permanent view over the Delta path (see `view_sql`), readable by the
affiliate's principal only, with no grant on the underlying table.

Every request, granted or refused, is appended to ``meta/share_access_log`` (affiliate, table, columns,
granted, run_id, accessed_at). A request outside the grant raises `PermissionError`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard.io import delta

# Gold tables an affiliate may be granted, and the ones with a risk_score (so a risk_band can be derived).
GOLD_TABLES = ("closure_candidates", "listing_risk", "enforcement_kpis")
SCORED_TABLES = ("closure_candidates", "listing_risk")
# Columns computed in the view rather than read from the table.
DERIVED_COLUMNS = ("risk_band",)
DEFAULT_RISK_BANDS = {"high": 0.9, "medium": 0.8, "low": 0.0}
# Affiliate names become part of view names, so they must be plain identifiers.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")

ACCESS_LOG_SCHEMA = T.StructType([
    T.StructField("affiliate", T.StringType()),
    T.StructField("table", T.StringType()),
    T.StructField("columns", T.ArrayType(T.StringType())),
    T.StructField("granted", T.BooleanType()),
    T.StructField("run_id", T.StringType()),
    T.StructField("accessed_at", T.TimestampType()),
])


@dataclass(frozen=True)
class SharingConfig:
    """Validated sharing grants.

    Attributes:
        affiliates: affiliate -> gold table -> the columns it may see, in view order.
        risk_bands: band name -> lowest risk_score of the band; a score gets the band with the highest
            cut point it reaches (NULL below every cut point).
    """

    affiliates: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    risk_bands: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_BANDS))

    def granted(self, affiliate: str, table: str) -> tuple[str, ...] | None:
        """The columns of `table` granted to `affiliate`, or None when the table is not granted."""
        return self.affiliates.get(affiliate, {}).get(table)


def parse_sharing(raw: dict[str, Any] | None) -> SharingConfig:
    """Validates the ``sharing`` section of the configuration.

    Args:
        raw: the section as parsed from YAML (``cfg.raw.get("sharing")``); None or {} grants nothing.

    Returns:
        The grants.

    Raises:
        ValueError: an unknown gold table (named), a bad affiliate name, an empty or non-string column
            list, risk_band granted on a table without risk_score, or a bad risk band cut point.
    """
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValueError("sharing must be a mapping with affiliates (and optionally risk_bands)")
    unknown_keys = sorted(set(raw) - {"affiliates", "risk_bands"})
    if unknown_keys:
        raise ValueError(f"sharing has unknown keys: {', '.join(unknown_keys)}")
    bands_raw = raw.get("risk_bands", DEFAULT_RISK_BANDS)
    if not isinstance(bands_raw, dict) or not bands_raw:
        raise ValueError("sharing.risk_bands must map band names to cut points in [0, 1]")
    bands: dict[str, float] = {}
    for name, cut in bands_raw.items():
        if not isinstance(cut, (int, float)) or isinstance(cut, bool) or not 0 <= cut <= 1:
            raise ValueError(f"sharing.risk_bands.{name}={cut!r} is not a number in [0, 1]")
        bands[str(name)] = float(cut)
    affiliates: dict[str, dict[str, tuple[str, ...]]] = {}
    for affiliate, tables in (raw.get("affiliates") or {}).items():
        if not isinstance(affiliate, str) or not NAME.match(affiliate) or "__" in affiliate:
            raise ValueError(f"sharing.affiliates: {affiliate!r} is not a lower-case identifier (a-z, 0-9, _)")
        if not isinstance(tables, dict):
            raise ValueError(f"sharing.affiliates.{affiliate} must map gold tables to column lists")
        grants: dict[str, tuple[str, ...]] = {}
        for table, columns in tables.items():
            if table not in GOLD_TABLES:
                raise ValueError(f"sharing.affiliates.{affiliate}: unknown gold table {table!r} "
                                 f"(known: {', '.join(GOLD_TABLES)})")
            if (not isinstance(columns, list) or not columns
                    or not all(isinstance(c, str) and c for c in columns)):
                raise ValueError(f"sharing.affiliates.{affiliate}.{table} must be a non-empty list of column names")
            if "risk_band" in columns and table not in SCORED_TABLES:
                raise ValueError(f"sharing.affiliates.{affiliate}.{table}: risk_band needs a table with risk_score "
                                 f"({', '.join(SCORED_TABLES)})")
            grants[table] = tuple(dict.fromkeys(columns))  # duplicates dropped, order kept
        affiliates[affiliate] = grants
    return SharingConfig(affiliates=affiliates, risk_bands=bands)


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


def affiliate_view(spark: SparkSession, lakehouse: str, affiliate: str, table: str, grants: SharingConfig,
                   columns: Sequence[str] | None = None, run_id: str | None = None) -> DataFrame:
    """A DataFrame over a gold Delta table with only the columns granted to `affiliate`.

    Nothing is copied: the DataFrame reads the table at its path whenever it is evaluated. The access
    (granted or refused) is appended to ``meta/share_access_log``.

    Args:
        spark: the session.
        lakehouse: the lakehouse root.
        affiliate: the affiliate asking.
        table: a gold table name.
        grants: the validated sharing configuration.
        columns: the columns asked for (default: every granted column), in this order.
        run_id: the run on whose behalf the view is built (recorded).

    Returns:
        The view's DataFrame: exactly the asked (granted) columns.

    Raises:
        PermissionError: the table, or one of the columns, is not granted to the affiliate.
    """
    try:
        df, cols = _granted_view(spark, lakehouse, affiliate, table, grants, columns)
    except PermissionError:
        _log_access(spark, lakehouse, [(affiliate, table, list(columns or []), False, run_id)])
        raise
    _log_access(spark, lakehouse, [(affiliate, table, cols, True, run_id)])
    return df


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
        _log_access(spark, lakehouse, [(affiliate, None, [], False, run_id)])
        raise PermissionError(f"affiliate {affiliate!r} is granted no gold table")
    names, log_rows = [], []
    for table in tables:
        df, cols = _granted_view(spark, lakehouse, affiliate, table, grants, None)
        name = view_name(affiliate, table)
        df.createOrReplaceTempView(name)
        names.append(name)
        log_rows.append((affiliate, table, cols, True, run_id))
    _log_access(spark, lakehouse, log_rows)
    return names


def view_sql(lakehouse: str, affiliate: str, table: str, grants: SharingConfig) -> str:
    """The ``CREATE OR REPLACE VIEW`` a metastore deployment would run instead of a temporary view."""
    cols = grants.granted(affiliate, table)
    if cols is None:
        raise PermissionError(f"affiliate {affiliate!r} is not granted gold table {table!r}")
    exprs = [_select_sql(c, grants) for c in cols]
    path = delta.table_path(lakehouse, "gold", table)
    return (f"CREATE OR REPLACE VIEW {view_name(affiliate, table)} AS SELECT {', '.join(exprs)} "
            f"FROM delta.`{path}`")


def _select_sql(column: str, grants: SharingConfig) -> str:
    if column != "risk_band":
        return f"`{column}`"
    cases = " ".join(f"WHEN risk_score >= {cut!r} THEN '{name}'"
                     for name, cut in sorted(grants.risk_bands.items(), key=lambda kv: -kv[1]))
    return f"CASE {cases} END AS risk_band"


def _granted_view(spark: SparkSession, lakehouse: str, affiliate: str, table: str, grants: SharingConfig,
                  columns: Sequence[str] | None) -> tuple[DataFrame, list[str]]:
    """The view's DataFrame and its columns; PermissionError (one line) outside the grant."""
    granted = grants.granted(affiliate, table)
    if granted is None:
        raise PermissionError(f"affiliate {affiliate!r} is not granted gold table {table!r}")
    asked = list(columns) if columns is not None else list(granted)
    refused = [c for c in asked if c not in granted]
    if refused:
        raise PermissionError(f"affiliate {affiliate!r} is not granted column(s) {', '.join(refused)} of gold "
                              f"table {table!r} (granted: {', '.join(granted)})")
    path = delta.table_path(lakehouse, "gold", table)
    if not delta.exists(spark, path):
        raise FileNotFoundError(f"gold table {table} is not published yet at {path}")
    source = delta.read(spark, path)
    missing = [c for c in asked if c not in DERIVED_COLUMNS and c not in source.columns]
    if missing:
        raise ValueError(f"sharing grants column(s) {', '.join(missing)} that gold table {table} does not have")
    exprs = [risk_band(F.col("risk_score"), grants.risk_bands).alias(c) if c == "risk_band" else F.col(c)
             for c in asked]
    return source.select(*exprs), asked


def _log_access(spark: SparkSession, lakehouse: str, rows: list[tuple]) -> None:
    """Appends access records (no data values, only names) to meta/share_access_log."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # UTC, like the session's time zone
    records = [(a, t, cols, granted, run_id, now) for a, t, cols, granted, run_id in rows]
    delta.append(spark.createDataFrame(records, ACCESS_LOG_SCHEMA),
                 delta.table_path(lakehouse, "meta", "share_access_log"))
