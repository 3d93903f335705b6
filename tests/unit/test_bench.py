"""The benchmark's arithmetic: the cost fit and the event-log breakdown, on hand-built inputs."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from eventlog import stage_breakdown  # noqa: E402
from scaling import fit  # noqa: E402


def test_fit_recovers_fixed_and_per_row_cost():
    fixed, per_row = fit([(1_000, 4.0 + 1_000 * 2e-6), (2_000, 4.0 + 2_000 * 2e-6), (4_000, 4.0 + 4_000 * 2e-6)])
    assert fixed == pytest.approx(4.0) and per_row == pytest.approx(2e-6)


def _ms(hms: str) -> int:
    import datetime as dt
    h, m, s = (int(x) for x in hms.split(":"))
    return int(dt.datetime(2026, 11, 29, h, m, s).timestamp() * 1000)


def test_jobs_are_attributed_to_the_stage_running_when_submitted(tmp_path):
    events = [
        {"Event": "SparkListenerJobStart", "Job ID": 0, "Submission Time": _ms("10:00:01"), "Stage IDs": [0]},
        {"Event": "SparkListenerTaskEnd", "Stage ID": 0, "Task Metrics": {"Result Size": 2048}},
        {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": _ms("10:00:03")},
        # Two overlapping jobs in "features": busy 10:00:05-10:00:09 counts 4 s, not 6.
        {"Event": "SparkListenerJobStart", "Job ID": 1, "Submission Time": _ms("10:00:05"), "Stage IDs": [1, 2]},
        {"Event": "SparkListenerJobStart", "Job ID": 2, "Submission Time": _ms("10:00:06"), "Stage IDs": []},
        {"Event": "SparkListenerTaskEnd", "Stage ID": 1, "Task Metrics": {"Result Size": 999_999}},  # a map stage
        {"Event": "SparkListenerTaskEnd", "Stage ID": 2, "Task Metrics": {"Result Size": 10_240}},
        {"Event": "SparkListenerTaskEnd", "Stage ID": 2, "Task Metrics": {"Result Size": 10_240}},
        {"Event": "SparkListenerJobEnd", "Job ID": 2, "Completion Time": _ms("10:00:07")},
        {"Event": "SparkListenerJobEnd", "Job ID": 1, "Completion Time": _ms("10:00:09")},
    ]
    app = tmp_path / "eventlog_v2_local-1"
    app.mkdir()
    (app / "events_1_local-1").write_text("".join(json.dumps(e) + "\n" for e in events))
    log = ("10:00:00 INFO [2026-11-28] ingest ...\n10:00:04 INFO [2026-11-28] ingest done in 4.0s\n"
           "10:00:05 INFO [2026-11-28] features ...\n10:00:10 INFO [2026-11-28] features done in 5.0s\n")
    got = stage_breakdown(app, log)
    assert got["jobs"] == 3
    assert got["stages"]["ingest"] == {"jobs": 1, "busy_s": 2.0, "wall_s": 4.0, "driver_gap_s": 2.0,
                                       "largest_result_kb": 2.0}
    assert got["stages"]["features"] == {"jobs": 2, "busy_s": 4.0, "wall_s": 5.0, "driver_gap_s": 1.0,
                                         "largest_result_kb": 20.0}
    assert (got["largest_driver_result_kb"], got["largest_result_stage"]) == (20.0, "features")
