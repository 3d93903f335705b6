"""Which model scored a run date, or why the list is the policy rules' alone: one sentence for people.

Pure: the registry reader (`registry.scoring_status`) fills these records from what MLflow already holds
(version tags and the training run's validation metrics), so the nightly summary and the report say the
same thing without a Spark job. Nothing here imports MLflow or Spark.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SKIPPED = "skipped"  # the `training_outcome` tag of a training that registered nothing


@dataclass(frozen=True)
class Training:
    """One training attempt, as the registry records it.

    Attributes:
        run_date: the run date it trained for (None when the version carries no run_date tag).
        version: the registered version, or None when nothing was registered (too few labelled examples).
        alias: the alias given at registration (`champion` or `challenger`); None when nothing was.
        reason: the promotion gate's sentence, or why nothing was trained.
        metrics: validation figures recorded at registration (pr_auc, precision, recall, positives,
            negatives); empty when none were recorded.
        threshold: the operating threshold those figures were measured at.
        validation_note: why its validation window was not the configured one, or why it held too few
            positives to judge the model; empty when neither.
    """

    run_date: dt.date | None
    version: str | None
    alias: str | None = None
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    validation_note: str = ""


@dataclass(frozen=True)
class ScoringStatus:
    """What scored a run date and the registry's latest word before it.

    Attributes:
        model_name: the registered model's name.
        scored_by: the version whose scores the list used, with its figures; None: policy rules only.
        last_training: the latest training attempt for a run date on or before the run date, if any.
    """

    model_name: str
    scored_by: Training | None
    last_training: Training | None = None


def validation_figures(t: Training) -> str:
    """'validation PR-AUC 0.91, precision 0.95 and recall 0.80 at threshold 0.5 (40 positives / 300 negatives)'."""
    m = t.metrics
    if not all(k in m for k in ("pr_auc", "precision", "recall")):
        return "validation figures not recorded"
    at = f" at threshold {t.threshold:g}" if t.threshold is not None else ""
    counts = f" ({int(m['positives'])} positives / {int(m['negatives'])} negatives)" \
        if "positives" in m and "negatives" in m else ""
    note = f"; {t.validation_note}" if t.validation_note else ""
    return (f"validation PR-AUC {m['pr_auc']:.2f}, precision {m['precision']:.2f} and recall "
            f"{m['recall']:.2f}{at}{counts}{note}")


def _attempt(t: Training) -> str:
    if t.version is None:
        return f"the last training, for {t.run_date}, registered nothing: {t.reason or 'no reason recorded'}"
    return (f"the last training, v{t.version} for {t.run_date}, was not promoted: "
            f"{t.reason or 'no reason recorded'} ({validation_figures(t)})")


def describe(status: ScoringStatus) -> str:
    """One sentence: the model that scored and its validation figures, or 'policy rules only' and why.

    Examples:
        'ipr_guard_counterfeit_seller v2, champion trained for 2026-10-20: validation PR-AUC 0.91, ...'
        'policy rules only: no champion yet; the last training, v1 for 2026-10-21, was not promoted: ...'
    """
    s, last = status.scored_by, status.last_training
    if s is not None:
        text = (f"{status.model_name} v{s.version}, champion trained for {s.run_date}: {validation_figures(s)}"
                if s.run_date else f"{status.model_name} v{s.version}: {validation_figures(s)}")
        # A later training that did not replace the champion is worth a word: the list did not change.
        if last is not None and last.version != s.version and last.alias != "champion" \
                and (s.run_date is None or (last.run_date is not None and last.run_date >= s.run_date)):
            text += f"; {_attempt(last)}"
        return text
    if last is None:
        return "policy rules only: no champion registered yet (no model trained so far)"
    if last.alias == "champion":
        # Seen only when a report is rebuilt for a date its champion did not score.
        return f"policy rules only: v{last.version} for {last.run_date} was not used for this run date"
    return f"policy rules only: no champion registered yet; {_attempt(last)}"
