"""Training the counterfeit-seller classifier: time split, class weights, candidate pipelines, evaluation.

Examples are one row per (merchant_id, as_of_date) with a 0/1 `label`, a `segment` (e.g. business type)
and numeric DOUBLE feature columns. Every model's output is reduced to one column, `score`: the
probability of class 1.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

# Fixed so that the same rows always land in the same partitions in the same order: tree split
# candidates are sampled per partition, so a different layout could give a different model.
TRAIN_PARTITIONS = 8
KEY_COLS = ("merchant_id", "as_of_date")
GBT, LR = "gbt", "lr"
MODEL_TYPES = {GBT: "GBTClassifier", LR: "LogisticRegression"}


@dataclass(frozen=True)
class TimeSplit:
    """Where examples split by as-of date, and what each side holds.

    Attributes:
        cutoff: validation is `as_of_date > cutoff`, training the rest.
        window_days: the days the validation window spans (`latest - cutoff`); more than the configured
            `validation_days` when the latest days held too few positives.
        counts: examples per (side, label): ("train" | "validation", 0 | 1) -> count.
        note: why the window differs from the configured one, or why validation still holds too few
            positives to judge a model; empty when the configured window held enough.
    """

    cutoff: dt.date
    window_days: int
    counts: dict[tuple[str, int], int]
    note: str = ""


def empty_counts() -> dict[tuple[str, int], int]:
    """Zero examples per (side, label), the shape of `TimeSplit.counts`."""
    return {(side, label): 0 for side in ("train", "validation") for label in (0, 1)}


def plan_split(day_counts: list[tuple[dt.date, int, int]], validation_days: int,
               min_positives: int = 0) -> TimeSplit:
    """Chooses the time split from the examples per as-of date: by time first, then by positives.

    Validation is the latest `validation_days` days. When they hold fewer than `min_positives` positives
    (enforcement pauses for weeks around holidays and campaigns, so the latest days can hold none), the
    window grows back one as-of date at a time until it does, but never takes more than half of all
    positives: training needs them more. Still never random: every validation date follows every training
    date.

    Args:
        day_counts: (as_of_date, positives, negatives) per date, in any order (`day_label_counts`).
        validation_days: the configured window (`model.validation_days`), at least 1.
        min_positives: positives validation needs to judge a model (`model.min_validation_positives`).

    Returns:
        The split: its cutoff, window, counts per side and label, and a note when it is not as configured.

    Raises:
        ValueError: no examples, or `validation_days` < 1.
    """
    if validation_days < 1:
        raise ValueError(f"validation_days must be at least 1, got {validation_days}")
    if not day_counts:
        raise ValueError("no examples to split")
    days = sorted(day_counts)
    latest = days[-1][0]
    total_pos = sum(p for _, p, _ in days)
    configured = latest - dt.timedelta(days=validation_days)

    def positives_after(cutoff: dt.date) -> int:
        return sum(p for d, p, _ in days if d > cutoff)

    cutoff = configured
    # Move the latest training date into validation while validation lacks positives and would still
    # hold at most half of them afterwards.
    for day, _, _ in reversed([row for row in days if row[0] <= configured]):
        if positives_after(cutoff) >= min_positives:
            break
        if 2 * positives_after(day - dt.timedelta(days=1)) > total_pos:
            break
        cutoff = day - dt.timedelta(days=1)
    counts = empty_counts()
    for d, p, n in days:
        side = "validation" if d > cutoff else "train"
        counts[(side, 1)] += p
        counts[(side, 0)] += n
    window = (latest - cutoff).days
    held = counts[("validation", 1)]
    note = ""
    if held < min_positives:
        note = (f"validation holds {held} positives, fewer than the {min_positives} needed to judge a model "
                f"(model.min_validation_positives): the examples hold {total_pos} positives in all and "
                "training keeps at least half of them")
    elif window != validation_days:
        note = (f"validation covers the latest {window} days, not {validation_days}: the latest "
                f"{validation_days} held {positives_after(configured)} positives, fewer than the {min_positives} "
                "needed to judge a model (model.min_validation_positives)")
    return TimeSplit(cutoff, window, counts, note)


def _label_counts(df: DataFrame, key) -> list[tuple]:
    """(key, positives, negatives) per value of `key`: one small row per value reaches the driver."""
    rows = df.groupBy(key).agg(F.sum((F.col("label") == 1.0).cast("long")).alias("pos"),
                               F.sum((F.col("label") != 1.0).cast("long")).alias("neg")).collect()
    return [(r[0], int(r["pos"] or 0), int(r["neg"] or 0)) for r in rows]


def day_label_counts(examples: DataFrame) -> list[tuple[dt.date, int, int]]:
    """(as_of_date, positives, negatives) per as-of date of `examples`: one row per date to the driver."""
    return _label_counts(examples, "as_of_date")


def split_at(examples: DataFrame, cutoff: dt.date) -> tuple[DataFrame, DataFrame]:
    """(train, validation): as-of dates up to `cutoff`, and after it."""
    return examples.where(F.col("as_of_date") <= F.lit(cutoff)), examples.where(F.col("as_of_date") > F.lit(cutoff))


def split_by_time(examples: DataFrame, validation_days: int,
                  min_positives: int = 0) -> tuple[DataFrame, DataFrame]:
    """Splits examples by as-of date as `plan_split` chooses (the latest days validate, the rest train).

    Args:
        examples: the labelled examples (needs `as_of_date` DATE and `label`).
        validation_days: how many of the latest days form the validation set at least.
        min_positives: positives validation should hold (`model.min_validation_positives`).

    Returns:
        (train, validation); either may be empty if the examples span too few days.

    Raises:
        ValueError: no examples, or `validation_days` < 1.
    """
    return split_at(examples, plan_split(day_label_counts(examples), validation_days, min_positives).cutoff)


def with_class_weight(train: DataFrame) -> tuple[DataFrame, float]:
    """Adds `weight`: positives count negatives/positives times, so both classes weigh the same in total.

    Returns:
        (train with `weight` DOUBLE, the positive-class weight).

    Raises:
        ValueError: the training data lacks one of the classes.
    """
    row = train.agg(F.sum(F.when(F.col("label") == 1.0, 1).otherwise(0)).alias("pos"),
                    F.sum(F.when(F.col("label") == 1.0, 0).otherwise(1)).alias("neg")).first()
    pos, neg = int(row["pos"] or 0), int(row["neg"] or 0)
    if pos == 0 or neg == 0:
        raise ValueError(f"training data needs both classes, got {pos} positives and {neg} negatives")
    weight = neg / pos
    return train.withColumn("weight", F.when(F.col("label") == 1.0, F.lit(weight)).otherwise(F.lit(1.0))), weight


def deterministic_layout(df: DataFrame, partitions: int = TRAIN_PARTITIONS) -> DataFrame:
    """The same rows in the same partitions in the same order, whatever the input's layout was."""
    return df.repartition(partitions, "merchant_id").sortWithinPartitions(*KEY_COLS)


