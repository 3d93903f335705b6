"""The counterfeit-seller classifier: training, MLflow tracking, the model registry and scoring.

Modules:
    tracking: where MLflow keeps runs, models and artifacts (`configure_tracking`).
    training: the time split, the candidate pipelines (GBT and a logistic baseline) and `evaluate`.
    registry: `train_and_register`, `load_champion`, `score`, `training_reason`: what a nightly calls;
        each training run logs the PR curve, score distribution and feature importance (`ipr_guard.charts`).
    promotion: registry primitives (look-ups by alias and run date, aliasing, registering) and the gate.
    drift: quantile-bin baselines, bin assignment and PSI of the champion's inputs and score.

Nothing here is imported by `ipr_guard.model` itself, so importing the package does not import MLflow.
"""
