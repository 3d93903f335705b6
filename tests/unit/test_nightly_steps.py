"""The nightly's declared step list: its order, what each step writes, and the timing of a failed step."""
from __future__ import annotations

import datetime as dt

import pytest

from ipr_guard.catalog import load_catalog
from ipr_guard.pipelines import nightly


def test_the_steps_run_in_the_order_the_data_flows():
    assert [s.name for s in nightly.STEPS] == [
        "recover", "discover", "ingest", "quarantine", "validate silver", "silver", "privacy",
        "features", "gold", "drift", "validate gold", "publish", "vacuum"]


def test_every_table_a_step_writes_is_in_the_catalog_and_the_marker_comes_last():
    catalog = load_catalog()
    for step in nightly.STEPS:
        for ref in step.writes:
            layer, _, name = ref.partition("/")
            assert (catalog.layer(layer) if name == "*" else catalog.entry(ref)), (step.name, ref)
    publish = next(s for s in nightly.STEPS if s.name == "publish")
    assert publish.writes[-1] == "meta/runs"
    # Nothing after publish writes a table under the run marker.
    after = nightly.STEPS[[s.name for s in nightly.STEPS].index("publish") + 1:]
    marked = {e.ref for e in catalog.run_marked()}
    assert not [r for s in after for r in s.writes if r in marked or r == "gold/*"]


def test_a_failed_step_records_its_time_and_skips_its_fault_point(monkeypatch):
    # Were the after: point reached, this process would be killed.
    monkeypatch.setenv("IPR_GUARD_FAULT", "after:ingest")
    result = nightly.RunResult("r1", dt.date(2026, 10, 2), "running")
    with pytest.raises(RuntimeError, match="feed unreadable"):
        with nightly.stage(result, "ingest"):
            raise RuntimeError("feed unreadable")
    assert list(result.stage_seconds) == ["ingest"] and result.stage_seconds["ingest"] >= 0


def test_accounting_that_does_not_balance_stops_the_run_before_publishing():
    nightly.check_accounting({"orders": {"rows_read": 5, "accepted": 3, "quarantined": 1, "duplicates": 1}})
    with pytest.raises(AssertionError, match="accounting does not balance for orders"):
        nightly.check_accounting({"orders": {"rows_read": 5, "accepted": 3, "quarantined": 1, "duplicates": 0}})
