"""The README's demo, as a user runs it: the real command line, then the contract's own checker on its output."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard.io import delta
from ipr_guard.reports import CSV_COLUMNS
from tests.contract_check import check_outputs
from tests.integration.test_report_browser import ARTIFACTS, open_report
from tests.pii_scan import find_raw_values, raw_pii_values


def assert_reviewer_files(spark, lake: Path, stdout: str, tmp_path: Path) -> None:
    """The demo's reports/D: the CSV (BOM, header, a row per candidate) and the report in a real Chromium."""
    (folder,) = [p for p in (lake / "reports").iterdir() if p.is_dir() and not p.name.startswith("kpis_")]
    day = dt.date.fromisoformat(folder.name)
    assert f"review list: {folder / 'closure_candidates.csv'}" in stdout and f"report:      {folder / 'report.html'}" in stdout
    published = delta.read(spark, delta.table_path(str(lake), "gold", "closure_candidates")).where(
        F.col("run_date") == F.lit(day)).select("merchant_id", "rank").toPandas().sort_values("rank")
    assert len(published) > 0
    data = (folder / "closure_candidates.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [r[1] for r in rows[1:]] == list(published["merchant_id"])
    seen = open_report(folder / "report.html", tmp_path / "demo_report.png")
    assert seen["errors"] == [] and seen["blank_charts"] == 0 and seen["charts"] >= 6
    assert seen["rows"] == seen["cards"] == len(published)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "demo_report.png", ARTIFACTS / "report_demo.png")


@pytest.mark.slow
def test_demo_publishes_outputs_that_pass_the_contract_check(tmp_path, spark):
    out = tmp_path / "demo"
    # The demo trains on 400 stores: 3 GB rather than the tests' 2 GB (see conftest).
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_HMAC_KEY"} | {
        "PYSPARK_SUBMIT_ARGS": "--driver-memory 3g pyspark-shell"}
    proc = subprocess.run([sys.executable, "-m", "ipr_guard.cli", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "published closure_candidates" in proc.stdout and "demo finished in" in proc.stdout
    # A fresh lakehouse trains, registers and promotes its first champion, which scores the night.
    assert "training: model ipr_guard_counterfeit_seller v1 is champion" in proc.stdout, proc.stdout[-3000:]
    assert "scored by: ipr_guard_counterfeit_seller v1" in proc.stdout
    lake = out / "lakehouse"
    code, output = check_outputs(str(lake))
    assert code == 0 and "0 finding(s)" in output, output
    assert (lake / "reports").is_dir() and any((lake / "reports").glob("*/data_docs/index.html"))
    assert_reviewer_files(spark, lake, proc.stdout, tmp_path)
    # No raw personal data anywhere the run wrote, nor in what it printed; the scan covers quarantined
    # records too (the demo's landing has bad ones) and looks for something real.
    assert delta.read(spark, delta.table_path(str(lake), "quarantine", "records")).count() > 0
    values = raw_pii_values(out / "landing")
    assert len(values) > 200
    # Everything the demo wrote besides its input (landing) and the generator's answer key (truth): the
    # lakehouse with its MLflow store, reports and logs, and any file it put beside them.
    written = [p for p in out.iterdir() if p.name not in ("landing", "truth")]
    assert lake in written
    assert [hit for p in written for hit in (find_raw_values(p, values) if p.is_dir() else [])] == []
    printed = proc.stdout + proc.stderr
    assert not [v for v in values if v in printed]
    key = Path("~/.config/ipr-guard/demo-hmac.key").expanduser().read_text().strip()
    assert key not in printed and find_raw_values(lake, {key}) == []
