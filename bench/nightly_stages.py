"""Benchmark: wall time per nightly stage on a fresh lakehouse, medians of several runs.

Usage: .venv/bin/python bench/nightly_stages.py [--stores 400] [--days 60] [--runs 3] [--out bench/results]

Each run takes a generated marketplace into a new lakehouse (the first-night catch-up of the demo) in
one Spark session, so JVM start-up is paid once and not counted. Reports the median seconds of each
stage, the data-quality validation's share of the nightly, and input rows per second per core, as a
table and as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ipr_guard.config import load_config
from ipr_guard.generate.marketplace import generate_marketplace
from ipr_guard.pipelines import nightly
from ipr_guard.session import build_spark_session

VALIDATION_STAGES = ("validate silver", "validate gold")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=400)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("bench/results"))
    args = ap.parse_args()
    os.environ.setdefault("IPR_GUARD_HMAC_KEY", secrets.token_hex(32))
    work = Path(tempfile.mkdtemp(prefix="ipr-bench-"))
    summary = generate_marketplace(work / "market", stores=args.stores, days=args.days, seed=args.seed)
    cfg = load_config("local")
    spark = build_spark_session(cfg.spark)
    cores = os.cpu_count() or 1
    runs = []
    for i in range(args.runs):
        lake = work / f"lake{i}"
        t0 = time.monotonic()
        result = nightly.run(spark, cfg.with_paths(str(work / "market" / "landing"), str(lake)), summary.end_date)
        runs.append({"total": time.monotonic() - t0, "stages": result.stage_seconds,
                     "rows_read": sum(c["rows_read"] for c in result.accounting.values())})
        shutil.rmtree(lake)
        print(f"run {i + 1}/{args.runs}: {runs[-1]['total']:.1f}s", flush=True)
    stages = {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in runs[0]["stages"]}
    total = statistics.median(r["total"] for r in runs)
    validation = sum(stages.get(s, 0.0) for s in VALIDATION_STAGES)
    rows = runs[0]["rows_read"]
    report = {"stores": args.stores, "days": args.days, "runs": args.runs, "cores": cores, "rows_read": rows,
              "median_total_seconds": round(total, 2),
              "median_stage_seconds": {k: round(v, 2) for k, v in stages.items()},
              "validation_share": round(validation / total, 3),
              "rows_per_second_per_core": round(rows / total / cores)}
    print(f"\nnightly on a fresh lakehouse: {args.stores} stores, {args.days} days, {rows} input rows, "
          f"median of {args.runs} runs")
    for name, sec in stages.items():
        print(f"  {name:<16}{sec:>8.1f}s  {sec / total:>6.1%}")
    print(f"  {'total':<16}{total:>8.1f}s\n  validation share {validation / total:.1%}; "
          f"{report['rows_per_second_per_core']} input rows/s per core")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nightly_stages.json").write_text(json.dumps(report, indent=2) + "\n")
    spark.stop()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
