"""Drift of the champion's inputs and scores: quantile bins from training, PSI against each night's stores.

A model's baseline is, for each watched column (its most important inputs and `score`), its labelled
examples' share in each of about 10 quantile bins (which examples: `drift.baseline`, see
pipelines.drift_step). Bins are right-closed, `lower < x <= upper`, the outer
edges -inf and +inf, so any value has a bin; equal quantiles (a feature that is mostly 0) are merged,
which gives a point mass such as "exactly 0" its own bin. Null and NaN values have no bin and are left
out of both distributions: the model's inputs are never null by contract, and a null score means a store
was not scored.

The population stability index of a column is PSI = sum over bins of (a - e) * ln(a / e), with e the
baseline share and a tonight's share. Both shares are floored at `PSI_EPSILON` (1e-4) first, so an empty
bin adds a large but finite term instead of an infinite one; shares are not renormalised after the
floor (its effect is at most about 1e-3 on a 10-bin sum). Rule of thumb: under 0.1 stable, 0.1-0.25 a
shift worth watching, over 0.25 a shift the model was not trained for.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

SCORE = "score"
PSI_EPSILON = 1e-4
N_BINS = 10
BASELINE_COLUMNS = ("feature", "bin", "lower", "upper", "share")
DRIFT_COLUMNS = ("feature", "psi", "rows", "threshold", "flagged")


@dataclass(frozen=True)
class NightDrift:
    """What a published night's drift check found: its run date, the model version, the flagged columns."""

    run_date: dt.date
    model_version: str
    flagged: tuple[str, ...]

    def reason(self) -> str:
        """One phrase for the training log: why this night's drift asks for a new model."""
        return (f"drift on {self.run_date} against v{self.model_version} flagged "
                f"{', '.join(self.flagged)}")


def quantile_edges(df: DataFrame, columns: list[str], bins: int = N_BINS,
                   relative_error: float = 1e-3) -> dict[str, list[float]]:
    """Each column's bin upper edges: its inner quantiles (deduplicated), then +inf.

    One pass over `df` (`approxQuantile` of all columns together). A column that is null everywhere
    gets the single bin (-inf, +inf].

    Args:
        df: the training examples, with `columns` numeric.
        columns: the watched columns.
        bins: how many quantile bins at most (fewer where quantiles coincide).
        relative_error: approxQuantile's tolerance.

    Returns:
        column -> ascending upper edges, the last one +inf.
    """
    probabilities = [i / bins for i in range(1, bins)]
    found = df.select(*[F.col(c).cast("double").alias(c) for c in columns]).approxQuantile(
        list(columns), probabilities, relative_error)
    return {c: sorted({float(q) for q in qs if not math.isnan(q)}) + [math.inf] for c, qs in zip(columns, found)}


def bin_table(edges: dict[str, list[float]]) -> pd.DataFrame:
    """(feature, bin, lower, upper) of every bin of `edges`: bin 0 starts at -inf, the last ends at +inf."""
    rows = []
    for feature, uppers in edges.items():
        lowers = [-math.inf] + list(uppers[:-1])
        rows += [(feature, i, lo, up) for i, (lo, up) in enumerate(zip(lowers, uppers))]
    return pd.DataFrame(rows, columns=["feature", "bin", "lower", "upper"])


def assign_bins(df: DataFrame, edges: dict[str, list[float]]) -> DataFrame:
    """One row per input row and watched column: the bin its value falls in (`lower < x <= upper`).

    Args:
        df: rows holding every column named in `edges` (numeric).
        edges: column -> ascending upper edges, the last +inf (`quantile_edges` or a stored baseline).

    Returns:
        feature STRING, bin INT; bin is null for a null or NaN value (no bin).
    """
    def bin_of(column: str, uppers: list[float]):
        x = F.col(column).cast("double")
        expr = F.when(x.isNull() | F.isnan(x), F.lit(None))
        for i, upper in enumerate(uppers):
            expr = expr.when(x <= F.lit(upper), F.lit(i))
        return F.struct(F.lit(column).alias("feature"), expr.cast("int").alias("bin"))

    pairs = F.array(*[bin_of(c, uppers) for c, uppers in edges.items()])
    return df.select(F.explode(pairs).alias("p")).select(F.col("p.feature").alias("feature"),
                                                          F.col("p.bin").alias("bin"))


def bin_counts(binned: DataFrame) -> DataFrame:
    """feature, bin, rows: how many values fell in each bin (one aggregation); values without a bin are left out."""
    return (binned.where(F.col("bin").isNotNull()).groupBy("feature", "bin")
            .agg(F.count(F.lit(1)).alias("rows")).select("feature", "bin", "rows"))


def baseline_shares(edges: dict[str, list[float]], counts: pd.DataFrame) -> pd.DataFrame:
    """The baseline: every bin of `edges` with its share of the column's non-null training values.

    Args:
        edges: column -> upper edges.
        counts: (feature, bin, rows) of the training examples (`bin_counts`, collected).

    Returns:
        feature, bin, lower, upper, share; a column without values has share 0 everywhere.
    """
    table = bin_table(edges).merge(counts[["feature", "bin", "rows"]], on=["feature", "bin"], how="left")
    table["rows"] = table["rows"].fillna(0).astype(float)
    totals = table.groupby("feature")["rows"].transform("sum")
    table["share"] = np.where(totals > 0, table["rows"] / totals.where(totals > 0, 1.0), 0.0)
    return table[list(BASELINE_COLUMNS)]


def psi(expected: list[float] | np.ndarray, actual: list[float] | np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of two share vectors over the same bins (shares floored at `epsilon`)."""
    e = np.maximum(np.asarray(expected, dtype=float), epsilon)
    a = np.maximum(np.asarray(actual, dtype=float), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_by_feature(baseline: pd.DataFrame, counts: pd.DataFrame, threshold: float,
                   epsilon: float = PSI_EPSILON) -> pd.DataFrame:
    """Each baseline column's PSI tonight and whether it is over `threshold`.

    Args:
        baseline: feature, bin, share (one model version's `baseline_shares`).
        counts: tonight's (feature, bin, rows) over the same edges (`bin_counts`, collected).
        threshold: a column is flagged when its PSI is over this (strictly).
        epsilon: share floor.

    Returns:
        feature, psi, rows (tonight's non-null values), threshold, flagged; most drifted first. Columns
        without a value tonight are left out (nothing to compare).
    """
    merged = baseline[["feature", "bin", "share"]].merge(counts[["feature", "bin", "rows"]], on=["feature", "bin"],
                                                         how="left")
    merged["rows"] = merged["rows"].fillna(0).astype(float)
    out = []
    for feature, g in merged.groupby("feature", sort=True):
        total = g["rows"].sum()
        if total > 0:
            value = psi(g["share"].to_numpy(), (g["rows"] / total).to_numpy(), epsilon)
            out.append((feature, value, int(total), float(threshold), bool(value > threshold)))
    table = pd.DataFrame(out, columns=list(DRIFT_COLUMNS))
    return table.sort_values(["psi", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def summary(table: pd.DataFrame, model_name: str, model_version: str) -> str:
    """The night's one line: the largest PSI, against which model, how many columns are over threshold."""
    if table.empty:
        return f"drift: nothing measured against {model_name} v{model_version}"
    top = table.iloc[0]
    return (f"drift: max PSI {top['psi']:.3f} ({top['feature']}) against {model_name} v{model_version}; "
            f"{int(table['flagged'].sum())} features over threshold {float(top['threshold']):g}")
