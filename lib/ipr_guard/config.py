"""Layered configuration: conf/base, then an environment (local, cluster), then command-line overrides.

The YAML layers are parsed once, merged key by key, and validated into frozen dataclasses that the
pipelines receive; nothing below the command line reads YAML or the environment for settings.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ipr_guard.errors import UsageError
from ipr_guard.schema import TABLES
# The brand report's columns and the personal ones are the transforms' own lists, so a grant is checked
# against what the report can show.
from ipr_guard.transforms.brand_report import STORE_COLUMNS
from ipr_guard.transforms.dossier import PERSONAL_COLUMNS

# Gold tables an affiliate may be granted, and the ones with a risk_score (so a risk_band can be derived).
SHAREABLE_TABLES = ("closure_candidates", "listing_risk", "enforcement_kpis")
SCORED_TABLES = ("closure_candidates", "listing_risk")
DEFAULT_RISK_BANDS = {"high": 0.9, "medium": 0.8, "low": 0.0}
# Affiliate names become part of view names, so they must be plain identifiers.
_AFFILIATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class SparkConfig:
    app_name: str
    master: str | None
    delta_jars: str
    options: dict[str, str]


@dataclass(frozen=True)
class IngestConfig:
    max_bad_share: float
    min_bad_rows: int
    daily_feeds: tuple[str, ...]
    min_volume_share: float
    trailing_days: int
    max_field_chars: int
    max_raw_line_chars: int
    parallel_tables: int = 2


@dataclass(frozen=True)
class PrivacyConfig:
    hmac_key_env: str
    hmac_key_file: str | None
    min_key_chars: int
    erasure_window_hours: int = 168


@dataclass(frozen=True)
class RulesConfig:
    notice_window_days: int
    upheld_notices_threshold: int
    identity_fields: tuple[str, ...]
    closure_reasons: tuple[str, ...]
    scores: dict[str, float]
    actions: dict[str, float]


@dataclass(frozen=True)
class ListingRiskConfig:
    low_price_ratio: float
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class FeaturesConfig:
    """Merchant features: event windows, price and keyword signals, image-reuse matching."""

    windows: tuple[int, ...]
    low_price_ratio: float
    keywords: tuple[str, ...]
    image_max_distance: int


@dataclass(frozen=True)
class ModelConfig:
    """The counterfeit-seller classifier: training data, cadence, promotion gate, operating point."""

    name: str
    tracking_uri: str | None
    retrain_every_days: int
    snapshot_every_days: int
    validation_days: int
    operating_threshold: float
    min_pr_auc: float
    min_precision: float
    min_recall: float
    promotion_margin: float
    seed: int
    hard_rules: tuple[str, ...] = ("shared_identity",)
    min_validation_positives: int = 20
    target_precision: float | None = None
    corroborated_rules: tuple[str, ...] = ("counterfeit_test_buy",)


@dataclass(frozen=True)
class KpiTargets:
    """Targets drawn on the report's KPI charts (shares of 1)."""

    proactive_before_first_sale_share: float = 0.8
    notice_processed_within_24h_share: float = 0.95


@dataclass(frozen=True)
class ReviewConfig:
    """Reviewers' decisions: how long a rejection keeps a store off the list, how much of a note is kept."""

    suppress_days: int = 30
    note_max_chars: int = 500


@dataclass(frozen=True)
class DriftConfig:
    """Nightly drift of the champion's inputs and scores against its training baseline (PSI)."""

    psi_threshold: float = 0.25
    retrain_on_drift: bool = True
    min_rows: int = 50
    top_features: int = 10
    baseline: str = "validation"


@dataclass(frozen=True)
class MaintenanceConfig:
    """Table maintenance (`ipr-guard maintain`): compaction of small files, VACUUM retention."""

    vacuum_retention_hours: int = 168
    optimize: bool = True


@dataclass(frozen=True)
class QualityConfig:
    expectations: str | None
    severity: dict[str, str]
    parallel_tables: int = 2
    driver_max_rows: int = 0


