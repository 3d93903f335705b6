"""The outcome of a data-quality gate: one row per expectation, a one-line message, rows for Delta."""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field, replace
from typing import Any

from pyspark.sql import types as T

MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 60

RESULTS_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("table", T.StringType(), False),
    T.StructField("expectation_type", T.StringType(), False),
    T.StructField("column", T.StringType(), True),
    T.StructField("severity", T.StringType(), False),
    T.StructField("success", T.BooleanType(), False),
    T.StructField("observed_value", T.StringType(), True),
    T.StructField("element_count", T.LongType(), True),
    T.StructField("unexpected_count", T.LongType(), True),
    T.StructField("unexpected_percent", T.DoubleType(), True),
    T.StructField("example_values", T.ArrayType(T.StringType(), False), False),
])


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's outcome on one table (a row of `RESULTS_SCHEMA`).

    Attributes:
        run_id: the run that validated.
        table: the suite's name, e.g. "silver.orders".
        expectation_type: e.g. "expect_column_values_to_be_unique".
        column: the column, or the columns joined with ",", or None for a table-level expectation.
        severity: "critical" or "warning".
        success: whether it held (False as well when GX raised while checking it).
        observed_value: GX's observed value as text (aggregate expectations), or the error raised.
        element_count: rows checked (map expectations).
        unexpected_count: rows that broke it (map expectations).
        unexpected_percent: their share of the non-null rows, in percent (map expectations).
        example_values: up to five distinct unexpected values as text, most frequent first.
    """

    run_id: str
    table: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    example_values: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short sentence: table, expectation, column, what was observed and example values."""
        head = f"{self.table}: {self.expectation_type}({self.column or ''}) failed"
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            pct = _percent(self.unexpected_count, self.element_count, self.unexpected_percent)
            text = f"{head}: {self.unexpected_count} unexpected{of}{pct}"
        elif self.observed_value is not None and self.observed_value.startswith("error: "):
            text = f"{head} with an {self.observed_value}"
        elif self.observed_value is not None:
            text = f"{head}: observed {self.observed_value}"
        else:
            text = head
        if self.example_values:
            text += ", e.g. " + ", ".join(self.example_values)
        return text


def _percent(count: int, total: int | None, reported: float | None) -> str:
    # Out of all rows when GX counted them, so "3 of 1200 (0.25%)" reads consistently.
    value = 100.0 * count / total if total else reported
    return "" if value is None else f" ({value:.3g}%)"


def format_value(value: Any) -> str:
    """Renders an unexpected value as short text (compound keys as "(a, b)")."""
    if isinstance(value, dict):
        value = tuple(value.values())
    if isinstance(value, (list, tuple)):
        text = "(" + ", ".join(format_value(v) for v in value) + ")"
    elif isinstance(value, (datetime.date, datetime.datetime)):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


@dataclass
class QualityReport:
    """The results of one gate run.

    Attributes:
        run_id: the run that validated.
        results: one `ExpectationResult` per expectation, tables in name order, suite order within.
        gx_results: GX's own validation results by table, kept for Data Docs.
        seconds: wall time spent validating each table (for the run log, not for publishing).
    """

    run_id: str
    results: list[ExpectationResult] = field(default_factory=list)
    gx_results: dict[str, Any] = field(default_factory=dict, repr=False)
    seconds: dict[str, float] = field(default_factory=dict)

    def failures(self, severity: str | None = "critical") -> list[ExpectationResult]:
        """The expectations that did not hold.

        Args:
            severity: only those of this severity; None for all.
        """
        return [r for r in self.results if not r.success and (severity is None or r.severity == severity)]

    @property
    def passed(self) -> bool:
        """True when no critical expectation failed (warnings do not stop a run)."""
        return not self.failures("critical")

    def with_severities(self, overrides: dict[str, str]) -> "QualityReport":
        """A copy with severities set from configuration.

        Args:
            overrides: keys are a suite ("silver.orders") or one expectation of it
                ("silver.orders:expect_column_values_to_be_unique(order_id)"); values "critical" or
                "warning". The more specific key wins.
        """
        def pick(r: ExpectationResult) -> str:
            key = f"{r.table}:{r.expectation_type}({r.column or ''})"
            return overrides.get(key, overrides.get(r.table, r.severity))

        results = [replace(r, severity=pick(r)) for r in self.results]
        return QualityReport(self.run_id, results, self.gx_results, self.seconds)

    def to_rows(self) -> list[tuple]:
        """The results as tuples in the field order of `RESULTS_SCHEMA`, ready for createDataFrame."""
        return [
            (r.run_id, r.table, r.expectation_type, r.column, r.severity, r.success, r.observed_value,
             r.element_count, r.unexpected_count, r.unexpected_percent, list(r.example_values))
            for r in self.results
        ]

    def message(self) -> str:
        """One line naming every failing critical expectation, or saying that all held."""
        failed = self.failures("critical")
        if not failed:
            warnings = len(self.failures("warning"))
            return (f"data quality: all {len(self.results)} expectations on {len(self.gx_results)} tables "
                    f"passed the gate ({warnings} warnings)")
        return f"data quality gate failed ({len(failed)} critical): " + "; ".join(r.describe() for r in failed)
