"""Drift: quantile bins, bin assignment (edges, infinities, nulls), PSI against hand-computed values, flags."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from pyspark.testing import assertDataFrameEqual

from ipr_guard.model import drift

INF = math.inf


def test_psi_of_two_bins_by_hand():
    # (0.9 - 0.5) ln(0.9 / 0.5) + (0.1 - 0.5) ln(0.1 / 0.5) = 0.4 ln 1.8 + 0.4 ln 5
    assert drift.psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4 * math.log(1.8) + 0.4 * math.log(5))
    assert drift.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_floors_an_empty_bin_at_epsilon():
    # Baseline bin 3 is empty: e = 1e-4 there, so (0.1 - 1e-4) ln(0.1 / 1e-4); bin 2: (0.4 - 0.5) ln(0.4 / 0.5).
    expected = (0.1 - 1e-4) * math.log(1000) + (-0.1) * math.log(0.8)
    assert drift.psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1]) == pytest.approx(expected)
    assert drift.PSI_EPSILON == 1e-4


def test_bins_are_right_closed_with_infinite_outer_edges_and_nulls_get_no_bin(spark):
    df = spark.createDataFrame([(-5.0,), (0.0,), (0.5,), (2.0,), (3.0,), (INF,), (-INF,), (None,), (float("nan"),)],
                               "x double")
    binned = drift.assign_bins(df, {"x": [0.0, 2.0, INF]})
    expected = spark.createDataFrame([("x", 0), ("x", 0), ("x", 1), ("x", 1), ("x", 2), ("x", 2), ("x", 0),
                                      ("x", None), ("x", None)], "feature string, bin int")
    assertDataFrameEqual(binned, expected)
    counts = spark.createDataFrame([("x", 0, 3), ("x", 1, 2), ("x", 2, 2)], "feature string, bin int, rows long")
    assertDataFrameEqual(drift.bin_counts(binned), counts)


def test_edges_merge_equal_quantiles_and_the_baseline_has_every_bin(spark):
    # Half zeros, half ones: every inner quantile is 0 or 1, so two edges and +inf remain.
    df = spark.createDataFrame([(float(i >= 5), float(i)) for i in range(10)], "flag double, n double")
    edges = drift.quantile_edges(df, ["flag", "n"])
    assert edges["flag"] == [0.0, 1.0, INF]
    assert len(edges["n"]) == 10 and edges["n"][-1] == INF
    counts = pd.DataFrame({"feature": ["flag", "flag"], "bin": [0, 1], "rows": [5, 5]})
    base = drift.baseline_shares({"flag": edges["flag"]}, counts)
    assert base.to_dict("list") == {"feature": ["flag"] * 3, "bin": [0, 1, 2], "lower": [-INF, 0.0, 1.0],
                                    "upper": [0.0, 1.0, INF], "share": [0.5, 0.5, 0.0]}


def test_psi_by_feature_flags_only_over_the_threshold():
    baseline = pd.DataFrame({"feature": ["a", "a", "b", "b", "score", "score"], "bin": [0, 1] * 3,
                             "share": [0.5, 0.5, 0.5, 0.5, 0.8, 0.2]})
    counts = pd.DataFrame({"feature": ["a", "a", "b", "b"], "bin": [0, 1, 0, 1], "rows": [90, 10, 50, 50]})
    a = 0.4 * math.log(1.8) + 0.4 * math.log(5)
    table = drift.psi_by_feature(baseline, counts, 0.25)
    # `score` has no value tonight: left out, not reported as 0.
    assert table["feature"].tolist() == ["a", "b"]
    assert table["psi"].tolist() == pytest.approx([a, 0.0])
    assert table["rows"].tolist() == [100, 100] and table["flagged"].tolist() == [True, False]
    # Exactly at the threshold is not over it.
    assert drift.psi_by_feature(baseline, counts, a)["flagged"].tolist() == [False, False]
    assert drift.summary(table, "m", "4") == "drift: max PSI 0.879 (a) against m v4; 1 features over threshold 0.25"