@dataclass(frozen=True)
class SharingConfig:
    """Validated sharing grants (section ``sharing``; used by `ipr_guard.privacy.sharing`).

    Attributes:
        affiliates: affiliate -> gold table -> the columns it may see, in view order.
        rights_holder_columns: the brand report's columns a rights holder may see, in the report's order
            (``sharing.rights_holders.brand_report``); empty: rights holders get no brand report.
        risk_bands: band name -> lowest risk_score of the band; a score gets the band with the highest
            cut point it reaches (NULL below every cut point).
    """

    affiliates: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    risk_bands: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_BANDS))
    rights_holder_columns: tuple[str, ...] = ()

    def granted(self, affiliate: str, table: str) -> tuple[str, ...] | None:
        """The columns of `table` granted to `affiliate`, or None when the table is not granted."""
        return self.affiliates.get(affiliate, {}).get(table)


@dataclass(frozen=True)
class Config:
    """Everything a pipeline needs, validated."""

    env: str
    timezone: str
    landing: str | None
    lakehouse: str | None
    spark: SparkConfig
    ingest: IngestConfig
    privacy: PrivacyConfig
    rules: RulesConfig
    listing_risk: ListingRiskConfig
    kpi_days: int
    quality: QualityConfig = QualityConfig(None, {})
    features: FeaturesConfig | None = None
    model: ModelConfig | None = None
    sharing: SharingConfig | None = None
    drift: DriftConfig = DriftConfig()
    review: ReviewConfig = ReviewConfig()
    kpi_targets: KpiTargets = KpiTargets()
    maintenance: MaintenanceConfig = MaintenanceConfig()
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def with_paths(self, landing: str | None = None, lakehouse: str | None = None) -> "Config":
        """Returns a copy with the landing and lakehouse paths replaced where given."""
        from dataclasses import replace
        return replace(self, landing=landing or self.landing, lakehouse=lakehouse or self.lakehouse)


def default_conf_dir() -> Path:
    """The conf/ folder: $IPR_GUARD_CONF_DIR, else ./conf, else the checkout's or the job zip's."""
    from ipr_guard.resources import project_dir
    env = os.environ.get("IPR_GUARD_CONF_DIR")
    if env:
        return Path(env)
    here = Path.cwd() / "conf"
    if (here / "base").is_dir():
        return here
    return project_dir("conf")


