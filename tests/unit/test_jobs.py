"""The spark-submit entry points in jobs/: each hands its arguments to one `ipr-guard` command."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

JOBS = Path(__file__).resolve().parents[2] / "jobs"


@pytest.mark.parametrize("job, command", [("nightly", "nightly"), ("backfill", "backfill"), ("train", "train"), ("promote", "promote"),
                                          ("maintain", "maintain"), ("networks", "networks")])
def test_each_job_runs_its_command(job, command):
    # --help parses the command's arguments and exits before any Spark session is built.
    out = subprocess.run([sys.executable, str(JOBS / f"{job}.py"), "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith(f"usage: ipr-guard {command} "), out.stdout[:300]


def test_every_job_file_is_tested_here():
    assert sorted(p.stem for p in JOBS.glob("*.py")) == ["backfill", "maintain", "networks", "nightly", "promote",
                                                             "train"]
