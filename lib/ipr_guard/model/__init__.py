"""The counterfeit-seller classifier: training, MLflow tracking, the model registry and scoring.

Modules:
    tracking: where MLflow keeps runs, models and artifacts (`configure_tracking`).
    training: the time split, the candidate pipelines (GBT and a logistic baseline) and `evaluate`.
    registry: `train_and_register` and `training_reason` (the train job; each training run logs the PR
        curve, score distribution and feature importance, `ipr_guard.charts`), `load_champion` and `score`
        (the nightly), `scoring_status` (the summary and the report).
    promotion: registry primitives (look-ups by alias and run date, aliasing, registering), the gate
        (`decide`) and `promote` (the promote job).
    drift: quantile-bin baselines, bin assignment and PSI of the champion's inputs and score.

Nothing here is imported by `ipr_guard.model` itself, so importing the package does not import MLflow.
"""