def deep_merge(base: dict, override: dict) -> dict:
    """Merges `override` into a copy of `base`; nested mappings merge, everything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict:
    """Turns `a.b.c=value` into {'a': {'b': {'c': value}}}, the value read as YAML."""
    if "=" not in text:
        raise UsageError(f"--set expects KEY=VALUE (e.g. ingest.max_bad_share=0.05), got {text!r}")
    path, _, value = text.partition("=")
    node: Any = yaml.safe_load(value) if value else None
    for part in reversed(path.strip().split(".")):
        node = {part: node}
    return node


def _read_layer(folder: Path) -> dict:
    merged: dict = {}
    # The dataset catalog (ipr_guard.catalog) sits in base too but is not a settings layer.
    for f in sorted(p for p in folder.glob("*.yml") if p.name != "catalog.yml"):
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise UsageError(f"configuration file {f} is not valid YAML: {e}".splitlines()[0]) from e
        merged = deep_merge(merged, data)
    return merged


def load_config(env: str = "local", overrides: list[str] | None = None, conf_dir: Path | None = None) -> Config:
    """Loads conf/base, then conf/<env>, then `overrides`, and validates the result.

    Args:
        env: the environment layer (a folder name under conf/, e.g. `local` or `cluster`).
        overrides: `KEY=VALUE` strings from the command line (`--set`).
        conf_dir: the conf/ folder; default from `default_conf_dir()`.

    Raises:
        UsageError: a missing layer or an invalid value, with the key named.
    """
    conf_dir = conf_dir or default_conf_dir()
    if not (conf_dir / "base").is_dir():
        raise UsageError(f"no configuration at {conf_dir}/base (set IPR_GUARD_CONF_DIR)")
    if not (conf_dir / env).is_dir():
        raise UsageError(f"unknown environment {env!r}: no folder {conf_dir / env}")
    raw = deep_merge(_read_layer(conf_dir / "base"), _read_layer(conf_dir / env))
    for text in overrides or []:
        raw = deep_merge(raw, parse_override(text))
    return _validate(env, raw)


def _get(raw: dict, dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise UsageError(f"configuration is missing {dotted}")
        node = node[part]
    return node


def _num(raw: dict, dotted: str, lo: float, hi: float, kind=float) -> Any:
    value = _get(raw, dotted)
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"configuration {dotted}={value!r} is not a {kind.__name__}") from None
    if not lo <= value <= hi:
        raise UsageError(f"configuration {dotted}={value} is outside [{lo}, {hi}]")
    return value


def parse_sharing(raw: dict[str, Any] | None) -> SharingConfig:
    """Validates the ``sharing`` section of the configuration.

    Args:
        raw: the section as parsed from YAML (``cfg.raw.get("sharing")``); None or {} grants nothing.

    Returns:
        The grants.

    Raises:
        ValueError: an unknown gold table (named), a bad affiliate name, an empty or non-string column
            list, risk_band granted on a table without risk_score, a bad risk band cut point, or a
            rights holders' column that is personal or not in the brand report (named).
    """
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValueError("sharing must be a mapping with affiliates (and optionally risk_bands)")
    unknown_keys = sorted(set(raw) - {"affiliates", "risk_bands", "rights_holders"})
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
        if not isinstance(affiliate, str) or not _AFFILIATE_NAME.match(affiliate) or "__" in affiliate:
            raise ValueError(f"sharing.affiliates: {affiliate!r} is not a lower-case identifier (a-z, 0-9, _)")
        if not isinstance(tables, dict):
            raise ValueError(f"sharing.affiliates.{affiliate} must map gold tables to column lists")
        grants: dict[str, tuple[str, ...]] = {}
        for table, columns in tables.items():
            if table not in SHAREABLE_TABLES:
                raise ValueError(f"sharing.affiliates.{affiliate}: unknown gold table {table!r} "
                                 f"(known: {', '.join(SHAREABLE_TABLES)})")
            if (not isinstance(columns, list) or not columns
                    or not all(isinstance(c, str) and c for c in columns)):
                raise ValueError(f"sharing.affiliates.{affiliate}.{table} must be a non-empty list of column names")
            if "risk_band" in columns and table not in SCORED_TABLES:
                raise ValueError(f"sharing.affiliates.{affiliate}.{table}: risk_band needs a table with risk_score "
                                 f"({', '.join(SCORED_TABLES)})")
            grants[table] = tuple(dict.fromkeys(columns))  # duplicates dropped, order kept
        affiliates[affiliate] = grants
    return SharingConfig(affiliates=affiliates, risk_bands=bands,
                         rights_holder_columns=_rights_holder_columns(raw.get("rights_holders")))


def _rights_holder_columns(raw: Any) -> tuple[str, ...]:
    """``sharing.rights_holders`` validated: the brand report's columns, never a personal one."""
    raw = raw or {}
    if not isinstance(raw, dict) or set(raw) - {"brand_report"}:
        raise ValueError("sharing.rights_holders must be a mapping with brand_report: [columns]")
    columns = raw.get("brand_report")
    if columns is None:
        return ()
    where = "sharing.rights_holders.brand_report"
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c for c in columns):
        raise ValueError(f"{where} must be a non-empty list of column names")
    personal = [c for c in columns if c in PERSONAL_COLUMNS]
    if personal:
        raise ValueError(f"{where}: {', '.join(personal)} is personal data, never shown to a rights holder")
    unknown = [c for c in columns if c not in STORE_COLUMNS]
    if unknown:
        raise ValueError(f"{where}: unknown column(s) {', '.join(unknown)} (known: {', '.join(STORE_COLUMNS)})")
    return tuple(dict.fromkeys(columns))


def _sharing(raw: dict) -> SharingConfig:
    try:
        return parse_sharing(raw.get("sharing"))
    except ValueError as e:
        raise UsageError(f"configuration sharing: {e}") from None


def _quality(raw: dict) -> QualityConfig:
    severity = {str(k): str(v) for k, v in (_get(raw, "quality.severity") or {}).items()}
    bad = {k: v for k, v in severity.items() if v not in ("critical", "warning")}
    if bad:
        raise UsageError(f"configuration quality.severity: use critical or warning, got {bad}")
    return QualityConfig(expectations=_get(raw, "quality.expectations"), severity=severity,
                         parallel_tables=_num(raw, "quality.parallel_tables", 1, 16, int),
                         driver_max_rows=_num(raw, "quality.driver_max_rows", 0, 10_000_000, int))


