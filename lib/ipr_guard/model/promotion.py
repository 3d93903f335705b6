"""Registry primitives: version look-ups by alias and by run date, aliasing, registering, the promotion gate.

Versions are marked with aliases (`champion`, `challenger`), never stages. Each version carries the tags
`run_date` (the run date it was trained for; one version per run date), `threshold` (its operating
threshold), `promotion` (the alias it was given when registered) and `promotion_reason`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.ml import PipelineModel

from ipr_guard.config import ModelConfig
from ipr_guard.model.tracking import quiet_mlflow

CHAMPION, CHALLENGER = "champion", "challenger"


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
    threshold) reach `min_pr_auc`, `min_precision` and `min_recall`; if there is a champion, its PR-AUC
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
