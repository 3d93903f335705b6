"""The classifier's pieces on hand-built frames: the time split, the candidates, the gate, the plots.

Training runs against a real MLflow store are integration tests (tests/integration/test_training_runs.py).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from matplotlib.figure import Figure
from pyspark.sql import functions as F

from ipr_guard import charts
from ipr_guard.charts import pr_points, score_counts
from ipr_guard.model.promotion import decide
from ipr_guard.model.registry import CHALLENGER, CHAMPION
from ipr_guard.model.training import evaluate, fit_candidates, metric_key, split_by_time, with_score
from tests.fixtures import FEATURES, model_rows


@pytest.fixture(scope="module")
def examples(spark):
    schema = ("merchant_id string, as_of_date date, label double, segment string, upheld_notices double, "
              "price_gap double, noise double")
    return spark.createDataFrame(model_rows(), schema)


def test_time_split_puts_every_validation_date_after_every_train_date(examples):
    train, validation = split_by_time(examples, 21)
    last_train = train.agg(F.max("as_of_date")).first()[0]
    first_val, last_val = validation.agg(F.min("as_of_date"), F.max("as_of_date")).first()
    assert last_train < first_val
    assert last_val - last_train <= dt.timedelta(days=21) and (last_val - first_val).days == 20
    assert train.count() + validation.count() == examples.count()


def test_same_data_in_another_layout_gives_the_same_model(examples):
    train, validation = split_by_time(examples, 21)
    first, _ = fit_candidates(train, FEATURES, seed=11, gbt_max_iter=5)
    shuffled = train.repartition(5, F.rand(3))
    second, _ = fit_candidates(shuffled, FEATURES, seed=11, gbt_max_iter=5)
    for key in first:
        a = with_score(first[key].transform(validation)).select("merchant_id", "score").toPandas()
        b = with_score(second[key].transform(validation)).select("merchant_id", "score").toPandas()
        pd.testing.assert_frame_equal(a.sort_values("merchant_id").reset_index(drop=True),
                                      b.sort_values("merchant_id").reset_index(drop=True))
    metrics = evaluate(first["gbt"], validation, 0.5)
    assert 0 <= metrics["precision"] <= 1 and metrics["positives"] + metrics["negatives"] == validation.count()


def test_decide_names_what_failed_or_why_it_won(cfg):
    m = dataclasses.replace(cfg.model, min_pr_auc=0.5, min_precision=0.7, min_recall=0.5, operating_threshold=0.5)
    good = {"pr_auc": 0.91, "precision": 0.8, "recall": 0.7}
    assert decide(good, None, m).alias == CHAMPION
    win = decide(good, ("3", {"pr_auc": 0.88}), m)
    assert win.alias == CHAMPION and win.reason == (
        "PR-AUC 0.91 beats champion v3's 0.88 on the same validation data by 0.03 >= margin 0")
    assert decide(good, ("3", {"pr_auc": 0.95}), m).alias == CHALLENGER
    low = decide({**good, "precision": 0.6}, None, m)
    assert low.alias == CHALLENGER and low.reason == "precision 0.60 at threshold 0.5 is under min_precision 0.7"
    unscorable = decide(good, None, m, no_champion="champion v3 cannot score this validation data (it needs x)")
    assert unscorable.alias == CHAMPION and unscorable.reason.startswith("champion v3 cannot score")
    assert metric_key("  Sole Trader / 个体户 ") == "sole_trader_个体户" and metric_key(None) == "unknown"


def test_plots_return_figures_for_data_and_for_empty_frames():
    pdf = pd.DataFrame({"label": [0, 0, 1, 1, 0, 1], "score": [0.1, 0.4, 0.35, 0.8, 0.8, 0.9]})
    importance = pd.DataFrame({"feature": FEATURES, "importance": [0.6, 0.3, 0.1]})
    empty = pd.DataFrame({"label": [], "score": []})
    for fig in (charts.pr_curve_figure(score_counts(pdf), 0.5),
                charts.score_distribution_figure(charts.score_bins_by_label(pdf), 0.5),
                charts.feature_importance_figure(importance), charts.pr_curve_figure(score_counts(empty)),
                charts.score_distribution_figure(charts.score_bins_by_label(empty)),
                charts.feature_importance_figure(importance.iloc[:0])):
        assert isinstance(fig, Figure) and fig.axes
    precision, recall = pr_points(score_counts(pdf))
    # Thresholds 0.9, 0.8 (a tie: one positive, one negative), 0.4, 0.35, 0.1.
    assert list(recall) == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    assert list(precision) == pytest.approx([1, 1, 2 / 3, 2 / 4, 3 / 5, 3 / 6])


def test_day_label_counts_and_the_split_sides(spark):
    from ipr_guard.model.training import day_label_counts, plan_split
    d = dt.date(2026, 10, 31)
    rows = [(d, 1.0), (d, 0.0), (d - dt.timedelta(days=21), 1.0),  # the cutoff day itself trains
            (d - dt.timedelta(days=30), 0.0), (d - dt.timedelta(days=30), 0.0)]
    examples = spark.createDataFrame(rows, "as_of_date date, label double")
    counts = day_label_counts(examples)
    assert sorted(counts) == [(d - dt.timedelta(days=30), 0, 2), (d - dt.timedelta(days=21), 1, 0), (d, 1, 1)]
    assert plan_split(counts, 21).counts == {("train", 1): 1, ("train", 0): 2, ("validation", 1): 1,
                                             ("validation", 0): 1}
    assert day_label_counts(examples.limit(0)) == []
