"""Which model scored, or why the list is rules-only: the sentence, the run summary, the report and the registry.

The sentences are checked on hand-built records; the registry reader on a real MLflow SQLite store filled
by hand (versions with tags, a training run with its metrics, a skipped training), without Spark.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import mlflow
import pandas as pd

from ipr_guard.model.registry import CHALLENGER, CHAMPION, load_champion, record_skipped_training, scoring_status
from ipr_guard.model.status import ScoringStatus, Training, describe
from ipr_guard.model.tracking import client_for, configure_tracking
from ipr_guard.pipelines.nightly import RunResult
from ipr_guard.reports import ReportData, render_report

NAME = "ipr_guard_counterfeit_seller"
D20, D27, D31 = dt.date(2026, 10, 20), dt.date(2026, 10, 27), dt.date(2026, 10, 31)
FIGURES = {"pr_auc": 0.912, "precision": 0.95, "recall": 0.8, "f1": 0.87, "positives": 40.0, "negatives": 300.0}
CHAMP = Training(D20, "2", CHAMPION, "no champion yet, and ...", FIGURES, 0.5)
GATED = Training(D27, "3", CHALLENGER, "PR-AUC 0.00 is under min_pr_auc 0.5",
                 {"pr_auc": 0.0, "precision": 0.0, "recall": 0.0, "positives": 0.0, "negatives": 120.0}, 0.2)
SKIP = Training(D27, None, reason="not enough labelled examples (train 1 positive / 30 negative, "
                                  "validation 0 positive / 12 negative)")


def test_a_champion_is_named_with_its_validation_figures():
    assert describe(ScoringStatus(NAME, CHAMP, CHAMP)) == (
        "ipr_guard_counterfeit_seller v2, champion trained for 2026-10-20: validation PR-AUC 0.91, precision 0.95 "
        "and recall 0.80 at threshold 0.5 (40 positives / 300 negatives)")


def test_a_later_training_that_stayed_challenger_is_mentioned_after_the_champion():
    assert describe(ScoringStatus(NAME, CHAMP, GATED)).endswith(
        "(40 positives / 300 negatives); the last training, v3 for 2026-10-27, was not promoted: PR-AUC 0.00 is "
        "under min_pr_auc 0.5 (validation PR-AUC 0.00, precision 0.00 and recall 0.00 at threshold 0.2 "
        "(0 positives / 120 negatives))")


def test_rules_only_says_why():
    assert describe(ScoringStatus(NAME, None, None)) == \
        "policy rules only: no champion registered yet (no model trained so far)"
    assert describe(ScoringStatus(NAME, None, GATED)) == (
        "policy rules only: no champion registered yet; the last training, v3 for 2026-10-27, was not promoted: "
        "PR-AUC 0.00 is under min_pr_auc 0.5 (validation PR-AUC 0.00, precision 0.00 and recall 0.00 at "
        "threshold 0.2 (0 positives / 120 negatives))")
    assert describe(ScoringStatus(NAME, None, SKIP)) == (
        "policy rules only: no champion registered yet; the last training, for 2026-10-27, registered nothing: "
        "not enough labelled examples (train 1 positive / 30 negative, validation 0 positive / 12 negative)")


def test_a_version_without_recorded_figures_says_so():
    unknown = Training(None, "7", threshold=0.5)
    assert describe(ScoringStatus(NAME, unknown, None)) == \
        "ipr_guard_counterfeit_seller v7: validation figures not recorded"


def test_the_run_summary_carries_the_sentence():
    result = RunResult("run-1", D31, "published", model=describe(ScoringStatus(NAME, None, SKIP)))
    assert "  scored by: policy rules only: no champion registered yet; the last training, for 2026-10-27" \
        in result.summary()


def test_the_report_says_what_scored_in_the_summary_and_the_model_section():
    status = describe(ScoringStatus(NAME, None, GATED))
    page = render_report(ReportData(run_date=D31, candidates=pd.DataFrame(), kpis=pd.DataFrame(columns=["kpi_date"]),
                                    model_status=status))
    summary = page.split('<h2 id="summary">', 1)[1].split("<h2>", 1)[0]
    model = page.split('<h2 id="model-quality">', 1)[1].split("<h2", 1)[0]
    expected = "Scored by: policy rules only: no champion registered yet; the last training, v3 for 2026-10-27, " \
               "was not promoted: PR-AUC 0.00 is under min_pr_auc 0.5"
    assert expected in summary and expected in model and "No model yet" in model


def _registered(client, run_date: dt.date, alias: str, metrics: dict, threshold: float, reason: str) -> str:
    with mlflow.start_run(run_name=f"train-{run_date}") as run:
        mlflow.log_metrics({**metrics, "gbt_pr_auc": 0.99, "champion_pr_auc": 0.98})
    try:
        client.create_registered_model(NAME)
    except mlflow.exceptions.MlflowException:
        pass
    mv = client.create_model_version(NAME, "file:///nowhere", run_id=run.info.run_id, tags={
        "run_date": run_date.isoformat(), "threshold": str(threshold), "promotion": alias,
        "promotion_reason": reason})
    if alias == CHAMPION:
        client.set_registered_model_alias(NAME, CHAMPION, mv.version)
    return str(mv.version)


def test_the_registry_reader_finds_the_scoring_version_and_the_last_training(cfg, tmp_path):
    c = dataclasses.replace(cfg.with_paths(lakehouse=str(tmp_path / "lake")),
                            model=dataclasses.replace(cfg.model, name=NAME))
    configure_tracking(c)
    client = client_for(c)
    assert scoring_status(c, D31, None) == ScoringStatus(NAME, None, None)
    record_skipped_training(c, dt.date(2026, 10, 13), "not enough labelled examples (train 0 positive / 4 negative)")
    v1 = _registered(client, D20, CHAMPION, {"pr_auc": 0.9, "precision": 0.8, "recall": 0.7, "positives": 5.0,
                                             "negatives": 50.0}, 0.4, "no champion yet")
    record_skipped_training(c, D27, "first reason")
    record_skipped_training(c, D27, "not enough labelled examples (train 1 positive / 9 negative)")  # a rerun
    _registered(client, D31, CHALLENGER, {"pr_auc": 0.1, "precision": 0.0, "recall": 0.0}, 0.4, "gated")

    # Before the champion: the skip of 2026-10-13 is the latest word.
    assert scoring_status(c, dt.date(2026, 10, 19), None) == ScoringStatus(NAME, None, Training(
        dt.date(2026, 10, 13), None, reason="not enough labelled examples (train 0 positive / 4 negative)"))
    status = scoring_status(c, D27, v1)
    assert status.scored_by == Training(D20, v1, CHAMPION, "no champion yet", {
        "pr_auc": 0.9, "precision": 0.8, "recall": 0.7, "positives": 5.0, "negatives": 50.0}, 0.4)
    assert status.last_training == Training(D27, None,
                                            reason="not enough labelled examples (train 1 positive / 9 negative)")
    assert scoring_status(c, D31, v1).last_training.reason == "gated"
    # A version this registry does not hold (a lakehouse copied without its MLflow store).
    assert scoring_status(c, D31, "99").scored_by == Training(None, "99", threshold=c.model.operating_threshold)


def test_a_lakehouse_without_a_store_has_no_champion_and_reading_it_creates_none(cfg, tmp_path):
    # The nightly only reads the registry: on a fresh lakehouse it must not create the SQLite store.
    lake = tmp_path / "fresh"
    c = dataclasses.replace(cfg.with_paths(lakehouse=str(lake)), model=dataclasses.replace(cfg.model, name=NAME))
    assert load_champion(None, c) is None
    assert scoring_status(c, D31, None) == ScoringStatus(NAME, None, None)
    # A version named by gold in a lakehouse copied without its store: known by number only.
    assert scoring_status(c, D31, "3") == ScoringStatus(NAME, Training(None, "3", threshold=c.model.operating_threshold))
    assert not (lake / "mlflow").exists()
    # Once a job has created the store, it is read as before.
    configure_tracking(c)
    assert (lake / "mlflow" / "mlflow.db").is_file() and load_champion(None, c) is None
