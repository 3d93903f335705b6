"""Crash safety: the nightly killed with SIGKILL after stages and in the middle of writes, then rerun.

One lakehouse goes through every fault of FAULTS in turn (five points in CI, every stage boundary with
IPR_GUARD_CRASH_TEST=all); each killed run starts by recovering from the kill before it, and the
final clean run must publish exactly what an undisturbed run publishes. Reruns, `--force`
and backfills: test_faults_replays.py.
"""
from __future__ import annotations

import inspect
import re
import shutil

import pytest

from ipr_guard.pipelines import nightly as nightly_module
from tests.integration.crash import (ALL_AFTER_MARKER, ALL_FAULTS, FAULTS, FIRST, build_crash_landing, killed,
                                     nightly, published, run_ok)


def test_the_fault_list_names_every_stage_of_the_nightly():
    stages = re.findall(r'stage\(result, "([a-z ]+)"\)', inspect.getsource(nightly_module))
    assert len(stages) >= 14
    assert {f"after:{name}" for name in stages} <= set(ALL_FAULTS) | set(ALL_AFTER_MARKER)


@pytest.mark.slow
def test_a_run_killed_at_every_stage_then_rerun_publishes_what_an_undisturbed_run_does(spark, tmp_path):
    landing, lake, reference = tmp_path / "landing", tmp_path / "lake", tmp_path / "reference"
    build_crash_landing(landing)
    # A first published day, so that the faults of the second have a published state to go back to;
    # the reference starts as a copy of it and then runs the second day undisturbed.
    run_ok(nightly(landing, lake, date=FIRST))
    shutil.copytree(lake, reference)
    run_ok(nightly(landing, reference))
    expected = published(spark, reference)

    for fault in FAULTS:
        killed(nightly(landing, lake, fault), fault)
    final = run_ok(nightly(landing, lake))
    # The last kill came after every gold commit but before the run marker: the rerun rolled them back.
    assert "recovered: restored gold/" in final.stdout, final.stdout
    assert published(spark, lake) == expected
