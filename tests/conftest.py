"""One Spark session for the whole test run: local[2], small shuffles, UI off, UTC, Delta configured."""
from __future__ import annotations

import os

import pytest

from ipr_guard.config import load_config
from ipr_guard.session import build_spark_session

TEST_KEY = "test-hmac-key-0123456789abcdef"



@pytest.fixture(scope="session")
def cfg():
    """The embedded default configuration, as a run would load it."""
    return load_config("local")


@pytest.fixture(scope="session")
def spark(cfg):
    session = build_spark_session(cfg.spark, {
        "spark.master": "local[2]",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": "3g",
    })
    # Every nightly the tests run as a subprocess gets a 2 GB heap (set here, after this process's JVM
    # has started with 3 GB): conf/local gives a run 6 GB, and two pytest workers, each with a nightly or
    # two in subprocesses, would ask for more than the machine has (the kernel's OOM killer then ends one
    # worker's JVM). Spark's own mechanism: `--driver-memory` wins over the conf's spark.driver.memory.
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 2g pyspark-shell")
    yield session
    session.stop()


@pytest.fixture()
def hmac_key(monkeypatch):
    monkeypatch.setenv("IPR_GUARD_HMAC_KEY", TEST_KEY)
    return TEST_KEY


# The two longest files start first, one on each worker. xdist (`--dist loadfile`) gives a worker its next
# file while its current one still has two or fewer tests to go, so the file third in line waits on the
# first worker behind the longest file: a quick one with more than two tests, so that nothing else is
# queued there.
LEADING_FILES = ("integration/test_faults.py", "integration/test_faults_replays.py", "unit/test_bench.py")


# A marker per kind of test, from where it lives and what it drives (pytest.ini lists them): `-m unit`
# runs the transforms on hand-built frames in seconds; `-m "integration and not crash"` skips the kills.
KIND_OF_FILE = {"integration/test_faults.py": "crash", "integration/test_faults_replays.py": "crash",
                "integration/test_demo.py": "browser", "integration/test_report_browser.py": "browser"}


def pytest_collection_modifyitems(config, items):
    """Marks each test with its kind; orders LEADING_FILES, then files with slow tests, then the rest, so
    that two workers finish close together.

    The sort is stable and by file, so each file's tests stay together and in order.
    """
    for item in items:
        folder = item.path.parent.name
        if folder in ("unit", "integration"):
            item.add_marker(folder)
        kind = KIND_OF_FILE.get("/".join(item.path.parts[-2:]))
        if kind:
            item.add_marker(kind)
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item) -> tuple[int, bool]:
        name = "/".join(item.path.parts[-2:])
        lead = LEADING_FILES.index(name) if name in LEADING_FILES else len(LEADING_FILES)
        return lead, item.path not in slow_files

    items.sort(key=rank)
