"""A backfill killed half-way and started again, the late kill points (KILLS_LATE) and the two after the
run marker: each ends with what undisturbed runs publish. (The early kill points, reruns and `--force`:
test_faults.py.)"""
from __future__ import annotations

import pytest

from tests.integration.crash import (AFTER_MARKER, DATE, FIRST, KILLS_LATE, cli, crash_landing,
                                     kill_in_turn, killed, nightly, published, run_ok, undisturbed_lakes)


@pytest.mark.slow
def test_an_interrupted_backfill_and_late_kills_publish_what_undisturbed_runs_do(
        spark, tmp_path, tmp_path_factory):
    # A backfill of both days killed half-way through the second, then started again: the first day
    # is skipped, the second recovered and finished. It needs only the landing, so it comes first,
    # while test_faults.py builds the shared undisturbed lakehouses.
    landing, backfilled = crash_landing(tmp_path_factory), tmp_path / "backfill"
    backfill = ("backfill", "--start", FIRST, "--end", DATE, "--landing", str(landing),
                "--lakehouse", str(backfilled))
    proc = cli(*backfill, fault=f"after:gold@{DATE}")
    killed(proc, f"after:gold@{DATE}")
    assert f"run {FIRST}-" in proc.stdout and f"run {DATE}-" not in proc.stdout
    restarted = run_ok(cli(*backfill))
    assert f"{FIRST} already published, skipped" in restarted.stderr

    landing, first_day, reference = undisturbed_lakes(tmp_path_factory)
    expected = published(spark, reference)
    assert published(spark, backfilled) == expected
    # (A backfill over published days only skips them, as the restart skipped the first; a rerun of a
    # published day changing nothing is test_faults.py's.)

    # Kills at KILLS_LATE (in CI: in the middle of the silver writes, between two gold commits and after
    # the last one). The next run rolls back the last one's gold commits, publishes, and is killed after
    # writing its run marker: what it published stays.
    lake = tmp_path / "lake"
    kill_in_turn(landing, first_day, lake, KILLS_LATE)
    after_marker = AFTER_MARKER[0]
    proc = nightly(landing, lake, after_marker)
    killed(proc, after_marker)
    assert "restored gold/" in proc.stderr, proc.stderr[-3000:]
    assert published(spark, lake) == expected
