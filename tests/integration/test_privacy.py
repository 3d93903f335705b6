"""No raw personal data in anything a run writes: tables, quarantine, logs, reports."""
from __future__ import annotations


import pytest

from ipr_guard.generate.marketplace import generate_marketplace
from ipr_guard.pipelines import nightly
from tests.pii_scan import find_raw_values, raw_pii_values


@pytest.mark.slow
def test_no_raw_pii_in_any_file_the_run_wrote(spark, cfg, tmp_path, hmac_key):
    summary = generate_marketplace(tmp_path / "market", stores=60, days=8, seed=11)
    landing, lake = tmp_path / "market" / "landing", tmp_path / "lake"
    result = nightly.run(spark, cfg.with_paths(str(landing), str(lake)), summary.end_date)
    assert result.status == "published"
    assert sum(c["quarantined"] for c in result.accounting.values()) > 0  # bad records were written too
    values = raw_pii_values(landing)
    assert len(values) > 200  # the scan looks for something real
    written = [p for p in lake.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written) and any(p.name.endswith(".csv") for p in written)
    assert find_raw_values(lake, values | {hmac_key}) == []


def test_the_scan_finds_a_planted_value(tmp_path):
    (tmp_path / "leak.txt").write_text("… contact +86 13800000000 …", encoding="utf-8")
    assert find_raw_values(tmp_path, {"+86 13800000000"}) == [(str(tmp_path / "leak.txt"), "+86 13800000000")]