def candidate_pipelines(feature_cols: list[str], seed: int, gbt_max_iter: int = 50) -> dict[str, Pipeline]:
    """The two candidates: gradient-boosted trees and a standardized logistic-regression baseline.

    Both read `label` and `weight` and assemble `feature_cols` into `features`.

    Args:
        feature_cols: numeric DOUBLE columns, non-null.
        seed: the trees' random seed (`model.seed`).
        gbt_max_iter: boosting rounds.

    Returns:
        {"gbt": Pipeline, "lr": Pipeline}.
    """
    def assembler() -> VectorAssembler:
        # One per pipeline: a stage object shared by two pipelines would be saved and loaded twice.
        return VectorAssembler(inputCols=list(feature_cols), outputCol="features")

    gbt = GBTClassifier(featuresCol="features", labelCol="label", weightCol="weight", maxIter=gbt_max_iter,
                        maxDepth=4, seed=seed)
    # LR is scale-sensitive (its regularization and convergence), trees are not: only LR gets scaled inputs.
    scaler = StandardScaler(inputCol="features", outputCol="scaled_features", withMean=True, withStd=True)
    lr = LogisticRegression(featuresCol="scaled_features", labelCol="label", weightCol="weight", maxIter=100,
                            regParam=0.01)
    return {
        GBT: Pipeline(stages=[assembler(), gbt]),
        LR: Pipeline(stages=[assembler(), scaler, lr]),
    }


def fit_candidates(train: DataFrame, feature_cols: list[str], seed: int,
                   gbt_max_iter: int = 50) -> tuple[dict[str, PipelineModel], float]:
    """Fits both candidates on the same weighted, deterministically laid-out training data.

    Returns:
        ({"gbt": PipelineModel, "lr": PipelineModel}, the positive-class weight used).
    """
    weighted, pos_weight = with_class_weight(train)
    prepared = deterministic_layout(weighted.select(*KEY_COLS, *feature_cols, "label", "weight")).cache()
    try:
        models = {key: pipe.fit(prepared) for key, pipe in candidate_pipelines(feature_cols, seed,
                                                                               gbt_max_iter).items()}
    finally:
        prepared.unpersist()
    return models, pos_weight


def with_score(predictions: DataFrame) -> DataFrame:
    """Adds `score` DOUBLE, the probability of class 1, from a classifier's `probability` vector."""
    return predictions.withColumn("score", vector_to_array(F.col("probability")).getItem(1).cast("double"))


def metric_key(value: str | None) -> str:
    """A segment value as part of a metric name: lower case, runs of other characters as one `_`."""
    key = re.sub(r"\W+", "_", str(value or "").strip().lower()).strip("_")
    return key or "unknown"


def _ratio(num: float, den: float) -> float:
    # 0.0, not NaN, when nothing was flagged (or nothing was positive): a gate then fails, as it should.
    return float(num) / float(den) if den else 0.0


