"""The promote job on a real SQLite MLflow registry, with versions and training runs built by hand.

No model is trained or loaded: the gate reads the figures a training run logged, so each scenario writes
those figures itself and the expected verdicts are worked out from the floors below.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys

import mlflow
import pytest

from ipr_guard.model.promotion import CHALLENGER, CHAMPION, promote, version_by_alias
from ipr_guard.model.registry import scoring_status
from ipr_guard.model.status import describe
from ipr_guard.model.tracking import EXPERIMENT_NAME, client_for, configure_tracking

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 8), dt.date(2026, 11, 15)
GOOD = {"pr_auc": 0.90, "precision": 0.95, "recall": 0.80, "positives": 40.0, "negatives": 300.0}


@pytest.fixture()
def reg(cfg, tmp_path):
    previous = mlflow.get_tracking_uri()
    model = dataclasses.replace(cfg.model, min_pr_auc=0.5, min_precision=0.7, min_recall=0.5,
                                operating_threshold=0.5, promotion_margin=0.02)
    c = dataclasses.replace(cfg, lakehouse=str(tmp_path / "lh"), model=model)
    configure_tracking(c)
    client_for(c).create_registered_model(c.model.name)
    yield c
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


def _trained(c, day: dt.date, metrics: dict[str, float], champion_at_training: str = "none",
             champion_metrics: dict[str, float] | None = None, verdict: str = CHAMPION) -> str:
    """A version as the train job leaves it: a run with its figures, tags, `challenger`, not yet promoted."""
    client = client_for(c)
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME).experiment_id
    run = client.create_run(experiment, run_name=f"train-{day}")
    for key, value in {**metrics, **{f"champion_{k}": v for k, v in (champion_metrics or {}).items()}}.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id)
    tags = {"run_date": day.isoformat(), "threshold": "0.5", "promotion": verdict,
            "promotion_reason": "the gate at training", "promotion_applied": "false",
            "champion_at_training": champion_at_training}
    mv = client.create_model_version(c.model.name, "file:///nowhere", run_id=run.info.run_id, tags=tags)
    client.set_registered_model_alias(c.model.name, CHALLENGER, mv.version)
    return str(mv.version)


def _alias(c, alias: str) -> str | None:
    mv = version_by_alias(client_for(c), c.model.name, alias)
    return None if mv is None else str(mv.version)


def test_a_first_version_that_meets_the_floors_becomes_champion_once(reg):
    v1 = _trained(reg, D1, GOOD)
    # Before promotion the summary says the training waits for the gate.
    assert "awaiting `ipr-guard promote`" in describe(scoring_status(reg, D1, None))
    done = promote(reg, D1)
    assert (done.version, done.alias, done.changed) == (v1, CHAMPION, True)
    assert done.reason == ("no champion yet, and PR-AUC 0.90, precision 0.95 and recall 0.80 at threshold 0.5 "
                           "meet the minimums")
    assert (_alias(reg, CHAMPION), _alias(reg, CHALLENGER)) == (v1, None)
    tags = client_for(reg).get_model_version(reg.model.name, v1).tags
    assert (tags["promotion"], tags["promotion_applied"], tags["promotion_reason"]) == (CHAMPION, "true", done.reason)
    again = promote(reg, D1)
    assert (again.alias, again.changed) == (CHAMPION, False)


def test_the_gate_is_applied_with_the_config_of_the_promote_job(reg):
    _trained(reg, D1, GOOD)
    strict = dataclasses.replace(reg, model=dataclasses.replace(reg.model, min_precision=0.97))
    kept = promote(strict, D1)
    assert (kept.alias, kept.changed) == (CHALLENGER, False)
    assert kept.reason == "precision 0.95 at threshold 0.5 is under min_precision 0.97"
    assert _alias(reg, CHAMPION) is None
    assert "was not promoted: precision 0.95" in describe(scoring_status(reg, D1, None))


def test_a_version_beats_the_champion_it_was_compared_with_only_by_the_margin(reg):
    v1 = _trained(reg, D1, GOOD)
    promote(reg, D1)
    v2 = _trained(reg, D2, {**GOOD, "pr_auc": 0.91}, champion_at_training=v1, champion_metrics={"pr_auc": 0.90})
    close = promote(reg, D2)
    assert close.alias == CHALLENGER and close.reason == (
        f"PR-AUC 0.91 vs champion v{v1}'s 0.90 on the same validation data is a gain of 0.01 < margin 0.02")
    v3 = _trained(reg, D3, {**GOOD, "pr_auc": 0.95}, champion_at_training=v1, champion_metrics={"pr_auc": 0.90})
    win = promote(reg, D3)
    assert (win.version, win.alias, win.changed) == (v3, CHAMPION, True)
    assert win.reason == f"PR-AUC 0.95 beats champion v{v1}'s 0.90 on the same validation data by 0.05 >= margin 0.02"
    assert (_alias(reg, CHAMPION), _alias(reg, CHALLENGER)) == (v3, None)
    assert v2 != v3


def test_a_stale_comparison_or_an_older_version_never_moves_the_champion(reg):
    v1 = _trained(reg, D1, GOOD)
    v2 = _trained(reg, D2, GOOD)  # trained while there was no champion either
    assert promote(reg, D1).alias == CHAMPION
    stale = promote(reg, D2)
    assert (stale.version, stale.alias) == (v2, CHALLENGER)
    assert stale.reason == (f"not judged: it was compared with no champion at training and the champion is now "
                            f"v{v1}; train again for a later date to compare them on the same validation data")
    # Promote v3 over v1, then ask again for the older v2: the champion is never moved back.
    _trained(reg, D3, {**GOOD, "pr_auc": 0.99}, champion_at_training=v1, champion_metrics={"pr_auc": 0.5})
    assert promote(reg, D3).changed
    older = promote(reg, D2)
    assert older.alias == CHALLENGER and older.reason == "not judged: v3, registered later, is champion"
    assert _alias(reg, CHAMPION) == "3"


def test_the_command_says_what_it_did_and_exits_0_without_a_version(reg, tmp_path):
    _trained(reg, D1, GOOD)
    base = [sys.executable, "-m", "ipr_guard.cli", "promote", "--lakehouse", reg.lakehouse,
            "--set", "model.min_pr_auc=0.5", "--set", "model.min_precision=0.7", "--set", "model.min_recall=0.5",
            "--set", "model.operating_threshold=0.5"]
    nothing = subprocess.run(base + ["--date", str(D2)], capture_output=True, text=True, timeout=300)
    assert nothing.returncode == 0, nothing.stderr[-2000:]
    assert nothing.stdout.strip() == (f"promotion: no model of {reg.model.name} was registered for {D2}; the "
                                      "champion is unchanged (run `ipr-guard train` for that date first)")
    done = subprocess.run(base + ["--date", str(D1)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"promotion: model {reg.model.name} v1 is champion: no champion yet, and PR-AUC")
    assert _alias(reg, CHAMPION) == "1"
