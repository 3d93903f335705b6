"""The leak scanner itself. The scan of everything a demo-sized run writes is in test_demo.py, on the
demo's own output (its lakehouse with quarantine, MLflow store, reports and logs, and what it printed)."""
from __future__ import annotations

from tests.pii_scan import find_raw_values


def test_the_scan_finds_a_planted_value(tmp_path):
    (tmp_path / "leak.txt").write_text("… contact +86 13800000000 …", encoding="utf-8")
    assert find_raw_values(tmp_path, {"+86 13800000000"}) == [(str(tmp_path / "leak.txt"), "+86 13800000000")]
