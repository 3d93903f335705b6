"""Crash safety: the nightly killed with SIGKILL after stages and in the middle of writes, then rerun.

One lakehouse goes through every fault in turn (each killed run starts by recovering from the kill
before it); the final clean run must publish exactly what an undisturbed run publishes. Then three
reruns, `--force` killed after its marker, and a backfill killed half-way and started again. One test,
so that the undisturbed reference is computed once.
"""
from __future__ import annotations

import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard.io import delta
from ipr_guard.pipelines import nightly as nightly_module
from ipr_guard.pipelines.recovery import GOLD_TABLES
from tests.conftest import TEST_KEY
from tests.integration.test_nightly import build_landing

DATE = "2026-10-02"
# Every stage boundary of the nightly in order (the first test checks this list against nightly.py), with
# the mid-write points among them: 1 s into the silver writes, and between publish's commits (the drift
# rows first, then each gold table, then the ingest log, then the run marker). The last one leaves every
# gold commit made but no marker. After the marker (after:publish, after:vacuum) the run counts as
# published and a kill there must leave the published result in place.
ALL_FAULTS = ("after:recover", "after:discover", "after:ingest", "after:quarantine", "after:validate silver",
              "during:silver:1.0", "after:silver", "after:privacy", "after:train", "after:features",
              "after:gold", "after:drift", "after:validate gold", "publish:drift", "publish:closure_candidates",
              "publish:ingest_log")
ALL_AFTER_MARKER = ("after:publish", "after:vacuum")
# What CI runs: the whole chain above costs about 29 minutes on a 2-core machine (29 nightly processes),
# more than CI's budget leaves, so CI kills in the middle of the silver writes, after gold is computed,
# between two gold commits, after the last gold commit, and after the vacuum of a published run.
# `make test-crash` runs every point.
FULL = os.environ.get("IPR_GUARD_CRASH_TEST") == "all"
FAULTS = ALL_FAULTS if FULL else ("during:silver:1.0", "after:gold", "publish:closure_candidates",
                                  "publish:ingest_log")
AFTER_MARKER = ALL_AFTER_MARKER if FULL else ("after:vacuum",)
KEYS = {"closure_candidates": ["run_date", "merchant_id"], "listing_risk": ["run_date", "listing_id"],
        "enforcement_kpis": ["kpi_date"], "merchant_features": ["merchant_id", "as_of_date"]}


def cli(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_FAULT"} | {"IPR_GUARD_HMAC_KEY": TEST_KEY}
    if fault:
        env["IPR_GUARD_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "ipr_guard.cli", *args], capture_output=True, text=True,
                          timeout=900, env=env)


def nightly(landing: Path, lake: Path, fault: str | None = None, date: str = DATE,
            force: bool = False) -> subprocess.CompletedProcess:
    return cli("nightly", "--date", date, "--landing", str(landing), "--lakehouse", str(lake),
               *(["--force"] if force else []), fault=fault)


def published(spark, lake: Path) -> dict[str, list]:
    out = {}
    for name in GOLD_TABLES:
        df = delta.read(spark, delta.table_path(str(lake), "gold", name))
        assert df.groupBy(*KEYS[name]).count().where(F.col("count") > 1).count() == 0, f"duplicate keys in {name}"
        out[name] = sorted(df.collect(), key=lambda r: tuple(str(r[k]) for k in KEYS[name]))
    out["csv"] = (lake / "reports" / DATE / "closure_candidates.csv").read_bytes()
    return out


def gold_versions(spark, lake: Path) -> dict[str, int]:
    return {n: delta.version(spark, delta.table_path(str(lake), "gold", n)) for n in GOLD_TABLES}


def build_crash_landing(landing: Path) -> None:
    """The tiny marketplace, with three of its five tables delivered on the second day (the daily
    feeds listings and orders, and takedowns): every stage still has work, and each killed run is
    cheaper than with all five."""
    build_landing(landing)
    for table in ("complaints", "test_buys"):
        shutil.rmtree(landing / table / f"ingest_date={DATE}")


def killed(proc: subprocess.CompletedProcess, fault: str) -> None:
    assert proc.returncode == -signal.SIGKILL, f"{fault}: exit {proc.returncode}\n{proc.stderr[-1500:]}"


def test_the_fault_list_names_every_stage_of_the_nightly():
    stages = re.findall(r'stage\(result, "([a-z ]+)"\)', inspect.getsource(nightly_module))
    assert len(stages) >= 14
    assert {f"after:{name}" for name in stages} <= set(ALL_FAULTS) | set(ALL_AFTER_MARKER)


@pytest.mark.slow
def test_killed_runs_reruns_force_and_backfills_publish_what_an_undisturbed_run_does(spark, tmp_path):
    landing, lake, reference = tmp_path / "landing", tmp_path / "lake", tmp_path / "reference"
    build_crash_landing(landing)
    # A first published day, so that the faults of the second have a published state to go back to;
    # the reference starts as a copy of it and then runs the second day undisturbed.
    first = nightly(landing, lake, date="2026-10-01")
    assert first.returncode == 0, first.stderr[-2000:]
    shutil.copytree(lake, reference)
    undisturbed = nightly(landing, reference)
    assert undisturbed.returncode == 0, undisturbed.stderr[-2000:]
    expected = published(spark, reference)

    # 1. A kill at each point of FAULTS, one after the other, then a clean rerun.
    for fault in FAULTS:
        killed(nightly(landing, lake, fault), fault)
    final = nightly(landing, lake)
    assert final.returncode == 0, final.stderr[-2000:]
    # The last kill came after every gold commit but before the run marker: the rerun rolled them back.
    assert "recovered: restored gold/" in final.stdout, final.stdout
    assert published(spark, lake) == expected

    # 2. Three reruns change nothing, not even a table version.
    versions = gold_versions(spark, lake)
    for _ in range(3):
        again = nightly(landing, lake)
        assert again.returncode == 0 and "already published" in again.stdout, again.stdout[-1500:]
    assert gold_versions(spark, lake) == versions

    # 3. --force recomputes the day exactly (new versions, same contents), and a kill after its marker
    # (or after the vacuum that follows) leaves that recomputed, published result in place.
    for fault in AFTER_MARKER:
        killed(nightly(landing, lake, fault, force=True), fault)
        assert published(spark, lake) == expected
    assert all(v > versions[n] for n, v in gold_versions(spark, lake).items())
    again = nightly(landing, lake)
    assert again.returncode == 0 and "already published" in again.stdout, again.stdout[-1500:]

    # 4. A backfill of both days killed half-way through the second, then started again: the first day
    # is skipped, the second recovered and finished, and the result is that of the undisturbed runs.
    backfilled = tmp_path / "backfill"
    backfill = ("backfill", "--start", "2026-10-01", "--end", DATE, "--landing", str(landing),
                "--lakehouse", str(backfilled))
    proc = cli(*backfill, fault=f"after:gold@{DATE}")
    killed(proc, f"after:gold@{DATE}")
    assert "run 2026-10-01-" in proc.stdout and f"run {DATE}-" not in proc.stdout
    restarted = cli(*backfill)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    assert "2026-10-01 already published, skipped" in restarted.stderr
    assert published(spark, backfilled) == expected
    # Once more: everything is published, nothing runs.
    versions = gold_versions(spark, backfilled)
    idle = cli(*backfill)
    assert idle.returncode == 0 and gold_versions(spark, backfilled) == versions, idle.stderr[-1500:]
