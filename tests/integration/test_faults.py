"""Crash safety: the nightly killed with SIGKILL after stages and in the middle of writes, then rerun.

This file kills one lakehouse at the eleven points of FAULTS_EARLY in turn; test_faults_replays.py kills
another at the five points of FAULTS_LATE (together: after every stage and at every mid-write point).
Each killed run starts by recovering from the kill before it, and the final clean run must publish
exactly what an undisturbed run publishes.
"""
from __future__ import annotations

import inspect
import re

import pytest

from ipr_guard.pipelines import nightly as nightly_module
from tests.integration.crash import (AFTER_MARKER, ALL_FAULTS, FAULTS_EARLY, FAULTS_LATE,
                                     kill_in_turn, nightly, published, run_ok, undisturbed_lakes)


def test_the_fault_lists_name_every_stage_of_the_nightly_and_ci_kills_at_all_of_them():
    stages = re.findall(r'stage\(result, "([a-z ]+)"\)', inspect.getsource(nightly_module))
    assert len(stages) >= 14
    assert {f"after:{name}" for name in stages} <= set(ALL_FAULTS) | set(AFTER_MARKER)
    assert sorted(FAULTS_EARLY + FAULTS_LATE) == sorted(ALL_FAULTS)


@pytest.mark.slow
def test_a_run_killed_at_every_early_point_then_rerun_publishes_what_an_undisturbed_run_does(
        spark, tmp_path, tmp_path_factory):
    landing, first_day, reference = undisturbed_lakes(tmp_path_factory)
    kill_in_turn(landing, first_day, tmp_path / "lake", FAULTS_EARLY)
    final = run_ok(nightly(landing, tmp_path / "lake"))
    # No kill of this chain came after a gold commit: nothing to roll back.
    assert "recovered:" not in final.stdout, final.stdout
    assert published(spark, tmp_path / "lake") == published(spark, reference)