def _counts(df: DataFrame, threshold: float, *group: str) -> DataFrame:
    flagged = F.col("score") >= threshold
    positive = F.col("label") == 1.0
    return df.groupBy(*group).agg(
        F.sum((flagged & positive).cast("long")).alias("tp"),
        F.sum((flagged & ~positive).cast("long")).alias("fp"),
        F.sum((~flagged & positive).cast("long")).alias("fn"),
        F.sum(positive.cast("long")).alias("pos"),
        F.count(F.lit(1)).alias("n"),
    )


# Candidate thresholds lie on a 0.001 grid: at most 1001 rows of counts reach the driver, however many
# stores validation holds.
THRESHOLD_GRID = 1000


def score_label_counts(model: PipelineModel, df: DataFrame) -> list[tuple[float, int, int]]:
    """(threshold, positives, negatives) of `df` scored by `model`, per 0.001-wide bin of `score`.

    Each bin is named by its lower edge, so a store in bin t is flagged at any threshold up to t.
    """
    lower = (F.floor(F.col("score") * THRESHOLD_GRID) / THRESHOLD_GRID).alias("t")
    return [(float(t), pos, neg) for t, pos, neg in _label_counts(with_score(model.transform(df)), lower)]


def threshold_for_precision(counts: list[tuple[float, int, int]], target: float) -> float | None:
    """The lowest threshold whose flagged rows (`score >= t`) reach precision `target`, or None.

    The lowest such threshold flags the most positives (highest recall) among those precise enough.

    Args:
        counts: (threshold, positives, negatives) per score bin, in any order (`score_label_counts`).
        target: the precision to reach (`model.target_precision`).
    """
    tp = fp = 0
    best = None
    for t, pos, neg in sorted(counts, reverse=True):
        tp, fp = tp + pos, fp + neg
        if tp and tp / (tp + fp) >= target:
            best = t
    return best


def evaluate(model: PipelineModel, df: DataFrame, threshold: float) -> dict[str, float]:
    """Scores `df` with `model` and measures it at the operating threshold.

    Args:
        model: a fitted candidate (or a champion loaded from the registry).
        df: labelled examples with the model's feature columns and `segment`.
        threshold: a store is flagged when `score >= threshold`.

    Returns:
        pr_auc (area under the precision-recall curve of `score`), precision, recall, f1, positives,
        negatives, and segment_<segment>_precision / _recall for each segment value.
    """
    scored = with_score(model.transform(df)).select("label", "segment", "score").cache()
    try:
        evaluator = BinaryClassificationEvaluator(rawPredictionCol="score", labelCol="label",
                                                  metricName="areaUnderPR")
        pr_auc = evaluator.evaluate(scored)
        total = _counts(scored, threshold).first()
        segments = _counts(scored, threshold, "segment").collect()
    finally:
        scored.unpersist()
    tp, fp, fn = total["tp"] or 0, total["fp"] or 0, total["fn"] or 0
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    metrics = {
        "pr_auc": float(pr_auc), "precision": precision, "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall),
        "positives": float(total["pos"] or 0), "negatives": float((total["n"] or 0) - (total["pos"] or 0)),
    }
    for row in sorted(segments, key=lambda r: metric_key(r["segment"])):
        key = metric_key(row["segment"])
        metrics[f"segment_{key}_precision"] = _ratio(row["tp"], row["tp"] + row["fp"])
        metrics[f"segment_{key}_recall"] = _ratio(row["tp"], row["tp"] + row["fn"])
    return metrics


def assembled_features(model: PipelineModel) -> list[str]:
    """The input columns of the pipeline's VectorAssembler, in order (empty without one)."""
    return next((list(s.getInputCols()) for s in model.stages if isinstance(s, VectorAssembler)), [])


def feature_importance(model: PipelineModel, feature_cols: list[str] | None = None) -> pd.DataFrame:
    """Per-feature importance: the trees' importances, or the LR's absolute standardized coefficients.

    Args:
        model: a fitted candidate pipeline (or a champion loaded from the registry).
        feature_cols: its inputs in assembler order; default `assembled_features(model)`.

    Returns:
        pandas frame (feature, importance), most important first (ties in input order).
    """
    if feature_cols is None:
        feature_cols = assembled_features(model)
    last = model.stages[-1]
    if hasattr(last, "featureImportances"):
        values = last.featureImportances.toArray()
    else:
        values = abs(last.coefficients.toArray())
    pdf = pd.DataFrame({"feature": list(feature_cols), "importance": [float(v) for v in values]})
    return pdf.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def score_sample(model: PipelineModel, df: DataFrame, limit: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """(label, score) of up to about `limit` rows of `df`, as pandas, for the plots."""
    n = df.count()
    if n > limit:
        df = df.sample(fraction=limit / n, seed=seed)
    return with_score(model.transform(df)).select("label", "score").toPandas()
