"""Registry primitives and the promotion gate: look-ups by alias and run date, aliasing, registering,
`decide`, and `promote` (the promote job: the gate applied to a run date's version, then `champion`).

Versions are marked with aliases (`champion`, `challenger`), never stages. Each version carries the tags
`run_date` (the run date it was trained for; one version per run date), `threshold` (its operating
threshold), `promotion` and `promotion_reason` (the gate's verdict: at training, then as the promote job
applied it), `promotion_applied` (whether the promote job has acted) and `champion_at_training` (the
champion it was compared with, or `none`; `comparison_note` says why when it could not be).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.ml import PipelineModel

from ipr_guard.config import Config, ModelConfig
from ipr_guard.model.tracking import client_for, configure_tracking, quiet_mlflow
from ipr_guard.model.training import MODEL_TYPES

log = logging.getLogger(__name__)

CHAMPION, CHALLENGER = "champion", "challenger"
NO_CHAMPION = "none"  # the `champion_at_training` tag of a version trained when there was no champion
# Metrics of a training run that are not the registered candidate's own: each candidate's, the champion's.
METRIC_PREFIXES = tuple(f"{key}_" for key in MODEL_TYPES) + ("champion_",)


@dataclass(frozen=True)
class Decision:
    """Which alias a new version gets, and one sentence saying why."""

    alias: str
    reason: str


def _not_found(e: MlflowException) -> bool:
    # A missing alias is reported as INVALID_PARAMETER_VALUE by the SQL store, a missing model as
    # RESOURCE_DOES_NOT_EXIST.
    return e.error_code == "RESOURCE_DOES_NOT_EXIST" or "not found" in str(e.message)


def version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version `alias` points at, or None (no such alias, or no such registered model)."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as e:
        if _not_found(e):
            return None
        raise


def version_for_run_date(client: MlflowClient, name: str, run_date: dt.date) -> ModelVersion | None:
    """The version registered for `run_date` (the newest, should there be more than one), or None."""
    found = client.search_model_versions(f"name = '{name}' AND tags.run_date = '{run_date.isoformat()}'")
    return max(found, key=lambda mv: int(mv.version), default=None)


def register_version(client: MlflowClient, name: str, source: str, run_id: str, tags: dict[str, str]) -> ModelVersion:
    """A new version of `name` (created if missing) from the logged model's artifact location.

    The client calls, not `mlflow.register_model`: that one prints progress to stderr.
    """
    try:
        client.create_registered_model(name, description="Counterfeit-seller classifier (ipr_guard)")
    except MlflowException as e:
        if e.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    return client.create_model_version(name, source, run_id=run_id, tags=tags)


def ensure_alias(client: MlflowClient, name: str, alias: str, version: str) -> None:
    """Points `alias` at `version` unless it already points at that version or a newer one.

    A rerun after a crash between registering a version and aliasing it finishes the job, but never
    moves an alias back from a version registered later.
    """
    current = version_by_alias(client, name, alias)
    if current is None or int(current.version) < int(version):
        client.set_registered_model_alias(name, alias, version)


def decide(new: dict[str, float], champion: tuple[str, dict[str, float]] | None, m: ModelConfig,
           no_champion: str = "no champion yet") -> Decision:
    """The promotion gate.

    A new model can be champion only if its validation PR-AUC, precision and recall (at the operating
    threshold) reach `min_pr_auc`, `min_precision` and `min_recall`, on validation data holding at least
    `min_validation_positives` positives; if there is a champion, its PR-AUC
    on the same validation data plus `promotion_margin` must also be reached.

    Args:
        new: the new model's validation metrics (pr_auc, precision, recall).
        champion: (version, its metrics on the same validation data), or None when there is none.
        m: the model configuration.
        no_champion: why there is nothing to compare with, when `champion` is None.
    """
    t = m.operating_threshold
    misses = [f"{label} {new[key]:.2f}{where} is under {limit_name} {limit:g}"
              for key, label, where, limit_name, limit in (
                  ("pr_auc", "PR-AUC", "", "min_pr_auc", m.min_pr_auc),
                  ("precision", "precision", f" at threshold {t:g}", "min_precision", m.min_precision),
                  ("recall", "recall", f" at threshold {t:g}", "min_recall", m.min_recall))
              if new[key] < limit]
    held = new.get("positives")
    if held is not None and held < m.min_validation_positives:
        # Figures on a handful of positives say little: one more closure swings precision and recall.
        misses.append(f"validation holds {int(held)} positives, under min_validation_positives "
                      f"{m.min_validation_positives}: too few to judge it")
    if misses:
        return Decision(CHALLENGER, "; ".join(misses))
    if champion is None:
        return Decision(CHAMPION, f"{no_champion}, and PR-AUC {new['pr_auc']:.2f}, precision "
                                  f"{new['precision']:.2f} and recall {new['recall']:.2f} at threshold {t:g} "
                                  "meet the minimums")
    version, old = champion
    gain = new["pr_auc"] - old["pr_auc"]
    if gain >= m.promotion_margin:
        return Decision(CHAMPION, f"PR-AUC {new['pr_auc']:.2f} beats champion v{version}'s {old['pr_auc']:.2f} "
                                  f"on the same validation data by {gain:.2f} >= margin {m.promotion_margin:g}")
    return Decision(CHALLENGER, f"PR-AUC {new['pr_auc']:.2f} vs champion v{version}'s {old['pr_auc']:.2f} on "
                                f"the same validation data is a gain of {gain:.2f} < margin {m.promotion_margin:g}")


def load_version(name: str, version: str) -> PipelineModel:
    """Loads a registered version's Spark pipeline (tracking must be configured).

    Callers resolve an alias to a version first and load that version, so the version they report is
    the one they loaded even if the alias moves in between.
    """
    with quiet_mlflow():
        return mlflow.spark.load_model(f"models:/{name}/{version}")


def alias_of(client: MlflowClient, name: str, version: str) -> str:
    """`champion` when the alias points at `version`, else `challenger`."""
    champion = version_by_alias(client, name, CHAMPION)
    return CHAMPION if champion is not None and str(champion.version) == str(version) else CHALLENGER


def validation_metrics(client: MlflowClient, run_id: str | None) -> dict[str, float]:
    """The registered candidate's validation metrics from its training run (not the other candidates')."""
    if not run_id:
        return {}
    try:
        metrics = client.get_run(run_id).data.metrics
    except MlflowException as e:
        if not _not_found(e):
            raise
        return {}
    return {k: v for k, v in metrics.items() if not k.startswith(METRIC_PREFIXES)}


@dataclass(frozen=True)
class Promotion:
    """What the promote job did for a run date's version.

    Attributes:
        model_name: the registered model's name.
        version: the run date's version, or None when none was registered for it.
        alias: the alias it holds afterwards (`champion` or `challenger`; "" without a version).
        reason: one sentence saying why.
        changed: True when `champion` moved to it now.
    """

    model_name: str
    version: str | None
    alias: str
    reason: str
    changed: bool = False

    def summary(self) -> str:
        if self.version is None:
            return f"promotion: {self.reason}"
        return f"promotion: model {self.model_name} v{self.version} is {self.alias}: {self.reason}"


def _gate(client: MlflowClient, cfg: Config, mv: ModelVersion) -> Decision | str:
    """The gate applied now, with the current config, to what training measured; or why it cannot be.

    The champion's figures are those measured on the version's own validation data at training; they
    count only if that champion still holds the alias.
    """
    metrics = client.get_run(mv.run_id).data.metrics if mv.run_id else {}
    new = {k: v for k, v in metrics.items() if not k.startswith(METRIC_PREFIXES)}
    if not all(k in new for k in ("pr_auc", "precision", "recall")):
        return f"its training run {mv.run_id} holds no validation figures"
    old = {k.removeprefix("champion_"): v for k, v in metrics.items() if k.startswith("champion_")}
    # Precision and recall were measured at the version's own threshold.
    m = replace(cfg.model, operating_threshold=float(mv.tags.get("threshold", cfg.model.operating_threshold)))
    current = version_by_alias(client, mv.name, CHAMPION)
    now = str(current.version) if current is not None else NO_CHAMPION
    at_training = mv.tags.get("champion_at_training", NO_CHAMPION)
    if now != at_training:
        if current is not None and int(current.version) > int(mv.version):
            return f"v{current.version}, registered later, is champion"
        was = f"v{at_training}" if at_training != NO_CHAMPION else "no champion"
        return (f"it was compared with {was} at training and the champion is now v{now}; train again for a "
                "later date to compare them on the same validation data")
    if current is None:
        return decide(new, None, m)
    if not old:
        return decide(new, None, m, no_champion=mv.tags.get("comparison_note", f"champion v{now} was not compared"))
    return decide(new, (now, old), m)


def promote(cfg: Config, run_date: dt.date) -> Promotion:
    """Applies the promotion gate to the version trained for `run_date` and moves `champion` to it if it passes.

    The gate (`promotion.decide`, with the current `model` config) reads the validation figures the
    training run logged, the champion's included; no model is loaded and no Spark job runs. A version
    that fails stays `challenger`; the champion is never moved back to an older version. Running it
    again changes nothing.

    Args:
        cfg: validated configuration (tracking store, model name, the gate's floors and margin).
        run_date: the training run date whose version is judged.
    """
    configure_tracking(cfg)
    client = client_for(cfg)
    name = cfg.model.name
    try:
        mv = version_for_run_date(client, name, run_date)
    except MlflowException as e:
        if not _not_found(e):
            raise
        mv = None
    if mv is None:
        return Promotion(name, None, "", f"no model of {name} was registered for {run_date}; the champion is "
                                         "unchanged (run `ipr-guard train` for that date first)")
    version = str(mv.version)
    if alias_of(client, name, version) == CHAMPION:
        return Promotion(name, version, CHAMPION, mv.tags.get("promotion_reason", "already champion"))
    verdict = _gate(client, cfg, mv)
    if isinstance(verdict, str):
        decision = Decision(CHALLENGER, f"not judged: {verdict}")
    else:
        decision = verdict
    if decision.alias == CHAMPION:
        client.set_registered_model_alias(name, CHAMPION, version)
        challenger = version_by_alias(client, name, CHALLENGER)
        if challenger is not None and str(challenger.version) == version:
            # `challenger` names a version waiting for, or refused, promotion; this one is neither now.
            client.delete_registered_model_alias(name, CHALLENGER)
    for key, value in (("promotion", decision.alias), ("promotion_reason", decision.reason),
                       ("promotion_applied", "true")):
        client.set_model_version_tag(name, version, key, value)
    log.info("model %s v%s (run date %s) is %s: %s", name, version, run_date, decision.alias, decision.reason)
    return Promotion(name, version, decision.alias, decision.reason, changed=decision.alias == CHAMPION)
