"""The README's demo, as a user runs it: the real command line, then the contract's own checker on its output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract_check import check_outputs
from tests.pii_scan import find_raw_values, raw_pii_values


@pytest.mark.slow
def test_demo_publishes_outputs_that_pass_the_contract_check(tmp_path):
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_HMAC_KEY"}
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
    # No raw personal data anywhere the run wrote, nor in what it printed.
    values = raw_pii_values(out / "landing")
    assert find_raw_values(lake, values) == []
    printed = proc.stdout + proc.stderr
    assert not [v for v in values if v in printed]
    key = Path("~/.config/ipr-guard/demo-hmac.key").expanduser().read_text().strip()
    assert key not in printed and find_raw_values(lake, {key}) == []
