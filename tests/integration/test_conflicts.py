"""Delta write conflicts: two writers MERGE into one table at once; the losers' commits are retried."""
from __future__ import annotations

import logging
import threading

from ipr_guard.io import delta

ROUNDS = 4


def _merge_rounds(spark, path: str, writer: str, errors: list) -> None:
    try:
        for i in range(ROUNDS):
            df = spark.createDataFrame([(f"{writer}-{i}", i)], "key string, value int")
            delta.merge_rows(df, path, ["key"])
    except Exception as e:  # noqa: BLE001 - the test reports whatever escaped the retry
        errors.append(f"{writer}: {type(e).__name__}: {str(e).splitlines()[0]}")


def test_two_concurrent_merges_all_commit(spark, tmp_path, caplog):
    path = str(tmp_path / "t")
    delta.create(spark.createDataFrame([("seed", 0)], "key string, value int"), path)
    errors: list[str] = []
    caplog.set_level(logging.WARNING, logger="ipr_guard.io.delta")
    threads = [threading.Thread(target=_merge_rounds, args=(spark, path, w, errors)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == []
    rows = {r["key"]: r["value"] for r in delta.read(spark, path).collect()}
    expected = {"seed": 0} | {f"{w}-{i}": i for w in ("a", "b") for i in range(ROUNDS)}
    assert rows == expected
    # Every MERGE committed exactly once: the seed plus 2 x ROUNDS commits.
    assert delta.version(spark, path) == 2 * ROUNDS
    retries = [r.getMessage() for r in caplog.records if "write conflict" in r.getMessage()]
    print(f"{len(retries)} conflicts retried")
