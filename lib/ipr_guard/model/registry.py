"""The registered counterfeit-seller classifier: train and register it, load the champion, score with it.

`train_and_register` (the train job) trains both candidates, logs one MLflow run, registers the better
one as `challenger` and records the gate's verdict with it; `promotion.promote` (the promote job) applies
the gate and moves `champion` to it when it earns it. A run date's model is registered
once: a rerun for the same run date finds the version tagged with that date and returns its outcome
without training again. `training_reason` tells the train job whether and why the champion is due for
retraining (there is none, its age, or drift flagged on the last published night). `scoring_status` reads
back which version scored a run date and the latest training before it, for the run summary and the report.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession

from ipr_guard import charts
from ipr_guard.config import Config, ModelConfig
from ipr_guard.model.drift import NightDrift
from ipr_guard.model.promotion import (CHALLENGER, CHAMPION, NO_CHAMPION, Decision, _not_found,
                                       alias_of, decide, ensure_alias, load_version, register_version,
                                       validation_metrics, version_by_alias, version_for_run_date)
from ipr_guard.model.status import SKIPPED, ScoringStatus, Training
from ipr_guard.model.tracking import EXPERIMENT_NAME, client_for, configure_tracking, quiet_mlflow, store_exists
from ipr_guard.model.training import (KEY_COLS, MODEL_TYPES, assembled_features, evaluate, feature_importance,
                                      TimeSplit, day_label_counts, fit_candidates, plan_split,
                                      score_label_counts, score_sample, split_at, threshold_for_precision,
                                      with_score)

__all__ = ["CHALLENGER", "CHAMPION", "TrainOutcome", "load_champion", "record_skipped_training", "score",
           "scoring_status", "train_and_register", "training_reason"]

log = logging.getLogger(__name__)

ARTIFACT_PATH = "model"


@dataclass(frozen=True)
class TrainOutcome:
    """What a training registered, and the promotion gate's verdict on it.

    Attributes:
        model_name: the registered model's name.
        version: the registered version (a string, as MLflow reports it).
        alias: the alias it holds: `challenger` when registered (`champion` once promoted, on a reuse).
        verdict: the gate's verdict at training time, `champion` (promote it) or `challenger` (keep it out).
        reason: the gate's sentence saying why.
        metrics: the registered model's validation metrics (pr_auc, precision, recall, f1, ...).
        run_id: the MLflow run that trained it.
        threshold: its operating threshold.
        reused: True when the run date's version already existed and nothing was trained.
        model: the fitted pipeline when it was trained now (None when reused), for its drift baseline.
    """

    model_name: str
    version: str
    alias: str
    verdict: str
    reason: str
    metrics: dict[str, float]
    run_id: str
    threshold: float
    reused: bool = False
    model: PipelineModel | None = field(default=None, compare=False, repr=False)


def _reuse(client: MlflowClient, mv: ModelVersion, cfg: Config) -> TrainOutcome:
    if mv.tags.get("promotion_applied") == "false":
        # The earlier run may have stopped between registering and aliasing: finish it (never moving the
        # alias back from a version registered later).
        ensure_alias(client, mv.name, CHALLENGER, mv.version)
    outcome = TrainOutcome(mv.name, str(mv.version), alias_of(client, mv.name, mv.version),
                           mv.tags.get("promotion", CHALLENGER), mv.tags.get("promotion_reason", ""),
                           validation_metrics(client, mv.run_id), mv.run_id,
                           float(mv.tags.get("threshold", cfg.model.operating_threshold)), reused=True)
    log.info("model %s v%s was already registered for run date %s (%s); reusing it", outcome.model_name,
             outcome.version, mv.tags.get("run_date"), outcome.alias)
    return outcome


def _champion_verdict(client: MlflowClient, cfg: Config, validation: DataFrame,
                      new: dict[str, float]) -> tuple[Decision, dict[str, float], dict[str, str]]:
    """The gate's verdict, with the champion (if any) evaluated on the same validation data.

    Returns the decision, the champion's metrics (empty when it was not compared) and the tags that let
    the promote job apply the gate later: which champion was compared, and why not when it could not be.
    """
    name, threshold = cfg.model.name, cfg.model.operating_threshold
    mv = version_by_alias(client, name, CHAMPION)
    if mv is None:
        return decide(new, None, cfg.model), {}, {"champion_at_training": NO_CHAMPION}
    at_training = {"champion_at_training": str(mv.version)}
    champion = load_version(name, str(mv.version))
    missing = sorted(set(assembled_features(champion)) - set(validation.columns))
    if missing:
        # The feature set changed: the champion cannot be compared, so only the gate applies.
        why = f"champion v{mv.version} cannot score this validation data (it needs {', '.join(missing)})"
        return decide(new, None, cfg.model, no_champion=why), {}, {**at_training, "comparison_note": why}
    old = evaluate(champion, validation, threshold)
    return decide(new, (str(mv.version), old), cfg.model), old, at_training


def operating_threshold(model: PipelineModel, validation: DataFrame, m: ModelConfig) -> tuple[float, str]:
    """A model's operating threshold and, when the target was not reached, why the configured one stands.

    With `model.target_precision` set, the threshold is the lowest on a 0.001 grid whose flagged
    validation rows reach that precision against the labels (so it follows the model and the data rather
    than a constant); without one, or when no threshold reaches it, `model.operating_threshold`.
    """
    if m.target_precision is None:
        return m.operating_threshold, ""
    found = threshold_for_precision(score_label_counts(model, validation), m.target_precision)
    if found is None:
        return m.operating_threshold, (f"no threshold reaches precision {m.target_precision:g} on validation: "
                                       f"the configured operating_threshold {m.operating_threshold:g} stands")
    return found, ""


def _log_plots(model: PipelineModel, validation: DataFrame, feature_cols: list[str], cfg: Config) -> None:
    # The report's own figures, so a training run's plots read like the model section of the report.
    sample = score_sample(model, validation, seed=cfg.model.seed)
    t = cfg.model.operating_threshold
    for fig, file in ((charts.pr_curve_figure(charts.score_counts(sample), t, empty_text="no validation rows"),
                       "plots/pr_curve.png"),
                      (charts.score_distribution_figure(charts.score_bins_by_label(sample), t),
                       "plots/score_distribution.png"),
                      (charts.feature_importance_figure(feature_importance(model, feature_cols)),
                       "plots/feature_importance.png")):
        mlflow.log_figure(fig, file)


def _signature(model: PipelineModel, train: DataFrame, feature_cols: list[str]):
    sample = train.select(*feature_cols).limit(5)
    scores = with_score(model.transform(sample)).select("score").toPandas()
    return infer_signature(sample.toPandas(), pd.DataFrame({"score": scores["score"].astype(float)}))


def train_and_register(spark: SparkSession, cfg: Config, run_date: dt.date, examples: DataFrame,
                       feature_cols: list[str], table_versions: dict[str, int], *,
                       gbt_max_iter: int = 50, split: TimeSplit | None = None) -> TrainOutcome:
    """Trains, logs and registers the run date's classifier as `challenger`, with the gate's verdict.

    Splits `examples` by time, fits the GBT and logistic-regression candidates, keeps the one with the
    higher validation PR-AUC, logs one MLflow run (`train-<run_date>`) with both candidates' metrics, the
    champion's on the same validation data, plots and the chosen pipeline, registers it under
    `cfg.model.name` and points `challenger` at it. The gate's verdict (`promotion.decide`) is tagged on
    the version; `promote` acts on it. A run date already registered is reused, not retrained.

    Args:
        spark: the active session.
        cfg: validated configuration (`cfg.model` and a lakehouse or `model.tracking_uri`).
        run_date: the nightly's run date; tags the run and the version.
        examples: merchant_id, as_of_date, label, segment and the DOUBLE `feature_cols`.
        feature_cols: the model's inputs, in order.
        table_versions: Delta table name -> version the examples were built from (logged for lineage).
        gbt_max_iter: boosting rounds of the GBT candidate.
        split: the time split already planned from these examples (`training.plan_split`); planned here
            from `model.validation_days` and `model.min_validation_positives` when None.

    Returns:
        The registered version, its alias and the gate's verdict with why.

    Raises:
        ValueError: too little data (no validation rows, or a class missing from training).
    """
    del spark  # Spark ML and mlflow.spark use the active session; the argument documents that one must exist.
    m = cfg.model
    configure_tracking(cfg)
    client = client_for(cfg)
    existing = version_for_run_date(client, m.name, run_date)
    if existing is not None:
        return _reuse(client, existing, cfg)

    data = examples.select(*KEY_COLS, "label", "segment", *feature_cols).cache()
    try:
        if split is None:
            split = plan_split(day_label_counts(data), m.validation_days, m.min_validation_positives)
        train, validation = split_at(data, split.cutoff)
        n_train = split.counts[("train", 0)] + split.counts[("train", 1)]
        n_val = split.counts[("validation", 0)] + split.counts[("validation", 1)]
        if n_val == 0:
            raise ValueError(f"no validation examples in the last {split.window_days} days")
        models, pos_weight = fit_candidates(train, feature_cols, m.seed, gbt_max_iter)
        thresholds = {key: operating_threshold(model, validation, m) for key, model in models.items()}
        candidates = {key: evaluate(model, validation, thresholds[key][0]) for key, model in models.items()}
        # Ties go to the GBT (listed first): max keeps the first of equal keys.
        chosen = max(candidates, key=lambda key: candidates[key]["pr_auc"])
        new = candidates[chosen]
        # From here on the chosen model's threshold is the operating threshold: the gate, the plots and
        # the version's `threshold` tag (which scoring reads) all use it.
        m = replace(m, operating_threshold=thresholds[chosen][0])
        cfg = replace(cfg, model=m)
        decision, champion_metrics, compared = _champion_verdict(client, cfg, validation, new)
        # `promotion` is the gate's verdict; `promotion_applied` says whether the promote job has acted on it.
        tags = {"run_date": run_date.isoformat(), "threshold": str(m.operating_threshold),
                "promotion": decision.alias, "promotion_reason": decision.reason, "promotion_applied": "false",
                "validation_window_days": str(split.window_days), **compared}
        notes = [n for n in (split.note, thresholds[chosen][1]) if n]
        if notes:
            tags["validation_note"] = "; ".join(notes)

        with mlflow.start_run(run_name=f"train-{run_date.isoformat()}", tags={"run_date": run_date.isoformat()}) as run:
            mlflow.log_params({
                "candidate_models": ",".join(MODEL_TYPES.values()), "chosen_model": MODEL_TYPES[chosen],
                "features": ",".join(feature_cols), "n_features": len(feature_cols),
                "train_rows": n_train, "validation_rows": n_val, "train_positive_weight": round(pos_weight, 6),
                "validation_positives": int(new["positives"]), "validation_negatives": int(new["negatives"]),
                "seed": m.seed, "threshold": m.operating_threshold, "validation_days": m.validation_days,
                "validation_window_days": split.window_days, "validation_cutoff": split.cutoff.isoformat(),
                "min_validation_positives": m.min_validation_positives, "gbt_max_iter": gbt_max_iter,
                "target_precision": m.target_precision,
                **{f"table_version.{name}": version for name, version in sorted(table_versions.items())},
            })
            mlflow.log_metrics({**{f"{key}_{k}": v for key, ms in candidates.items() for k, v in ms.items()},
                                **{f"champion_{k}": v for k, v in champion_metrics.items()}, **new})
            _log_plots(models[chosen], validation, feature_cols, cfg)
            with quiet_mlflow():
                mlflow.spark.log_model(
                    models[chosen], ARTIFACT_PATH, signature=_signature(models[chosen], train, feature_cols),
                    # Explicit requirements: inferring them reloads the model in a fresh Spark process.
                    pip_requirements=mlflow.spark.get_default_pip_requirements())
            mv = register_version(client, m.name, mlflow.get_artifact_uri(ARTIFACT_PATH), run.info.run_id, tags)
            mlflow.set_tags({**tags, "registered_model": m.name, "registered_version": str(mv.version)})
    finally:
        data.unpersist()

    ensure_alias(client, m.name, CHALLENGER, str(mv.version))
    log.info("model %s v%s (%s, run date %s) registered as challenger; the gate says %s: %s", m.name, mv.version,
             MODEL_TYPES[chosen], run_date, decision.alias, decision.reason)
    return TrainOutcome(m.name, str(mv.version), CHALLENGER, decision.alias, decision.reason, dict(new),
                        run.info.run_id, m.operating_threshold, model=models[chosen])


def load_champion(spark: SparkSession, cfg: Config) -> tuple[PipelineModel, str, str, float] | None:
    """The champion pipeline, its registered name, version and operating threshold; None if there is none.

    Args:
        spark: the active session (the pipeline is loaded into it).
        cfg: validated configuration (tracking store, model name, default threshold).
    """
    del spark  # mlflow.spark loads into the active session; the argument documents that one must exist.
    if not store_exists(cfg):
        return None
    configure_tracking(cfg)
    name = cfg.model.name
    mv = version_by_alias(client_for(cfg), name, CHAMPION)
    if mv is None:
        return None
    model = load_version(name, str(mv.version))
    threshold = float(mv.tags.get("threshold", cfg.model.operating_threshold))
    return model, name, str(mv.version), threshold


def score(model: PipelineModel, features_df: DataFrame) -> DataFrame:
    """`features_df` plus `score` DOUBLE (probability of class 1), scored by `model.transform`.

    The model's intermediate columns (feature vectors, raw prediction, probability, prediction) are
    dropped, so the result is the input's columns and `score`.
    """
    scored = model.transform(features_df)
    added = [c for c in scored.columns if c not in features_df.columns]
    return with_score(scored).drop(*added)


def training_reason(cfg: Config, run_date: dt.date, drift: NightDrift | None = None) -> str | None:
    """Why a nightly for `run_date` must train, or None when the champion stays as it is.

    Training is due when there is no champion, when it is at least `model.retrain_every_days` old, or
    (with `drift.retrain_on_drift`) when the last published night's drift check flagged the score or a
    watched input of the current champion. At most one model per run date is trained either way (a rerun
    reuses it), so drift that persists retrains once a night until a new champion clears it.

    Args:
        cfg: validated configuration.
        run_date: the nightly's run date.
        drift: the last published night's drift check (`drift_step.last_published_drift`), if any.
    """
    configure_tracking(cfg)
    mv = version_by_alias(client_for(cfg), cfg.model.name, CHAMPION)
    if mv is None or "run_date" not in mv.tags:
        return "no champion yet"
    age = (run_date - dt.date.fromisoformat(mv.tags["run_date"])).days
    if age >= cfg.model.retrain_every_days:
        return f"champion v{mv.version} is {age} days old (model.retrain_every_days {cfg.model.retrain_every_days})"
    if (cfg.drift.retrain_on_drift and drift is not None and drift.flagged
            and drift.model_version == str(mv.version)):
        return drift.reason()
    return None


def record_skipped_training(cfg: Config, run_date: dt.date, reason: str) -> None:
    """Records that training for `run_date` registered nothing, and why, as a tagged MLflow run.

    The run (`train-<run_date>-skipped`, tags run_date, training_outcome=skipped, reason) holds no model;
    it lets the summary and the report of a later rules-only night say why there is no champion. A rerun
    for the same run date updates the reason of the existing run instead of adding one.

    Args:
        cfg: validated configuration (tracking store).
        run_date: the nightly's run date.
        reason: one sentence with counts only (never a store or personal value).
    """
    configure_tracking(cfg)
    client = client_for(cfg)
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    day = run_date.isoformat()
    found = client.search_runs([experiment.experiment_id], max_results=1, filter_string=(
        f"tags.run_date = '{day}' AND tags.training_outcome = '{SKIPPED}'"))
    if found:
        client.set_tag(found[0].info.run_id, "reason", reason)
        return
    run = client.create_run(experiment.experiment_id, run_name=f"train-{day}-skipped",
                            tags={"run_date": day, "training_outcome": SKIPPED, "reason": reason})
    client.set_terminated(run.info.run_id)


def _unregistered(cfg: Config, version: str) -> Training:
    """A version gold names but the registry does not hold: known by its number only."""
    return Training(None, str(version), threshold=cfg.model.operating_threshold)


def _run_date(tags: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(tags.get("run_date", ""))
    except ValueError:
        return None


def _version_training(client: MlflowClient, mv: ModelVersion, cfg: Config) -> Training:
    """A registered version with the validation figures its training run logged."""
    threshold = float(mv.tags.get("threshold", cfg.model.operating_threshold))
    alias, reason = mv.tags.get("promotion"), mv.tags.get("promotion_reason", "")
    if mv.tags.get("promotion_applied") == "false":
        alias, reason = CHALLENGER, f"awaiting `ipr-guard promote` (the gate at training: {reason})"
    return Training(_run_date(mv.tags), str(mv.version), alias, reason, validation_metrics(client, mv.run_id),
                    threshold, mv.tags.get("validation_note", ""))


def _last_training(client: MlflowClient, cfg: Config, run_date: dt.date) -> Training | None:
    """The latest training attempt for a run date on or before `run_date` (a version beats a skip)."""
    attempts: list[tuple[dt.date, int, object]] = []
    try:
        versions = client.search_model_versions(f"name = '{cfg.model.name}'")
    except MlflowException as e:
        if not _not_found(e):
            raise
        versions = []
    for mv in versions:
        day = _run_date(mv.tags)
        if day is not None and day <= run_date:
            attempts.append((day, 1 + int(mv.version), mv))
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    if experiment is not None:
        for run in client.search_runs([experiment.experiment_id], f"tags.training_outcome = '{SKIPPED}'",
                                      max_results=10_000):
            day = _run_date(run.data.tags)
            if day is not None and day <= run_date:
                attempts.append((day, 0, run))
    if not attempts:
        return None
    day, rank, found = max(attempts, key=lambda a: a[:2])
    if rank:
        return _version_training(client, found, cfg)
    return Training(day, None, reason=found.data.tags.get("reason", ""))


def scoring_status(cfg: Config, run_date: dt.date, version: str | None) -> ScoringStatus:
    """What scored `run_date` and the latest training before it, from what the registry already holds.

    A handful of registry look-ups (no Spark job, no model load): the scoring version's tags and its
    training run's validation metrics, and the versions and skipped trainings tagged with a run date.

    Args:
        cfg: validated configuration (tracking store, model name, default threshold).
        run_date: the run date whose list is described.
        version: the model version that scored it (gold model_version), or None for policy rules only.
    """
    if not store_exists(cfg):
        # Nothing was ever trained here; a version still named by gold came with a copied lakehouse.
        return ScoringStatus(cfg.model.name, None if version is None else _unregistered(cfg, version))
    configure_tracking(cfg)
    client = client_for(cfg)
    scored = None
    if version is not None:
        try:
            scored = _version_training(client, client.get_model_version(cfg.model.name, version), cfg)
        except MlflowException as e:
            if not _not_found(e):
                raise
            # Not in this registry (e.g. a lakehouse copied without its MLflow store): say what is known.
            scored = _unregistered(cfg, version)
    return ScoringStatus(cfg.model.name, scored, _last_training(client, cfg, run_date))
