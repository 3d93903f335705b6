"""Training runs on a real Spark session and a real SQLite MLflow store: what the train job registers.

One store per module: the first run date registers v1 and the promote job makes it champion; every later
test adds versions that must not take the champion alias from it (so the tests do not depend on their order).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import mlflow
import pytest
from pyspark.sql import functions as F

from ipr_guard.model.promotion import promote
from ipr_guard.model.registry import (CHALLENGER, CHAMPION, load_champion, score, train_and_register,
                                      training_reason)
from ipr_guard.model.tracking import client_for, configure_tracking
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
    """A fresh lakehouse whose store holds v1, trained for D1; yields (config, outcome of D1, its promotion)."""
    previous = mlflow.get_tracking_uri()
    c = dataclasses.replace(cfg, lakehouse=str(tmp_path_factory.mktemp("model") / "lh"))
    outcome = train_and_register(spark, c, D1, examples, FEATURES, TABLES, gbt_max_iter=20)
    tags_before = dict(client_for(c).get_model_version(c.model.name, outcome.version).tags)
    yield c, outcome, promote(c, D1), tags_before
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


def _with_model(c, **changes):
    return dataclasses.replace(c, model=dataclasses.replace(c.model, **changes))


def _versions(c) -> list[str]:
    return sorted(str(mv.version) for mv in client_for(c).search_model_versions(f"name = '{c.model.name}'"))


def _alias_version(c, alias: str = CHAMPION) -> str:
    # str(): the SQLite store reports an alias's version as an int, a search's as a str.
    return str(client_for(c).get_model_version_by_alias(c.model.name, alias).version)


def test_first_run_registers_v1_as_challenger_and_the_promote_job_makes_it_champion(store):
    c, outcome, promoted, tags_before = store
    assert (outcome.version, outcome.alias, outcome.verdict, outcome.reused) == ("1", CHALLENGER, CHAMPION, False)
    assert (tags_before["promotion"], tags_before["promotion_applied"]) == (CHAMPION, "false")
    assert tags_before["champion_at_training"] == "none"
    assert (promoted.version, promoted.alias, promoted.changed) == ("1", CHAMPION, True)
    assert promoted.reason == outcome.reason
    # Promoting again changes nothing.
    assert promote(c, D1) == dataclasses.replace(promoted, changed=False)
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
    assert mv.tags["promotion_reason"] == outcome.reason and mv.tags["promotion_applied"] == "true"


def test_logged_model_has_a_signature_of_the_features_and_score(store):
    c = store[0]
    info = mlflow.models.get_model_info(f"models:/{c.model.name}/1")
    assert [col.name for col in info.signature.inputs] == FEATURES
    assert [col.name for col in info.signature.outputs] == ["score"]


def test_rerun_for_the_same_run_date_reuses_the_version(spark, store, examples):
    c, first = store[:2]
    before = _versions(c)
    again = train_and_register(spark, c, D1, examples, FEATURES, TABLES, gbt_max_iter=20)
    assert again.reused and (again.version, again.run_id, again.verdict) == (first.version, first.run_id, CHAMPION)
    assert again.alias == CHAMPION  # promoted since
    assert again.metrics["pr_auc"] == pytest.approx(first.metrics["pr_auc"])
    assert _versions(c) == before


def test_no_gain_over_the_champion_makes_a_challenger_and_keeps_the_champion(spark, store, examples):
    c = store[0]
    strict = _with_model(c, promotion_margin=0.5)
    outcome = train_and_register(spark, strict, D2, examples, FEATURES, TABLES, gbt_max_iter=20)
    assert (outcome.alias, outcome.verdict) == (CHALLENGER, CHALLENGER) and outcome.version != "1"
    assert "champion v1" in outcome.reason and "margin 0.5" in outcome.reason
    # The promote job applies the gate with its own config: the same margin keeps it out.
    kept = promote(strict, D2)
    assert (kept.alias, kept.changed) == (CHALLENGER, False) and "margin 0.5" in kept.reason
    assert _alias_version(c) == "1"
    client = client_for(c)
    assert _alias_version(c, CHALLENGER) == outcome.version
    assert client.get_model_version(c.model.name, outcome.version).tags["promotion"] == CHALLENGER
    # The champion was measured on the same validation data and logged beside the new model's metrics.
    assert "champion_pr_auc" in client.get_run(outcome.run_id).data.metrics


def test_precision_under_the_minimum_is_never_champion(spark, store, examples):
    c = store[0]
    outcome = train_and_register(spark, _with_model(c, min_precision=1.01), D3, examples, FEATURES, TABLES,
                                 gbt_max_iter=20)
    assert outcome.verdict == CHALLENGER
    assert "is under min_precision 1.01" in outcome.reason
    assert f"at threshold {c.model.operating_threshold:g}" in outcome.reason
    assert promote(_with_model(c, min_precision=1.01), D3).alias == CHALLENGER
    assert _alias_version(c) == "1"


def test_load_champion_and_score_every_row_in_0_1(spark, store, examples):
    c = store[0]
    model, name, version, threshold = load_champion(spark, c)
    assert (name, version, threshold) == (c.model.name, "1", c.model.operating_threshold)
    features = examples.drop("label")
    scored = score(model, features)
    assert scored.columns == features.columns + ["score"]
    assert dict(scored.dtypes)["score"] == "double"
    bad = scored.where(F.col("score").isNull() | (F.col("score") < 0) | (F.col("score") > 1)).count()
    assert bad == 0 and scored.count() == examples.count()


def test_champion_age_drives_the_retraining_cadence(spark, store, cfg, tmp_path):
    c = store[0]
    every = c.model.retrain_every_days
    # The champion's age counts from its run_date tag (D1): due exactly `every` days later, not a day before.
    assert training_reason(c, D1 + dt.timedelta(days=every - 1)) is None
    assert training_reason(c, D1 + dt.timedelta(days=every)) == (
        f"champion v1 is {every} days old (model.retrain_every_days {every})")
    empty = dataclasses.replace(cfg, lakehouse=str(tmp_path / "empty"))
    assert training_reason(empty, D1) == "no champion yet"
    assert load_champion(spark, empty) is None
    configure_tracking(c)  # the module's later tests use the shared store


def test_the_train_job_on_its_cadence_trains_only_when_due(spark, store, cfg, tmp_path):
    from ipr_guard import catalog
    from ipr_guard.errors import UsageError
    from ipr_guard.io import delta
    from ipr_guard.pipelines import train as train_job
    c = store[0]
    empty = dataclasses.replace(cfg, lakehouse=str(tmp_path / "empty"))
    # The schedule's first night has nothing to train on: no failure. Asked for by hand, it is an error.
    assert train_job.run(spark, empty, D1, if_due=True) == (
        f"training for {D1}: nothing to train on yet ({empty.lakehouse} has no ingest log)")
    with pytest.raises(UsageError, match="nothing to train on: .* has no ingest log"):
        train_job.run(spark, empty, D1)
    delta.create(spark.createDataFrame([(D1,)], "ingest_date date"), catalog.table_path(c.lakehouse, "meta/ingest_log"))
    # v1, trained for D1, is champion and a day old: not due, nothing registered.
    before = _versions(c)
    assert train_job.run(spark, c, D1 + dt.timedelta(days=1), if_due=True) == (
        f"training for {D1 + dt.timedelta(days=1)}: not due (the champion is under model.retrain_every_days "
        f"{c.model.retrain_every_days} days old and no drift was flagged)")
    assert _versions(c) == before
    configure_tracking(c)


def test_a_pause_in_enforcement_grows_validation_and_a_target_precision_sets_the_threshold(spark, store):
    import math

    from ipr_guard.model.registry import scoring_status
    from ipr_guard.model.status import describe
    from ipr_guard.model.training import with_score
    c = store[0]
    # Enforcement paused for the latest 21 days: the stores closed then are not labelled yet.
    rows = model_rows()
    latest = max(r[1] for r in rows)
    paused = [(r[0], r[1], 0.0 if r[1] > latest - dt.timedelta(days=21) else r[2], *r[3:]) for r in rows]
    schema = ("merchant_id string, as_of_date date, label double, segment string, upheld_notices double, "
              "price_gap double, noise double")
    examples = spark.createDataFrame(paused, schema)
    # Against labels that miss the unlabelled counterfeiters of the pause, 0.4 is what precision can reach.
    target = _with_model(c, target_precision=0.4)
    d4 = dt.date(2026, 11, 22)
    outcome = train_and_register(spark, target, d4, examples, FEATURES, TABLES, gbt_max_iter=20)
    tags = client_for(c).get_model_version(c.model.name, outcome.version).tags
    window = int(tags["validation_window_days"])

    # The smallest window from the latest date holding 20 positives, counted from the rows by hand.
    def positives_within(days: int) -> int:
        return sum(1 for r in paused if r[1] > latest - dt.timedelta(days=days) and r[2] == 1.0)
    assert window > 21 and positives_within(window) >= 20 > positives_within(window - 1)
    assert outcome.metrics["positives"] == positives_within(window)
    assert tags["validation_note"] == (
        f"validation covers the latest {window} days, not 21: the latest 21 held 0 positives, fewer than the 20 "
        "needed to judge a model (model.min_validation_positives)")
    # The threshold is the lowest on the 0.001 grid reaching precision 0.4 on those validation rows.
    threshold = float(tags["threshold"])
    assert outcome.threshold == threshold != c.model.operating_threshold and outcome.metrics["precision"] >= 0.4
    validation = examples.where(F.col("as_of_date") > F.lit(latest - dt.timedelta(days=window)))
    scored = with_score(outcome.model.transform(validation)).select("label", "score").collect()

    def precision_at(t: float) -> float:
        flagged = [r["label"] for r in scored if r["score"] >= t]
        return sum(flagged) / len(flagged)
    assert precision_at(threshold) == pytest.approx(outcome.metrics["precision"])
    below = [r["score"] for r in scored if r["score"] < threshold]
    if below:
        assert precision_at(math.floor(max(below) * 1000) / 1000) < 0.4
    # The night's sentence says why validation reaches back further than configured.
    assert tags["validation_note"] in describe(scoring_status(c, d4, outcome.version))
    assert _alias_version(c) == "1"
