"""Fail points for crash tests: the process kills itself with SIGKILL where the environment says.

`IPR_GUARD_FAULT` names one point, e.g. ``after:ingest`` (a stage boundary), ``publish:closure_candidates``
(right after that gold table's commit) or ``during:silver:1.5`` (1.5 s into the silver stage, in the
middle of its writes). A point may name a run date, ``after:gold@2026-10-02``, to kill one day of a backfill. Unset, as in every real run, the points cost one dictionary lookup. SIGKILL is
what a lost executor host, the OOM killer or `kill -9` of a scheduler does: no handler, no cleanup.
"""
from __future__ import annotations

import os
import signal
import threading

ENV = "IPR_GUARD_FAULT"


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fault_point(name: str, run_date: object = None) -> None:
    """Kills the process here if `IPR_GUARD_FAULT` names this point (and, with ``@DATE``, this run date)."""
    spec = os.environ.get(ENV)
    if spec is not None and (spec == name or (run_date is not None and spec == f"{name}@{run_date}")):
        _kill()


def arm_during(stage: str) -> threading.Timer | None:
    """Starts a timer that kills the process N seconds into `stage` for ``during:<stage>:<N>``."""
    spec = os.environ.get(ENV, "")
    prefix = f"during:{stage}:"
    if not spec.startswith(prefix):
        return None
    timer = threading.Timer(float(spec[len(prefix):]), _kill)
    timer.daemon = True
    timer.start()
    return timer
