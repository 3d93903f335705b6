"""`ipr-guard evaluate`: the classifier's quality on a marketplace it never saw, against ground truth.

A training marketplace gets the nightly, the train job and the promotion gate (its champion); a held-out
one, with another seed and size, gets the nightly scored by that champion. The held-out list is
then compared with the held-out truth, next to the rules-only list of the same night.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Callable

import pandas as pd
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.config import Config
from ipr_guard.evaluation.metrics import active_stores, average_precision, list_quality, recall_at_precision
from ipr_guard.generate.marketplace import generate_marketplace
from ipr_guard.io import delta
from ipr_guard.pii import ensure_demo_key
from ipr_guard.pipelines import demo, nightly, promote
from ipr_guard.pipelines import train as train_job
from ipr_guard.pipelines.model_step import silver_inputs
from ipr_guard.transforms.candidates import closure_candidates


def _gold(spark, lakehouse: str, name: str, date_col: str, day):
    return delta.read(spark, catalog.table_path(lakehouse, f"gold/{name}")).where(F.col(date_col) == F.lit(day))


def measure(spark, cfg: Config, folder: Path, run_date) -> dict:
    """Compares a lakehouse's published lists for `run_date` with `folder/truth`."""
    lakehouse = cfg.lakehouse
    truth = pd.read_csv(folder / "truth" / "merchants.csv", dtype=str, keep_default_na=False)
    active = active_stores(truth, run_date)
    s = silver_inputs(spark, cfg, run_date)
    abusive = {r[0] for r in s["complaints"].where((F.col("source") == "rights_holder")
                                                    & (F.col("outcome") == "rejected"))
               .select("merchant_id").distinct().collect()}
    listed = {r[0] for r in _gold(spark, lakehouse, "closure_candidates", "run_date", run_date)
              .select("merchant_id").collect()}
    rules = closure_candidates(run_date, s["merchants"], s["complaints"], s["test_buys"], s["enforcement_actions"],
                               cfg.timezone, cfg.rules).select("merchant_id", "risk_score").toPandas()
    model = list_quality(listed, active, abusive)
    rules_only = list_quality(set(rules["merchant_id"]), active, abusive)
    # Equal precision: cut the rules-only ranking (rule scores) where it keeps the model list's precision.
    rules_at_model_precision = recall_at_precision(rules.rename(columns={"risk_score": "score"}), active,
                                                   model["precision"] or 1.0)
    risk = _gold(spark, lakehouse, "listing_risk", "run_date", run_date).select("listing_id", "risk_score").toPandas()
    listing_truth = pd.read_csv(folder / "truth" / "listings.csv", dtype={"listing_id": str})
    risk = risk.merge(listing_truth[["listing_id", "is_counterfeit"]], on="listing_id", how="left")
    labels = risk["is_counterfeit"].astype(str).str.lower().eq("true").to_numpy()
    return {
        "run_date": str(run_date), "candidates": model, "rules_only": rules_only,
        "rules_only_recall_at_model_precision": rules_at_model_precision,
        "listing_risk": {"listings": len(risk), "counterfeit": int(labels.sum()),
                         "average_precision": average_precision(labels, risk["risk_score"].to_numpy())},
    }


def format_report(figures: dict) -> str:
    """The figures as a small plain-text table for the terminal and the README."""
    c, r = figures["candidates"], figures["rules_only"]
    lines = [f"held-out marketplace, run date {figures['run_date']}: {c['counterfeiters_active']} active counterfeiters",
             f"{'list':<22}{'listed':>8}{'precision':>11}{'recall':>9}",
             f"{'model + hard rules':<22}{c['listed']:>8}{c['precision']!s:>11}{c['recall']!s:>9}",
             f"{'rules only':<22}{r['listed']:>8}{r['precision']!s:>11}{r['recall']!s:>9}",
             f"rules-only recall at the model list's precision: "
             f"{figures['rules_only_recall_at_model_precision']['recall']}",
             "share of each kind of active store listed (model list):"]
    for kind, k in c["per_kind"].items():
        lines.append(f"  {kind:<22}{k['listed']:>5} of {k['stores']:<5} {k['share']:.2%}")
    a = c["abusive_notice_stores"]
    lines.append(f"  {'hit by abusive notices':<22}{a['listed']:>5} of {a['stores']:<5} "
                 f"{(a['share'] or 0):.2%}")
    lr = figures["listing_risk"]
    lines.append(f"listing_risk: {lr['listings']} new listings, {lr['counterfeit']} counterfeit, "
                 f"average precision {lr['average_precision']}")
    return "\n".join(lines)


def run(cfg: Config, out: Path, train_stores: int, train_seed: int, stores: int, seed: int, days: int,
        build_session: Callable) -> int:
    """Generates both marketplaces, runs both nightlies, prints and writes `out/evaluation.json`."""
    t0 = time.monotonic()
    out = out.resolve()
    if not os.environ.get(cfg.privacy.hmac_key_env) and not cfg.privacy.hmac_key_file:
        os.environ[cfg.privacy.hmac_key_env] = ensure_demo_key(demo.DEMO_KEY).read_text().strip()
    train_dir, held_dir = out / "train", out / "heldout"
    train = generate_marketplace(train_dir, stores=train_stores, days=days, seed=train_seed)
    held = generate_marketplace(held_dir, stores=stores, days=days, seed=seed)
    train_cfg = cfg.with_paths(str(train_dir / "landing"), str(train_dir / "lakehouse"))
    spark = build_session(train_cfg)
    print(nightly.run(spark, train_cfg, train.end_date).summary(), flush=True)
    print(train_job.run(spark, train_cfg, train.end_date), flush=True)
    print(promote.run(train_cfg, train.end_date).summary(), flush=True)
    tracking = cfg.model.tracking_uri or f"sqlite:///{train_dir / 'lakehouse' / 'mlflow' / 'mlflow.db'}"
    held_cfg = dataclasses.replace(
        cfg.with_paths(str(held_dir / "landing"), str(held_dir / "lakehouse")),
        model=dataclasses.replace(cfg.model, tracking_uri=tracking))
    print(nightly.run(spark, held_cfg, held.end_date).summary(), flush=True)
    figures = measure(spark, held_cfg, held_dir, held.end_date)
    figures["marketplaces"] = {"train": {"stores": train_stores, "seed": train_seed, "days": days},
                               "heldout": {"stores": stores, "seed": seed, "days": days}}
    (out / "evaluation.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print("\n" + format_report(figures))
    print(f"\nfigures: {out / 'evaluation.json'}\nevaluation finished in {time.monotonic() - t0:.0f}s")
    return 0
