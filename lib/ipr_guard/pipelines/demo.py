"""The demo: a synthetic marketplace, then the schedule's order on the embedded default.

The nightly for the day before the last (rules only: a fresh lakehouse has no champion) and the store
networks job, the train job and the promotion gate for that day, then the nightly for the last day, scored
by the new champion, and its networks. Last, what an investigation sends out: the evidence dossier of the
top candidate and the brand report of the brand it sold most infringing goods of.

The demo leaves what the next commands on its lakehouse need: the path of the HMAC key file (never the
key) is recorded in `<lakehouse>/ipr-guard.yml`, a configuration layer the command line reads for any
`--lakehouse` that has one, so `ipr-guard review import ... --lakehouse demo/lakehouse` and the other
commands it prints work as printed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import yaml

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.errors import UsageError

DEMO_KEY = Path("~/.config/ipr-guard/demo-hmac.key")
LAKEHOUSE_CONF = "ipr-guard.yml"
KPI_DAYS_SHOWN = 7


def _local(lakehouse: str | None) -> Path | None:
    if not lakehouse or ("://" in lakehouse and not lakehouse.startswith("file:")):
        return None
    return Path(lakehouse.removeprefix("file://").removeprefix("file:"))


def _flatten(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [o for k, v in node.items() for o in _flatten(v, f"{prefix}{k}.")]
    # JSON is YAML: parse_override reads each value back as it was.
    return [f"{prefix.rstrip('.')}={json.dumps(node)}"]


def lakehouse_overrides(lakehouse: str | None) -> list[str]:
    """The settings recorded for a local lakehouse (its `ipr-guard.yml`), as `--set` style overrides.

    They go between conf/<env> and the command line's own `--set`, which still wins.

    Raises:
        UsageError: the file is not a YAML mapping.
    """
    folder = _local(lakehouse)
    path = folder / LAKEHOUSE_CONF if folder else None
    if path is None or not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise UsageError(f"lakehouse settings {path} are not valid YAML: {e}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UsageError(f"lakehouse settings {path} must be a mapping of configuration keys")
    return _flatten(data)


def record_key_file(lakehouse: Path, key_file: Path) -> Path:
    """Writes `<lakehouse>/ipr-guard.yml` naming the HMAC key file (its path only) and returns it."""
    path = lakehouse / LAKEHOUSE_CONF
    lakehouse.mkdir(parents=True, exist_ok=True)
    text = ("# Written by `ipr-guard demo`: settings every ipr-guard command given --lakehouse <this folder>\n"
            "# reads (above conf/, below --set). The key file's path only: the key stays outside.\n"
            + yaml.safe_dump({"privacy": {"hmac_key_file": str(key_file)}}, sort_keys=False))
    path.write_text(text, encoding="utf-8")
    return path


def _shown(path: Path) -> str:
    """A path as the user typed it best: relative to the working folder when under it."""
    try:
        text = str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        text = str(path)
    return shlex.quote(text)


def next_commands(lakehouse: Path, review_csv: Path, run_date: dt.date, first_day: dt.date,
                  affiliate: str | None) -> list[str]:
    """The commands a user runs next on the demo's lakehouse, exactly as printed."""
    lake = f"--lakehouse {_shown(lakehouse)}"
    start = max(first_day, run_date - dt.timedelta(days=KPI_DAYS_SHOWN - 1))
    commands = [f"ipr-guard review import {_shown(review_csv)} --date {run_date} {lake}",
                f"ipr-guard candidates --date {run_date} {lake}",
                f"ipr-guard kpis --start {start} --end {run_date} {lake}"]
    if affiliate:
        commands.append(f"ipr-guard share --affiliate {affiliate} {lake}")
    return commands