def _features(raw: dict) -> FeaturesConfig:
    windows = tuple(sorted({int(w) for w in _get(raw, "features.windows")}))
    if not windows or windows[0] < 1:
        raise UsageError(f"configuration features.windows must be positive day counts, got {windows}")
    return FeaturesConfig(
        windows=windows,
        low_price_ratio=_num(raw, "listing_risk.low_price_ratio", 0, 1),
        keywords=tuple(str(k) for k in _get(raw, "listing_risk.keywords")),
        image_max_distance=_num(raw, "features.image_max_distance", 0, 15, int),
    )


def _model(raw: dict) -> ModelConfig:
    return ModelConfig(
        name=str(_get(raw, "model.name")),
        tracking_uri=_get(raw, "model.tracking_uri"),
        retrain_every_days=_num(raw, "model.retrain_every_days", 1, 3650, int),
        snapshot_every_days=_num(raw, "model.snapshot_every_days", 1, 365, int),
        validation_days=_num(raw, "model.validation_days", 1, 3650, int),
        min_validation_positives=_num(raw, "model.min_validation_positives", 0, 1_000_000, int),
        operating_threshold=_num(raw, "model.operating_threshold", 0, 1),
        target_precision=None if _get(raw, "model.target_precision") is None
        else _num(raw, "model.target_precision", 0, 1),
        min_pr_auc=_num(raw, "model.min_pr_auc", 0, 1),
        min_precision=_num(raw, "model.min_precision", 0, 1),
        min_recall=_num(raw, "model.min_recall", 0, 1),
        promotion_margin=_num(raw, "model.promotion_margin", -1, 1),
        seed=_num(raw, "model.seed", 0, 2**31 - 1, int),
        hard_rules=tuple(str(r) for r in _get(raw, "model.hard_rules")),
        corroborated_rules=tuple(str(r) for r in _get(raw, "model.corroborated_rules")),
    )


def _review(raw: dict) -> ReviewConfig:
    return ReviewConfig(
        suppress_days=_num(raw, "review.suppress_days", 0, 3650, int),
        note_max_chars=_num(raw, "review.note_max_chars", 0, 100_000, int),
    )


def _drift(raw: dict) -> DriftConfig:
    if "drift" not in raw:
        return DriftConfig()
    retrain = _get(raw, "drift.retrain_on_drift")
    if not isinstance(retrain, bool):
        raise UsageError(f"configuration drift.retrain_on_drift={retrain!r} is not true or false")
    return DriftConfig(
        psi_threshold=_num(raw, "drift.psi_threshold", 0, 100),
        retrain_on_drift=retrain,
        min_rows=_num(raw, "drift.min_rows", 1, 10**12, int),
        top_features=_num(raw, "drift.top_features", 1, 10_000, int),
        baseline=_drift_baseline(raw),
    )


def _drift_baseline(raw: dict) -> str:
    value = str(_get(raw, "drift.baseline"))
    if value not in ("validation", "train"):
        raise UsageError(f"configuration drift.baseline={value!r}: use validation or train")
    return value


def _maintenance(raw: dict, erasure_window_hours: int) -> MaintenanceConfig:
    section = raw.get("maintenance") or {}
    hours = _num(raw, "maintenance.vacuum_retention_hours", 0, 24 * 3650, int) if "vacuum_retention_hours" in section \
        else MaintenanceConfig.vacuum_retention_hours
    # Tables are created with delta.deletedFileRetentionDuration = the erasure window; a shorter VACUUM
    # retention would need Delta's safety check switched off and could delete files a reader or the
    # recovery of a killed run still needs.
    if hours < erasure_window_hours:
        raise UsageError(f"configuration maintenance.vacuum_retention_hours={hours} is below "
                         f"privacy.erasure_window_hours={erasure_window_hours} (the tables' deleted-file retention)")
    optimize = section.get("optimize", MaintenanceConfig.optimize)
    if not isinstance(optimize, bool):
        raise UsageError(f"configuration maintenance.optimize={optimize!r} is not true or false")
    return MaintenanceConfig(vacuum_retention_hours=hours, optimize=optimize)


