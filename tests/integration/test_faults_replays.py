"""Reruns, `--force` killed after its marker, and a backfill killed half-way and started again: each
ends with what undisturbed runs publish. (Kills at every stage boundary: test_faults.py.)"""
from __future__ import annotations


import pytest

from tests.integration.crash import (AFTER_MARKER, DATE, FIRST, build_crash_landing, cli, gold_versions, killed,
                                     nightly, published, run_ok)


@pytest.mark.slow
def test_reruns_force_and_an_interrupted_backfill_publish_what_undisturbed_runs_do(spark, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    build_crash_landing(landing)
    run_ok(nightly(landing, lake, date=FIRST))
    run_ok(nightly(landing, lake))
    expected = published(spark, lake)

    # Three reruns change nothing, not even a table version.
    versions = gold_versions(spark, lake)
    for _ in range(3):
        again = run_ok(nightly(landing, lake))
        assert "already published" in again.stdout, again.stdout[-1500:]
    assert gold_versions(spark, lake) == versions

    # --force recomputes the day exactly (new versions, same contents), and a kill after its marker
    # (or after the vacuum that follows) leaves that recomputed, published result in place.
    for fault in AFTER_MARKER:
        killed(nightly(landing, lake, fault, force=True), fault)
        assert published(spark, lake) == expected
    assert all(v > versions[n] for n, v in gold_versions(spark, lake).items())

    # A backfill of both days killed half-way through the second, then started again: the first day
    # is skipped, the second recovered and finished, and the result is that of the undisturbed runs.
    backfilled = tmp_path / "backfill"
    backfill = ("backfill", "--start", FIRST, "--end", DATE, "--landing", str(landing),
                "--lakehouse", str(backfilled))
    proc = cli(*backfill, fault=f"after:gold@{DATE}")
    killed(proc, f"after:gold@{DATE}")
    assert f"run {FIRST}-" in proc.stdout and f"run {DATE}-" not in proc.stdout
    restarted = run_ok(cli(*backfill))
    assert f"{FIRST} already published, skipped" in restarted.stderr
    assert published(spark, backfilled) == expected
    # Once more: everything is published, nothing runs.
    versions = gold_versions(spark, backfilled)
    idle = run_ok(cli(*backfill))
    assert gold_versions(spark, backfilled) == versions, idle.stderr[-1500:]
