"""Crash safety: the nightly killed with SIGKILL at stage boundaries and mid-write, then rerun.

Each killed run also starts by recovering from the previous kill, so one lakehouse goes through every
fault in turn; the final clean run must publish exactly what an undisturbed run publishes.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard.io import delta
from ipr_guard.pipelines.recovery import GOLD_TABLES
from tests.conftest import TEST_KEY
from tests.integration.test_nightly import build_landing

DATE = "2026-10-02"
FAULTS = ("during:silver:1.0", "after:gold", "publish:closure_candidates", "publish:ingest_log")
KEYS = {"closure_candidates": ["run_date", "merchant_id"], "listing_risk": ["run_date", "listing_id"],
        "enforcement_kpis": ["kpi_date"], "merchant_features": ["merchant_id", "as_of_date"]}


def cli(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_FAULT"} | {"IPR_GUARD_HMAC_KEY": TEST_KEY}
    if fault:
        env["IPR_GUARD_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "ipr_guard.cli", *args], capture_output=True, text=True,
                          timeout=900, env=env)


def nightly(landing: Path, lake: Path, fault: str | None = None, date: str = DATE) -> subprocess.CompletedProcess:
    return cli("nightly", "--date", date, "--landing", str(landing), "--lakehouse", str(lake), fault=fault)


def published(spark, lake: Path) -> dict[str, list]:
    out = {}
    for name in GOLD_TABLES:
        df = delta.read(spark, delta.table_path(str(lake), "gold", name))
        assert df.groupBy(*KEYS[name]).count().where(F.col("count") > 1).count() == 0, f"duplicate keys in {name}"
        out[name] = sorted(df.collect(), key=lambda r: tuple(str(r[k]) for k in KEYS[name]))
    out["csv"] = (lake / "reports" / DATE / "closure_candidates.csv").read_bytes()
    return out


@pytest.mark.slow
def test_killed_runs_then_a_rerun_publish_what_an_undisturbed_run_does(spark, tmp_path):
    landing = tmp_path / "landing"
    build_landing(landing)
    lake = tmp_path / "lake"
    # A first published day, so that the faults of the second have a published state to go back to.
    for target in (tmp_path / "reference", lake):
        first = nightly(landing, target, date="2026-10-01")
        assert first.returncode == 0, first.stderr[-2000:]
    reference = nightly(landing, tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr[-2000:]

    for fault in FAULTS:
        killed = nightly(landing, lake, fault)
        assert killed.returncode == -signal.SIGKILL, f"{fault}: {killed.returncode} {killed.stderr[-1500:]}"
    final = nightly(landing, lake)
    assert final.returncode == 0, final.stderr[-2000:]
    # The last kill came after every gold commit but before the run marker: the rerun rolled them back.
    assert "recovered: restored gold/" in final.stdout, final.stdout
    assert published(spark, lake) == published(spark, tmp_path / "reference")
    # And the rerun is a published run like any other: a further rerun changes nothing.
    again = nightly(landing, lake)
    assert again.returncode == 0 and "already published" in again.stdout

    # A backfill of both days killed half-way through the second, then started again: the first day is
    # skipped, the second recovered and finished, and the result is that of the undisturbed runs.
    backfill = ("backfill", "--start", "2026-10-01", "--end", DATE, "--landing", str(landing),
                "--lakehouse", str(tmp_path / "backfill"))
    killed = cli(*backfill, fault=f"after:gold@{DATE}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-1500:]
    assert "run 2026-10-01-" in killed.stdout and f"run {DATE}-" not in killed.stdout
    restarted = cli(*backfill)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    assert "2026-10-01 already published, skipped" in restarted.stderr
    assert published(spark, tmp_path / "backfill") == published(spark, tmp_path / "reference")