def _validate(env: str, raw: dict) -> Config:
    tz = _get(raw, "market.timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageError(f"configuration market.timezone={tz!r} is not a known time zone") from None
    feeds = tuple(_get(raw, "ingest.daily_feeds") or ())
    unknown = [f for f in feeds if f not in TABLES]
    if unknown:
        raise UsageError(f"configuration ingest.daily_feeds names unknown tables: {unknown}")
    spark = SparkConfig(
        app_name=str(_get(raw, "spark.app_name")),
        master=_get(raw, "spark.master"),
        delta_jars=str(_get(raw, "spark.delta_jars")),
        options={str(k): str(v) for k, v in (_get(raw, "spark.options") or {}).items()},
    )
    if spark.delta_jars not in ("auto", "none"):
        raise UsageError(f"configuration spark.delta_jars={spark.delta_jars!r}: use auto or none")
    rules = RulesConfig(
        notice_window_days=_num(raw, "rules.notice_window_days", 1, 3650, int),
        upheld_notices_threshold=_num(raw, "rules.upheld_notices_threshold", 1, 10_000, int),
        identity_fields=tuple(_get(raw, "rules.identity_fields")),
        closure_reasons=tuple(_get(raw, "rules.closure_reasons")),
        scores={k: float(v) for k, v in _get(raw, "rules.scores").items()},
        actions={k: float(v) for k, v in _get(raw, "rules.actions").items()},
    )
    model = _model(raw)
    unknown_rules = [r for r in model.hard_rules + model.corroborated_rules if r not in rules.scores]
    if unknown_rules:
        raise UsageError(f"configuration model.hard_rules names rules without a score in rules.scores: {unknown_rules}")
    pii = set(TABLES["merchants"].pii_fields)
    if not set(rules.identity_fields) <= pii:
        raise UsageError(f"configuration rules.identity_fields must be merchant PII fields: {sorted(pii)}")
    return Config(
        env=env,
        timezone=tz,
        landing=_get(raw, "paths.landing"),
        lakehouse=_get(raw, "paths.lakehouse"),
        spark=spark,
        ingest=IngestConfig(
            max_bad_share=_num(raw, "ingest.max_bad_share", 0, 1),
            min_bad_rows=_num(raw, "ingest.min_bad_rows", 0, 10**12, int),
            daily_feeds=feeds,
            min_volume_share=_num(raw, "ingest.min_volume_share", 0, 1),
            trailing_days=_num(raw, "ingest.trailing_days", 1, 365, int),
            max_field_chars=_num(raw, "ingest.max_field_chars", 1, 10**9, int),
            max_raw_line_chars=_num(raw, "ingest.max_raw_line_chars", 64, 10**9, int),
            parallel_tables=_num(raw, "ingest.parallel_tables", 1, 16, int),
        ),
        privacy=PrivacyConfig(
            hmac_key_env=str(_get(raw, "privacy.hmac_key_env")),
            hmac_key_file=_get(raw, "privacy.hmac_key_file"),
            min_key_chars=_num(raw, "privacy.min_key_chars", 16, 4096, int),
            erasure_window_hours=_num(raw, "privacy.erasure_window_hours", 0, 24 * 3650, int),
        ),
        rules=rules,
        listing_risk=ListingRiskConfig(
            low_price_ratio=_num(raw, "listing_risk.low_price_ratio", 0, 1),
            keywords=tuple(str(k) for k in _get(raw, "listing_risk.keywords")),
        ),
        kpi_days=_num(raw, "reports.kpi_days", 1, 3650, int),
        quality=_quality(raw),
        features=_features(raw),
        model=model,
        sharing=_sharing(raw),
        drift=_drift(raw),
        review=_review(raw),
        maintenance=_maintenance(raw, _num(raw, "privacy.erasure_window_hours", 0, 24 * 3650, int)),
        kpi_targets=KpiTargets(
            proactive_before_first_sale_share=_num(raw, "reports.kpi_targets.proactive_before_first_sale_share", 0, 1),
            notice_processed_within_24h_share=_num(raw, "reports.kpi_targets.notice_processed_within_24h_share", 0, 1),
        ),
        raw=raw,
    )