def write_evidence(spark, cfg: Config, start: dt.date, end: dt.date) -> list[str]:
    """The dossier of the last night's top candidate over the whole demo period, and the brand report of the
    brand it sold most infringing goods of; returns the lines that say where they are (or why not)."""
    from pyspark.sql import functions as F

    from ipr_guard.io import delta
    from ipr_guard.pipelines import brand_report, dossier

    top = delta.read(spark, catalog.table_path(cfg.lakehouse, "gold/closure_candidates")).where(
        (F.col("run_date") == F.lit(end)) & (F.col("rank") == 1)).select("merchant_id").first()
    if top is None:
        return [f"dossier:     none (no closure candidate on {end})"]
    written = dossier.run(spark, cfg, top["merchant_id"], start, end)
    print(written.summary(), flush=True)
    lines = [f"dossier:     {written.folder} (the top candidate, {top['merchant_id']}: JSON, HTML, PDF)"]
    # By infringing GMV, else any infringing listing's brand (a store found out before it sold).
    brands = [b for b in written.content["infringing_gmv_by_brand"] if b["brand_id"]] or [
        item for item in written.content["infringing_listings"]["listings"] if item.get("brand_id")]
    if not brands:
        return lines + [f"brand report: none ({top['merchant_id']} has no infringing listing of a known brand)"]
    report = brand_report.run(spark, cfg, brands[0]["brand_id"], start, end)
    print(report.summary(), flush=True)
    return lines + [f"brand report: {report.folder} (for the rights holder of {brands[0]['brand_id']})"]


def run(cfg: Config, out: Path, stores: int, days: int, seed: int, build_session: Callable) -> int:
    """Generates `out/landing`, runs nightly, train, promote and nightly into `out/lakehouse`, prints where
    things are and what to run next."""
    # Imported here: the command line imports this module for lakehouse_overrides on every command.
    from ipr_guard.generate.marketplace import generate_marketplace
    from ipr_guard.pii import ensure_demo_key
    from ipr_guard.pipelines import networks_step, nightly, promote, train

    t0 = time.monotonic()
    out = out.resolve()
    lake = out / "lakehouse"
    summary = generate_marketplace(out, stores=stores, days=days, seed=seed)
    print(summary, flush=True)
    key_file = None
    if not os.environ.get(cfg.privacy.hmac_key_env):
        # A local random key outside the repo unless conf names a key file; a deployment mounts its own.
        key_file = Path(cfg.privacy.hmac_key_file).expanduser().resolve() if cfg.privacy.hmac_key_file \
            else ensure_demo_key(DEMO_KEY).resolve()
        cfg = replace(cfg, privacy=replace(cfg.privacy, hmac_key_file=str(key_file)))
    cfg = cfg.with_paths(str(out / "landing"), str(lake))
    spark = build_session(cfg)
    before = summary.end_date - dt.timedelta(days=1)
    print(nightly.run(spark, cfg, before).summary(), flush=True)
    # The networks job after each nightly, as scheduled: the last night's reasons name the networks.
    print(networks_step.run(spark, cfg, before).summary(), flush=True)
    print(train.run(spark, cfg, before), flush=True)
    print(promote.run(cfg, before).summary(), flush=True)
    result = nightly.run(spark, cfg, summary.end_date)
    print(result.summary())
    print(networks_step.run(spark, cfg, summary.end_date).summary(), flush=True)
    evidence = write_evidence(spark, cfg, summary.start_date, summary.end_date)
    settings = record_key_file(lake, key_file) if key_file else None
    reports = lake / "reports" / str(summary.end_date)
    print(f"\nlanding:     {out / 'landing'}\nground truth: {out / 'truth'}\nlakehouse:   {lake}"
          f"\n  gold tables: {catalog.table_path(str(lake), 'gold/closure_candidates')} (and listing_risk, "
          f"enforcement_kpis beside it)"
          f"\n  review list: {reports / 'closure_candidates.csv'} (open in a spreadsheet; fill in decision, "
          f"reviewer, note)\n  report:      {reports / 'report.html'} (open in a browser)"
          f"\n  data docs:   {reports / 'data_docs' / 'index.html'} (works offline)")
    for line in evidence:
        print(f"  {line}")
    affiliates = sorted(cfg.sharing.affiliates) if cfg.sharing else []
    commands = next_commands(lake, reports / "closure_candidates.csv", summary.end_date, summary.start_date,
                             affiliates[0] if affiliates else None)
    where = f"the key file is recorded in {settings}" if settings else f"with {cfg.privacy.hmac_key_env} set as now"
    print(f"\nnext commands (from this folder; {where}; fill in the review list before importing it):")
    print("\n".join(f"  {c}" for c in commands))
    print(f"\ndemo finished in {time.monotonic() - t0:.0f}s")
    return 0
