"""Where a nightly's time goes, from Spark's event log (uncompressed JSON lines) and the run's own log.

The run logs each stage's start ("HH:MM:SS INFO [D] <stage> ..."); every Spark job is attributed to the
stage running when it was submitted. Per stage: jobs, the time some job was running ("busy", overlaps
counted once), the rest of the stage's wall time ("driver gap": Python and JVM driver work, Delta log
reads, Great Expectations, planning), and the largest result a single job returned to the driver.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

STAGE_START = re.compile(r"^(\d\d:\d\d:\d\d) INFO \[[\d-]+\] (.+?) \.\.\.$")
STAGE_DONE = re.compile(r"^(\d\d:\d\d:\d\d) INFO \[[\d-]+\] (.+?) done in ([\d.]+)s$")


def _events(app: Path):
    for f in sorted(app.glob("events_*"), key=lambda p: int(p.name.split("_")[1])):
        with f.open() as fh:
            for line in fh:
                yield json.loads(line)


def _seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def stage_breakdown(app: Path, run_log: str) -> dict:
    """Jobs, busy seconds, driver-gap seconds and largest driver result per nightly stage.

    Args:
        app: one application's event-log folder (Spark's rolling `eventlog_v2_*` layout).
        run_log: the nightly's stderr (its stage start lines and "done in" durations).

    Returns:
        {"stages": {name: {...}}, "jobs": total, "largest_driver_result_kb": ..., "largest_result_stage": ...}
    """
    starts = [(_seconds(m.group(1)), m.group(2)) for m in map(STAGE_START.match, run_log.splitlines()) if m]
    walls = {m.group(2): float(m.group(3)) for m in map(STAGE_DONE.match, run_log.splitlines()) if m}
    jobs: dict[int, dict] = {}
    result_stage: dict[int, int] = {}
    result_bytes: dict[int, int] = {}
    for e in _events(app):
        kind = e["Event"]
        if kind == "SparkListenerJobStart":
            jobs[e["Job ID"]] = {"start": e["Submission Time"], "end": None}
            if e["Stage IDs"]:
                result_stage[max(e["Stage IDs"])] = e["Job ID"]
        elif kind == "SparkListenerJobEnd":
            jobs[e["Job ID"]]["end"] = e["Completion Time"]
        elif kind == "SparkListenerTaskEnd" and e["Stage ID"] in result_stage:
            job = result_stage[e["Stage ID"]]
            result_bytes[job] = result_bytes.get(job, 0) + (e.get("Task Metrics") or {}).get("Result Size", 0)

    def stage_of(ms: int) -> str:
        t = dt.datetime.fromtimestamp(ms / 1000)
        sec = t.hour * 3600 + t.minute * 60 + t.second
        name = "start-up"
        for start, stage in starts:
            if sec >= start:
                name = stage
        return name

    per: dict[str, dict] = {}
    for job_id, j in sorted(jobs.items()):
        s = per.setdefault(stage_of(j["start"]), {"jobs": 0, "spans": [], "largest_result_kb": 0.0})
        s["jobs"] += 1
        if j["end"]:
            s["spans"].append((j["start"], j["end"]))
        s["largest_result_kb"] = max(s["largest_result_kb"], result_bytes.get(job_id, 0) / 1024)
    out = {}
    for name, s in per.items():
        busy, last = 0.0, 0
        for a, b in sorted(s["spans"]):
            a = max(a, last)
            if b > a:
                busy += (b - a) / 1000
                last = b
        wall = walls.get(name)
        out[name] = {"jobs": s["jobs"], "busy_s": round(busy, 2), "wall_s": wall,
                     "driver_gap_s": round(wall - busy, 2) if wall is not None else None,
                     "largest_result_kb": round(s["largest_result_kb"], 1)}
    largest = max(out.items(), key=lambda kv: kv[1]["largest_result_kb"], default=("", {"largest_result_kb": 0}))
    return {"stages": out, "jobs": len(jobs), "largest_driver_result_kb": largest[1]["largest_result_kb"],
            "largest_result_stage": largest[0]}
