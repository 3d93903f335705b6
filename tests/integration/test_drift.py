"""Drift on real Spark, Delta and MLflow: a version's baseline written once, a shifted night's PSI rows,
the retraining they trigger once that night is published, and their roll-back when it is not."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import mlflow
import pandas as pd
import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.model.drift import NightDrift
from ipr_guard.model.registry import CHAMPION, TrainOutcome, training_reason
from ipr_guard.model.tracking import client_for, configure_tracking
from ipr_guard.model.training import candidate_pipelines, day_label_counts, plan_split, split_at, with_class_weight
from ipr_guard.pipelines import drift_step, recovery
from ipr_guard.pipelines.model_step import Champion
from ipr_guard.pipelines.nightly import RUNS_SCHEMA
from tests.fixtures import FEATURES, model_rows

INF = math.inf
D = dt.date(2026, 11, 10)
SCHEMA = ("merchant_id string, as_of_date date, label double, segment string, upheld_notices double, "
          "price_gap double, noise double")


@pytest.fixture()
def lake(cfg, tmp_path):
    previous = mlflow.get_tracking_uri()
    yield dataclasses.replace(cfg, lakehouse=str(tmp_path / "lh"),
                              drift=dataclasses.replace(cfg.drift, top_features=2, min_rows=50))
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


def _meta(spark, c, name):
    return delta.read(spark, catalog.table_path(c.lakehouse, f"meta/{name}"))


def test_baseline_is_recorded_once_per_version(spark, lake):
    examples = spark.createDataFrame(model_rows(), SCHEMA)
    split = plan_split(day_label_counts(examples), lake.model.validation_days, lake.model.min_validation_positives)
    train, validation = split_at(examples, split.cutoff)
    # The logistic candidate alone: a few seconds, and its |coefficients| rank noise last.
    model = candidate_pipelines(FEATURES, seed=1)["lr"].fit(with_class_weight(train)[0])
    outcome = TrainOutcome(lake.model.name, "7", CHAMPION, CHAMPION, "test", {}, "run", 0.5, model=model)
    drift_step.record_baseline(spark, lake, outcome, examples, FEATURES, split)

    predictions = _meta(spark, lake, "model_validation")
    assert predictions.dtypes == [("model_name", "string"), ("model_version", "string"), ("label", "int"),
                                  ("score", "double")]
    n_validation = validation.count()
    assert predictions.count() == n_validation
    assert sorted(r[0] for r in predictions.select("label").collect()) == \
        sorted(int(r[0]) for r in validation.select("label").collect())
    baseline = _meta(spark, lake, "model_baseline")
    assert baseline.dtypes == [("model_name", "string"), ("model_version", "string"), ("feature", "string"),
                               ("bin", "int"), ("lower", "double"), ("upper", "double"), ("share", "double")]
    pdf = baseline.toPandas()
    assert set(pdf["feature"]) == {"upheld_notices", "price_gap", "score"}
    for _, g in pdf.sort_values("bin").groupby("feature"):
        # Continuous values: ten quantile bins of about a tenth each, chained edges from -inf to +inf.
        assert len(g) == 10 and g["share"].sum() == pytest.approx(1.0) and g["share"].max() < 0.2
        assert g["lower"].iloc[0] == -INF and g["upper"].iloc[-1] == INF
        assert g["lower"].iloc[1:].tolist() == g["upper"].iloc[:-1].tolist()
        # Shares of the validation days' rows (drift.baseline: validation): whole counts of them.
        counts = g["share"] * n_validation
        assert (counts - counts.round()).abs().max() < 1e-9

    versions = {n: delta.version(spark, catalog.table_path(lake.lakehouse, f"meta/{n}"))
                for n in ("model_validation", "model_baseline")}
    drift_step.record_baseline(spark, lake, dataclasses.replace(outcome, reused=True), examples, FEATURES, split)
    assert {n: delta.version(spark, catalog.table_path(lake.lakehouse, f"meta/{n}")) for n in versions} == versions


def _register_champion(c, trained_on: dt.date, versions: int) -> None:
    """A registered model whose last version is champion; no artifacts are needed to decide retraining."""
    configure_tracking(c)
    client = client_for(c)
    client.create_registered_model(c.model.name)
    for _ in range(versions):
        mv = client.create_model_version(c.model.name, "file:///nowhere", tags={"run_date": trained_on.isoformat()})
    client.set_registered_model_alias(c.model.name, CHAMPION, mv.version)


def _mark_published(spark, c, run_id: str, run_date: dt.date) -> None:
    now = dt.datetime(2026, 11, 11, 3, 0)
    marker = spark.createDataFrame([(run_id, run_date, "published", now, now, None, "{}",
                                     json.dumps(recovery.meta_versions(spark, c.lakehouse)))], RUNS_SCHEMA)
    delta.append(marker, catalog.table_path(c.lakehouse, "meta/runs"))


def test_a_shifted_night_is_flagged_retrains_next_night_once_published_and_rolls_back_if_not(spark, lake):
    name = lake.model.name
    # Hand-made baseline of a fake v3: x in three bins, the score in two.
    drift_step.write_baseline(spark, lake, name, "3", pd.DataFrame({
        "feature": ["x", "x", "x", "score", "score"], "bin": [0, 1, 2, 0, 1],
        "lower": [-INF, 0.0, 1.0, -INF, 0.5], "upper": [0.0, 1.0, INF, 0.5, INF],
        "share": [0.5, 0.3, 0.2, 0.8, 0.2]}))
    # Tonight: x moved up (shares 0.2, 0.3, 0.5), the score barely (0.7, 0.3). Unscored stores are left out.
    rows = [(-1.0, 0.1)] * 20 + [(0.5, 0.1)] * 30 + [(2.0, 0.1)] * 20 + [(2.0, 0.9)] * 30 + [(-1.0, None)] * 10
    tonight = spark.createDataFrame(rows, "x double, score double")
    champion = Champion(None, name, "3", 0.5, {})
    table = drift_step.measure(spark, lake, champion, tonight)
    drift_step.write(spark, lake, D, table, "run-d")

    psi_x = (0.2 - 0.5) * math.log(0.2 / 0.5) + (0.5 - 0.2) * math.log(0.5 / 0.2)
    psi_score = (0.7 - 0.8) * math.log(0.7 / 0.8) + (0.3 - 0.2) * math.log(0.3 / 0.2)
    expected = spark.createDataFrame(
        [(D, "run-d", name, "3", "x", psi_x, 0.25, True), (D, "run-d", name, "3", "score", psi_score, 0.25, False)],
        drift_step.DRIFT_SCHEMA)
    assertDataFrameEqual(_meta(spark, lake, "drift"), expected, rtol=1e-9)

    # Too few scored stores: nothing is measured.
    few = dataclasses.replace(lake, drift=dataclasses.replace(lake.drift, min_rows=101))
    assert drift_step.measure(spark, few, champion, tonight) is None

    # v3 is a day old: age alone would not retrain. The flagged night counts only once it is published.
    _register_champion(lake, D - dt.timedelta(days=1), versions=3)
    assert drift_step.last_published_drift(spark, lake, D + dt.timedelta(days=1)) is None
    assert training_reason(lake, D + dt.timedelta(days=1), None) is None
    _mark_published(spark, lake, "run-d", D)
    night = drift_step.last_published_drift(spark, lake, D + dt.timedelta(days=1))
    assert night == NightDrift(D, "3", ("x",))
    assert training_reason(lake, D + dt.timedelta(days=1), night) == f"drift on {D} against v3 flagged x"
    off = dataclasses.replace(lake, drift=dataclasses.replace(lake.drift, retrain_on_drift=False))
    assert training_reason(off, D + dt.timedelta(days=1), night) is None
    # A run date's own rows are never "the previous night".
    assert drift_step.last_published_drift(spark, lake, D) is None

    # The next night writes its rows and dies before its marker: the run after it rolls them back.
    drift_step.write(spark, lake, D + dt.timedelta(days=1), table, "run-killed")
    recovered = recovery.roll_back_incomplete(spark, lake.lakehouse)
    assert recovered == ["restored meta/drift from v1 to v0: run run-killed did not complete"]
    assertDataFrameEqual(_meta(spark, lake, "drift"), expected, rtol=1e-9)
    assert _meta(spark, lake, "drift").where(F.col("run_date") > F.lit(D)).count() == 0
    # A rerun of D that measures nothing (no champion, too few stores) leaves no stale rows for D.
    drift_step.write(spark, lake, D, None, "run-d-again")
    assert _meta(spark, lake, "drift").count() == 0
