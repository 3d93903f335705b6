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


def pytest_collection_modifyitems(config, items):
    """Files with slow tests first, so that two workers (`-n 2 --dist loadfile`) finish close together.

    The sort is stable and by file, so each file's tests stay together and in order.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
