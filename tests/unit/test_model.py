"""The classifier's training, tracking and registry, on a real Spark session and a real SQLite MLflow store.

One store per module: the first run date registers v1 as champion, and every later test adds versions
that must not take the champion alias from it (so the tests do not depend on their order).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import mlflow
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pyspark.sql import functions as F

from ipr_guard import charts
from ipr_guard.charts import pr_points, score_counts
from ipr_guard.model.promotion import decide
from ipr_guard.model.registry import (CHALLENGER, CHAMPION, load_champion, score, train_and_register,
                                      training_reason)
from ipr_guard.model.tracking import client_for, configure_tracking
from ipr_guard.model.training import evaluate, fit_candidates, metric_key, split_by_time, with_score
from tests.fixtures import FEATURES, model_rows

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 8), dt.date(2026, 11, 15)
TABLES = {"merchant_features": 7, "merchant_labels": 3}


@pytest.fixture(scope="module")
def examples(spark):
    schema = ("merchant_id string, as_of_date date, label double, segment string, upheld_notices double, "
              "price_gap double, noise double")
    return spark.createDataFrame(model_rows(), schema)


@pytest.fixture(scope="module")
def store(spark, cfg, examples, tmp_path_factory):
    """A fresh lakehouse whose store holds v1, trained for D1; yields (config, outcome of D1)."""
    previous = mlflow.get_tracking_uri()
    c = dataclasses.replace(cfg, lakehouse=str(tmp_path_factory.mktemp("model") / "lh"))
    outcome = train_and_register(spark, c, D1, examples, FEATURES, TABLES, gbt_max_iter=20)
    yield c, outcome
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


def _with_model(c, **changes):
    return dataclasses.replace(c, model=dataclasses.replace(c.model, **changes))


def _versions(c) -> list[str]:
    return sorted(str(mv.version) for mv in client_for(c).search_model_versions(f"name = '{c.model.name}'"))


def _alias_version(c, alias: str = CHAMPION) -> str:
    # str(): the SQLite store reports an alias's version as an int, a search's as a str.
    return str(client_for(c).get_model_version_by_alias(c.model.name, alias).version)


def test_time_split_puts_every_validation_date_after_every_train_date(examples):
    train, validation = split_by_time(examples, 21)
    last_train = train.agg(F.max("as_of_date")).first()[0]
    first_val, last_val = validation.agg(F.min("as_of_date"), F.max("as_of_date")).first()
    assert last_train < first_val
    assert last_val - last_train <= dt.timedelta(days=21) and (last_val - first_val).days == 20
    assert train.count() + validation.count() == examples.count()


def test_first_run_registers_v1_as_champion_with_a_reason_and_logs_the_run(store):
    c, outcome = store
    assert (outcome.version, outcome.alias, outcome.reused) == ("1", CHAMPION, False)
    assert "no champion yet" in outcome.reason and outcome.threshold == c.model.operating_threshold
    assert outcome.metrics["pr_auc"] >= 0.8 and outcome.metrics["positives"] > 0
    assert {"segment_个人_precision", "segment_enterprise_recall"} <= set(outcome.metrics)
    client = client_for(c)
    run = client.get_run(outcome.run_id)
    assert run.info.run_name == f"train-{D1}"
    assert run.data.params["table_version.merchant_features"] == "7"
    assert run.data.params["features"] == ",".join(FEATURES)
    assert {"gbt_pr_auc", "lr_pr_auc", "pr_auc", "precision", "recall"} <= set(run.data.metrics)
    assert run.data.tags["promotion"] == CHAMPION
    assert {a.path for a in client.list_artifacts(outcome.run_id, "plots")} == {
        "plots/pr_curve.png", "plots/score_distribution.png", "plots/feature_importance.png"}
    mv = client.get_model_version(c.model.name, "1")
    assert mv.tags["run_date"] == D1.isoformat() and mv.tags["promotion"] == CHAMPION
    assert mv.tags["promotion_reason"] == outcome.reason


def test_logged_model_has_a_signature_of_the_features_and_score(store):
    c, _ = store
    info = mlflow.models.get_model_info(f"models:/{c.model.name}/1")
    assert [col.name for col in info.signature.inputs] == FEATURES
    assert [col.name for col in info.signature.outputs] == ["score"]


def test_rerun_for_the_same_run_date_reuses_the_version(spark, store, examples):
    c, first = store
    before = _versions(c)
    again = train_and_register(spark, c, D1, examples, FEATURES, TABLES, gbt_max_iter=20)
    assert again.reused and (again.version, again.run_id, again.alias) == (first.version, first.run_id, first.alias)
    assert again.metrics["pr_auc"] == pytest.approx(first.metrics["pr_auc"])
    assert _versions(c) == before


def test_no_gain_over_the_champion_makes_a_challenger_and_keeps_the_champion(spark, store, examples):
    c, _ = store
    strict = _with_model(c, promotion_margin=0.5)
    outcome = train_and_register(spark, strict, D2, examples, FEATURES, TABLES, gbt_max_iter=20)
    assert outcome.alias == CHALLENGER and outcome.version != "1"
    assert "champion v1" in outcome.reason and "margin 0.5" in outcome.reason
    assert _alias_version(c) == "1"
    client = client_for(c)
    assert _alias_version(c, CHALLENGER) == outcome.version
    assert client.get_model_version(c.model.name, outcome.version).tags["promotion"] == CHALLENGER
    # The champion was measured on the same validation data and logged beside the new model's metrics.
    assert "champion_pr_auc" in client.get_run(outcome.run_id).data.metrics


def test_precision_under_the_minimum_is_never_champion(spark, store, examples):
    c, _ = store
    outcome = train_and_register(spark, _with_model(c, min_precision=1.01), D3, examples, FEATURES, TABLES,
                                 gbt_max_iter=20)
    assert outcome.alias == CHALLENGER
    assert "is under min_precision 1.01" in outcome.reason
    assert f"at threshold {c.model.operating_threshold:g}" in outcome.reason
    assert _alias_version(c) == "1"


def test_load_champion_and_score_every_row_in_0_1(spark, store, examples):
    c, _ = store
    model, name, version, threshold = load_champion(spark, c)
    assert (name, version, threshold) == (c.model.name, "1", c.model.operating_threshold)
    features = examples.drop("label")
    scored = score(model, features)
    assert scored.columns == features.columns + ["score"]
    assert dict(scored.dtypes)["score"] == "double"
    bad = scored.where(F.col("score").isNull() | (F.col("score") < 0) | (F.col("score") > 1)).count()
    assert bad == 0 and scored.count() == examples.count()


def test_champion_age_drives_the_retraining_cadence(spark, store, cfg, tmp_path):
    c, _ = store
    every = c.model.retrain_every_days
    # The champion's age counts from its run_date tag (D1): due exactly `every` days later, not a day before.
    assert training_reason(c, D1 + dt.timedelta(days=every - 1)) is None
    assert training_reason(c, D1 + dt.timedelta(days=every)) == (
        f"champion v1 is {every} days old (model.retrain_every_days {every})")
    empty = dataclasses.replace(cfg, lakehouse=str(tmp_path / "empty"))
    assert training_reason(empty, D1) == "no champion yet"
    assert load_champion(spark, empty) is None
    configure_tracking(c)  # the module's later tests use the shared store


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


def test_split_counts_sides_and_labels(spark):
    from ipr_guard.pipelines.model_step import split_counts
    d = dt.date(2026, 10, 31)
    rows = [(d, 1), (d, 0), (d - dt.timedelta(days=21), 1),  # the cutoff day itself trains
            (d - dt.timedelta(days=30), 0), (d - dt.timedelta(days=30), 0)]
    examples = spark.createDataFrame(rows, "as_of_date date, label int")
    assert split_counts(examples, 21) == {("train", 1): 1, ("train", 0): 2, ("validation", 1): 1,
                                          ("validation", 0): 1}
    assert split_counts(examples.limit(0), 21) == {("train", 1): 0, ("train", 0): 0, ("validation", 1): 0,
                                                   ("validation", 0): 0}
