"""Tables read and written a few at a time: results keep the tables' order, and a failure is raised."""
from __future__ import annotations

import threading
import time

import pytest

from ipr_guard.config import load_config
from ipr_guard.errors import UsageError
from ipr_guard.pipelines.ingest import per_table


def test_results_come_back_in_the_order_of_the_tables_whatever_finishes_first():
    delays = {"orders": 0.3, "listings": 0.0, "merchants": 0.1}

    def work(name: str) -> str:
        time.sleep(delays[name])
        return name.upper()

    assert per_table(work, ["orders", "listings", "merchants"], 2) == ["ORDERS", "LISTINGS", "MERCHANTS"]


def test_at_most_parallel_tables_run_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return i

    assert per_table(work, list(range(6)), 2) == list(range(6))
    assert peak[0] == 2
    assert per_table(work, [], 2) == []


def test_a_failing_table_raises_its_error():
    def work(name: str) -> str:
        if name == "listings":
            raise ValueError("listings: broken")
        return name

    with pytest.raises(ValueError, match="listings: broken"):
        per_table(work, ["orders", "listings", "merchants"], 2)


def test_parallel_tables_comes_from_conf_and_is_checked():
    assert load_config("local").ingest.parallel_tables == 2
    assert load_config("local", ["ingest.parallel_tables=1"]).ingest.parallel_tables == 1
    with pytest.raises(UsageError, match=r"ingest.parallel_tables=0 is outside \[1, 16\]"):
        load_config("local", ["ingest.parallel_tables=0"])
