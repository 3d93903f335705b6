"""Two runs started together on one lakehouse. (Reruns and --force: test_faults.py.)"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.pipelines.recovery import gold_tables
from tests.conftest import TEST_KEY
from tests.integration.crash import KEYS
from tests.landing import D2, build_landing


@pytest.mark.slow
def test_two_runs_started_together_publish_once(spark, tmp_path):
    build_landing(tmp_path / "landing")
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_FAULT"} | {"IPR_GUARD_HMAC_KEY": TEST_KEY}
    cmd = [sys.executable, "-m", "ipr_guard.cli", "nightly", "--date", str(D2), "--landing",
           str(tmp_path / "landing"), "--lakehouse", str(tmp_path / "lake")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in results)
    outcomes = sorted(("published" if "published closure_candidates" in out else
                       "already" if "already published" in out else
                       "busy" if "is working on this lakehouse" in err else f"other: {err[-500:]}")
                      for _, out, err in results)
    # Either the second found the lock taken (exit 2, one line), or it started after the first had
    # finished and found nothing to do; never two publications.
    assert outcomes in (["busy", "published"], ["already", "published"]), outcomes
    assert codes in ([0, 2], [0, 0])
    runs = delta.read(spark, catalog.table_path(str(tmp_path / "lake"), "meta/runs"))
    assert runs.where((F.col("status") == "published") & (F.col("run_date") == D2)).count() == 1
    for name in gold_tables():
        df = delta.read(spark, catalog.table_path(str(tmp_path / "lake"), f"gold/{name}"))
        assert df.groupBy(*KEYS[name]).count().where(F.col("count") > 1).count() == 0
