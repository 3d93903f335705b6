"""Audit commands on a small hand-built lakehouse: `candidates` time-travels, `kpis` prints and draws."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from pyspark.sql import types as T

from ipr_guard import catalog
from ipr_guard import cli
from ipr_guard.errors import InputError, UsageError
from ipr_guard.io import delta
from ipr_guard.pipelines import audit
from ipr_guard.pipelines.audit import display_width
from ipr_guard.pipelines.nightly import RUNS_SCHEMA

D1, D2 = dt.date(2026, 10, 30), dt.date(2026, 10, 31)
CANDIDATES = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("merchant_id", T.StringType()),
    T.StructField("store_name", T.StringType()), T.StructField("risk_score", T.DoubleType()),
    T.StructField("rank", T.IntegerType()), T.StructField("recommended_action", T.StringType()),
    T.StructField("reasons", T.ArrayType(T.StringType())), T.StructField("model_name", T.StringType()),
    T.StructField("model_version", T.StringType()),
])
KPIS = T.StructType([T.StructField(n, T.DateType() if n == "kpi_date" else
                                   T.DoubleType() if n.endswith("_share") else T.LongType())
                     for n in audit.KPI_COLUMNS])


def _runs(spark, rows):
    t = dt.datetime(2026, 11, 1)
    return spark.createDataFrame([(rid, d, "published", t, t + dt.timedelta(minutes=i), None, "{}", json.dumps(v))
                                  for i, (rid, d, v) in enumerate(rows)], RUNS_SCHEMA)


@pytest.fixture(scope="module")
def lake(spark, cfg, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("audit") / "lake")
    gold = catalog.table_path(root, "gold/closure_candidates")
    model = ("ipr_guard_counterfeit_seller", "2")
    first = [(D1, "m-aaa", "耐克高仿店", 0.95, 1, "close", ["counterfeit test buy"], *model),
             (D1, "m-bbb", "Shop B", 0.81, 2, "suspend", ["3 upheld notices", "reused images"], *model)]
    delta.create(spark.createDataFrame(first, CANDIDATES), gold, run_id="run-1")                      # v0
    delta.append(_runs(spark, [("run-1", D1, {"closure_candidates": 0, "enforcement_kpis": 0})]),
                 catalog.table_path(root, "meta/runs"))
    # Later the table is overwritten whole (a rerun gone wrong, a backfill): D1's published list is gone
    # from the latest version, and D2 is published from it.
    later = [(D1, "m-zzz", "Other", 0.5, 1, "review", [], None, None),
             (D2, "m-ccc", "Shop C", 0.9, 1, "close", ["shared bank account"], *model)]
    delta.create(spark.createDataFrame(later, CANDIDATES), gold, run_id="run-2")                      # v1
    delta.append(_runs(spark, [("run-2", D2, {"closure_candidates": 1, "enforcement_kpis": 0})]),
                 catalog.table_path(root, "meta/runs"))
    kpis = [(dt.date(2026, 10, 29), 1, 4, 3, 0.75, 2, 2, 1.0), (D1, 0, 0, 0, None, 1, 0, 0.0),
            (D2, 2, 5, 5, 1.0, 0, 0, None)]
    delta.create(spark.createDataFrame(kpis, KPIS), catalog.table_path(root, "gold/enforcement_kpis"))
    return cfg.with_paths(lakehouse=root)


def test_candidates_reprints_the_list_as_published_despite_a_later_overwrite(spark, lake, capsys):
    assert cli.main(["candidates", "--date", str(D1), "--lakehouse", lake.lakehouse]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("candidates for 2026-10-30 as published by run run-1; model ipr_guard_counterfeit_seller v2; "
                        "gold versions: closure_candidates v0, enforcement_kpis v0")
    assert lines[1].split() == ["rank", "merchant_id", "store_name", "score", "action", "reasons"]
    assert re.split(r"\s{2,}", lines[3]) == ["1", "m-aaa", "耐克高仿店", "0.9500", "close", "counterfeit test buy"]
    assert re.split(r"\s{2,}", lines[4]) == ["2", "m-bbb", "Shop B", "0.8100", "suspend",
                                             "3 upheld notices | reused images"]
    assert lines[5] == "2 candidates" and len(lines) == 6
    # Wide characters count twice, so the columns after the Chinese name line up with the header's.
    assert display_width(lines[3][:lines[3].index("0.9500")]) == lines[1].index("score")


def test_candidates_of_the_later_run_and_an_unknown_date(spark, lake):
    later = audit.candidates_as_published(spark, lake, D2)
    assert (later.run_id, later.versions["closure_candidates"]) == ("run-2", 1)
    assert list(later.rows["merchant_id"]) == ["m-ccc"]
    with pytest.raises(InputError, match="^no published run for 2026-10-01 in "):
        audit.candidates_as_published(spark, lake, dt.date(2026, 10, 1))


def test_kpis_prints_the_days_and_writes_the_charts(spark, lake, tmp_path, capsys):
    out = tmp_path / "charts"
    assert cli.main(["kpis", "--start", "2026-10-30", "--end", "2026-10-31", "--lakehouse", lake.lakehouse,
                     "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["date", "closed", "proactive", "before_sale", "share", "notices", "within_24h", "share"]
    assert lines[2].split() == ["2026-10-30", "0", "0", "0", "-", "1", "0", "0.0%"]
    assert lines[3].split() == ["2026-10-31", "2", "5", "5", "100.0%", "0", "0", "-"]
    assert lines[4].startswith(f"2 days; charts in {out}")
    pngs = sorted(p.name for p in out.iterdir())
    assert pngs == ["notice_processed_within_24h_share.png", "proactive_before_first_sale_share.png",
                    "stores_closed.png"]
    assert all((out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_kpis_errors(spark, lake, capsys):
    with pytest.raises(InputError, match="no KPIs published between 2026-01-01 and 2026-01-31"):
        audit.kpis_between(spark, lake, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    with pytest.raises(UsageError):
        audit.kpis_between(spark, lake, D2, D1)
    assert cli.main(["kpis", "--start", str(D2), "--end", str(D1), "--lakehouse", lake.lakehouse]) == 2
    assert capsys.readouterr().err.strip() == "ipr-guard: error: --end 2026-10-30 is before --start 2026-10-31"
