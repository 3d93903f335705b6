"""Crash safety: the nightly killed with SIGKILL after stages and in the middle of writes, then rerun.

This file kills one lakehouse at the points of KILLS_EARLY in turn; test_faults_replays.py kills another at
those of KILLS_LATE. `make test-crash` kills at all of FAULTS_EARLY and FAULTS_LATE (together: after every
stage and at every mid-write point); `make test` at one point of each kind (crash.CI_EARLY, CI_LATE).
Each killed run starts by recovering from the kill before it, and the final clean run must publish
exactly what an undisturbed run publishes.
"""
from __future__ import annotations

import pytest

from ipr_guard.pipelines import nightly as nightly_module
from tests.integration.crash import (AFTER_MARKER, ALL_FAULTS, CI_EARLY, CI_LATE, FAULTS_EARLY, FAULTS_LATE,
                                     KILLS_EARLY, gold_versions, kill_in_turn, killed, nightly, published,
                                     run_ok, undisturbed_lakes)


def test_the_fault_lists_name_every_stage_of_the_nightly_and_ci_kills_at_one_point_of_each_kind():
    stages = [step.name for step in nightly_module.STEPS]
    # Training and promotion are jobs of their own, not steps.
    assert len(stages) >= 13 and "train" not in stages
    assert {f"after:{name}" for name in stages} <= set(ALL_FAULTS) | set(AFTER_MARKER)
    assert sorted(FAULTS_EARLY + FAULTS_LATE) == sorted(ALL_FAULTS)
    # CI's chains are parts of the full ones, in their order, and each ends where the full one does
    # (the early chain before the first gold commit, the late one with every gold commit made).
    assert [f for f in FAULTS_EARLY if f in CI_EARLY] == list(CI_EARLY)
    assert [f for f in FAULTS_LATE if f in CI_LATE] == list(CI_LATE) and CI_LATE[-1] == FAULTS_LATE[-1]


@pytest.mark.slow
def test_early_kills_reruns_and_a_forced_run_publish_what_an_undisturbed_run_does(
        spark, tmp_path, tmp_path_factory):
    landing, first_day, reference = undisturbed_lakes(tmp_path_factory)
    lake = tmp_path / "lake"
    kill_in_turn(landing, first_day, lake, KILLS_EARLY)
    final = run_ok(nightly(landing, lake))
    # No kill of this chain came after a gold commit: nothing to roll back.
    assert "recovered:" not in final.stdout, final.stdout
    expected = published(spark, reference)
    assert published(spark, lake) == expected

    # A rerun changes nothing, not even a table version (a second one would only pay its start-up again:
    # it finds the same marker).
    versions = gold_versions(spark, lake)
    again = run_ok(nightly(landing, lake))
    assert "already published" in again.stdout, again.stdout[-1500:]
    assert gold_versions(spark, lake) == versions

    # --force recomputes the day exactly (new versions, same contents), and a kill after its vacuum
    # leaves that recomputed, published result in place.
    after_vacuum = AFTER_MARKER[1]
    killed(nightly(landing, lake, after_vacuum, force=True), after_vacuum)
    assert published(spark, lake) == expected
    assert all(v > versions[n] for n, v in gold_versions(spark, lake).items())
