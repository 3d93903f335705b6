"""What the crash tests share: the tiny two-day landing, the kill points, running the CLI, reading gold.

Two files that two pytest workers run side by side: test_faults.py kills one lakehouse at the points of
KILLS_EARLY, and test_faults_replays.py kills another at KILLS_LATE and at both AFTER_MARKER points (the
second in a `--force` run), and a backfill half-way through. `make test` kills at one point of each kind
(CI_EARLY, CI_LATE); `make test-crash` at every stage boundary and mid-write point (FAULTS_EARLY,
FAULTS_LATE). Both start from one first day and compare with one undisturbed second day,
built once per session by whichever file asks first (`undisturbed_lakes`).
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pipelines.recovery import gold_tables
from tests.conftest import TEST_KEY
from tests.landing import build_landing

FIRST, DATE = "2026-10-01", "2026-10-02"
# Every stage boundary of the nightly in order (test_faults checks this list against nightly.py), with
# the mid-write points among them: 1 s into the silver writes, and between publish's commits (the drift
# rows first, then each gold table, then the ingest log, then the run marker). The last one leaves every
# gold commit made but no marker. After the marker (after:publish, after:vacuum) the run counts as
# published and a kill there must leave the published result in place.
ALL_FAULTS = ("after:recover", "after:discover", "after:ingest", "after:quarantine", "after:validate silver",
              "during:silver:1.0", "after:silver", "after:privacy", "after:features",
              "after:gold", "after:drift", "after:validate gold", "publish:drift", "publish:closure_candidates",
              "publish:ingest_log")
AFTER_MARKER = ("after:publish", "after:vacuum")
# Two chains of kills, one per file, each on its own copy of the first day, split so that the two files
# cost about the same: test_faults.py also builds the shared lakehouses, test_faults_replays.py also
# runs the backfill, the reruns and a forced run. FAULTS_LATE ends between gold commits, so the run after
# it must roll back; FAULTS_EARLY ends before the first gold commit (publish:drift writes drift rows only
# with a champion, which the tiny marketplace never has), so its rerun has nothing to roll back.
FAULTS_LATE = ("during:silver:1.0", "after:gold", "after:validate gold", "publish:closure_candidates",
               "publish:ingest_log")
FAULTS_EARLY = tuple(f for f in ALL_FAULTS if f not in FAULTS_LATE)
# `make test` kills at one point of each state a kill can leave (quarantine written, silver not; silver
# part-written; silver written, gold not; some gold commits; every gold commit but no marker), and at
# the after-marker points always: every kill costs a nightly's start-up again, and 18 of them
# were half of CI's time on 2 cores. `make test-crash` (IPR_GUARD_EVERY_KILL=1) kills at every point.
EVERY_KILL = os.environ.get("IPR_GUARD_EVERY_KILL") == "1"
CI_EARLY = ("after:quarantine", "after:silver")
CI_LATE = ("during:silver:1.0", "publish:closure_candidates", "publish:ingest_log")
KILLS_EARLY = FAULTS_EARLY if EVERY_KILL else CI_EARLY
KILLS_LATE = FAULTS_LATE if EVERY_KILL else CI_LATE
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
    """Every gold table's rows (sorted by key; duplicate keys fail) and the second day's CSV bytes."""
    out = {}
    for name in gold_tables():
        df = delta.read(spark, catalog.table_path(str(lake), f"gold/{name}"))
        assert df.groupBy(*KEYS[name]).count().where(F.col("count") > 1).count() == 0, f"duplicate keys in {name}"
        out[name] = sorted(df.collect(), key=lambda r: tuple(str(r[k]) for k in KEYS[name]))
    out["csv"] = (lake / "reports" / DATE / "closure_candidates.csv").read_bytes()
    return out


def gold_versions(spark, lake: Path) -> dict[str, int]:
    return {n: delta.version(spark, catalog.table_path(str(lake), f"gold/{n}")) for n in gold_tables()}


def build_crash_landing(landing: Path) -> None:
    """The tiny marketplace, with three of its five tables delivered on the second day (the daily
    feeds listings and orders, and takedowns): every stage still has work, and each killed run is
    cheaper than with all five."""
    build_landing(landing)
    for table in ("complaints", "test_buys"):
        shutil.rmtree(landing / table / f"ingest_date={DATE}")


def run_ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def killed(proc: subprocess.CompletedProcess, fault: str) -> None:
    assert proc.returncode == -signal.SIGKILL, f"{fault}: exit {proc.returncode}\n{proc.stderr[-1500:]}"


def _shared_root(tmp_path_factory) -> Path:
    """A folder all xdist workers of this session see (the parent of their temp folders); without
    xdist, this session's own temp folder."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "crash-shared"
    root.mkdir(exist_ok=True)
    return root


@contextmanager
def _exclusive(lock: Path):
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes, also if the holder dies
        yield


def _build_once(root: Path, name: str, build) -> Path:
    """root/name, built by `build(folder)` under a lock by the first worker that asks, then only read."""
    folder, done = root / name, root / f".{name}.done"
    with _exclusive(root / f".{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # left by a worker that died half-way
            build(folder)
            done.touch()
    return folder


def crash_landing(tmp_path_factory) -> Path:
    """The tiny two-day landing, built once per session across workers."""
    return _build_once(_shared_root(tmp_path_factory), "landing", build_crash_landing)


def undisturbed_lakes(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(landing, first_day, reference), built once per session across workers and only read after.

    first_day has FIRST published; reference is a copy of it that then published DATE undisturbed.
    Tests kill and rerun copies of these, never these folders themselves.
    """
    root, landing = _shared_root(tmp_path_factory), crash_landing(tmp_path_factory)
    first_day = _build_once(root, "first_day", lambda lake: run_ok(nightly(landing, lake, date=FIRST)))

    def second_day(lake: Path) -> None:
        shutil.copytree(first_day, lake)
        run_ok(nightly(landing, lake))
    return landing, first_day, _build_once(root, "reference", second_day)


def kill_in_turn(landing: Path, first_day: Path, lake: Path, faults: tuple[str, ...]) -> None:
    """Copies first_day to lake and kills DATE's nightly there at each fault in turn (each killed run
    starts by recovering from the one before)."""
    shutil.copytree(first_day, lake)
    for fault in faults:
        killed(nightly(landing, lake, fault), fault)
