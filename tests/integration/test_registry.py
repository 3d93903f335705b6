"""Slower registry scenarios: a changed feature set, and a model trained on labels that carry no signal."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import mlflow
import pytest

from ipr_guard.model.promotion import promote
from ipr_guard.model.registry import CHALLENGER, CHAMPION, load_champion, train_and_register
from ipr_guard.model.tracking import client_for
from tests.fixtures import FEATURES, model_rows

SCHEMA = ("merchant_id string, as_of_date date, label double, segment string, upheld_notices double, "
          "price_gap double, noise double")


@pytest.fixture()
def fresh(cfg, tmp_path):
    previous = mlflow.get_tracking_uri()
    # Floors fixed here, not taken from conf: the scenarios below are about these values.
    model = dataclasses.replace(cfg.model, min_pr_auc=0.5, min_precision=0.7, min_recall=0.5, operating_threshold=0.5)
    yield dataclasses.replace(cfg, lakehouse=str(tmp_path / "lh"), model=model)
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


def _alias(c, alias):
    return str(client_for(c).get_model_version_by_alias(c.model.name, alias).version)


def test_changed_features_then_noise_labels(spark, fresh):
    examples = spark.createDataFrame(model_rows(), SCHEMA)
    first = train_and_register(spark, fresh, dt.date(2026, 11, 1), examples, FEATURES, {}, gbt_max_iter=20)
    # Training registers a challenger with the gate's verdict; only the promote job moves `champion`.
    assert (first.version, first.alias, first.verdict) == ("1", CHALLENGER, CHAMPION)
    assert _alias(fresh, CHALLENGER) == "1" and load_champion(spark, fresh) is None
    promoted = promote(fresh, dt.date(2026, 11, 1))
    assert (promoted.version, promoted.alias, promoted.changed) == ("1", CHAMPION, True)
    assert promoted.reason.startswith("no champion yet, and PR-AUC")
    assert _alias(fresh, CHAMPION) == "1"

    # v1 needs `noise`, which the new examples no longer carry: only the gate can decide.
    fewer = ["upheld_notices", "price_gap"]
    second = train_and_register(spark, fresh, dt.date(2026, 11, 8), examples.drop("noise"), fewer, {},
                                gbt_max_iter=20)
    assert (second.version, second.verdict) == ("2", CHAMPION) and _alias(fresh, CHAMPION) == "1"
    assert second.reason.startswith("champion v1 cannot score this validation data (it needs noise)")
    promoted = promote(fresh, dt.date(2026, 11, 8))
    assert promoted.alias == CHAMPION and _alias(fresh, CHAMPION) == "2"
    assert promoted.reason.startswith("champion v1 cannot score this validation data (it needs noise)")

    # Labels shuffled against the features: the new model cannot pass the gate, v2 stays champion.
    rows = model_rows(seed=8)
    labels = [r[2] for r in rows]
    random.Random(5).shuffle(labels)
    noise = spark.createDataFrame([(r[0], r[1], lab, *r[3:]) for r, lab in zip(rows, labels)], SCHEMA)
    third = train_and_register(spark, fresh, dt.date(2026, 11, 15), noise.drop("noise"), fewer, {},
                               gbt_max_iter=20)
    assert third.verdict == CHALLENGER and "is under min_" in third.reason
    kept = promote(fresh, dt.date(2026, 11, 15))
    assert (kept.version, kept.alias, kept.changed) == ("3", CHALLENGER, False) and "is under min_" in kept.reason
    assert _alias(fresh, CHAMPION) == "2" and _alias(fresh, CHALLENGER) == third.version
    assert load_champion(spark, fresh)[2] == "2"
