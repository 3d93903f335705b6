"""Table maintenance: small appends compacted, contents unchanged, a log row per table, never during a run."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard import catalog
from ipr_guard.config import load_config
from ipr_guard.errors import UsageError
from ipr_guard.io import delta
from ipr_guard.io.files import RunLock
from ipr_guard.pipelines import maintain

DAY = dt.date(2026, 10, 31)
SCHEMA = T.StructType([T.StructField("order_id", T.StringType()), T.StructField("amount", T.DoubleType())])


def _num_files(spark, path):
    return spark.sql(f"DESCRIBE DETAIL delta.`{path}`").select("numFiles").first()[0]


def test_maintain_compacts_small_appends_and_logs(spark, cfg, tmp_path):
    lake = cfg.with_paths(lakehouse=str(tmp_path / "lake"))
    path = catalog.table_path(lake.lakehouse, "silver/orders")
    for i in range(4):  # four nightly appends, one small file each
        delta.append(spark.createDataFrame([(f"O{i}", 10.0 * i)], SCHEMA).coalesce(1), path)
    assert _num_files(spark, path) == 4

    done = maintain.run(spark, lake, DAY)

    assert _num_files(spark, path) == 1
    expected = spark.createDataFrame([("O0", 0.0), ("O1", 10.0), ("O2", 20.0), ("O3", 30.0)], SCHEMA)
    assertDataFrameEqual(delta.read(spark, path), expected)
    assert [(m.table, m.files_before, m.files_after, m.files_compacted) for m in done] == [("silver/orders", 4, 1, 4)]
    # VACUUM keeps the replaced files for the retention (168 h): four small ones plus the compacted one.
    assert (done[0].stored_files_before, done[0].stored_files_after) == (4, 5)
    log = delta.read(spark, catalog.table_path(lake.lakehouse, "meta/maintenance_log")).collect()
    assert [(r["table"], r["run_date"], r["files_before"], r["files_after"], r["vacuum_retention_hours"])
            for r in log] == [("silver/orders", DAY, 4, 1, 168)]


def test_maintain_waits_for_no_nightly(spark, cfg, tmp_path):
    lake = cfg.with_paths(lakehouse=str(tmp_path / "lake"))
    with RunLock(spark, lake.lakehouse, "2026-10-31-nightly"):
        with pytest.raises(UsageError, match="another run"):
            maintain.run(spark, lake, DAY)


def test_retention_below_erasure_window_is_refused():
    with pytest.raises(UsageError, match="vacuum_retention_hours=24 is below privacy.erasure_window_hours=168"):
        load_config("local", ["maintenance.vacuum_retention_hours=24"])
