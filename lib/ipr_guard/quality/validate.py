"""Runs expectation suites against Spark DataFrames with an ephemeral Great Expectations context."""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from pyspark import StorageLevel
from pyspark.sql import DataFrame

from ipr_guard.quality.report import MAX_EXAMPLES, ExpectationResult, QualityReport, format_value
from ipr_guard.quality.suites import severity

log = logging.getLogger(__name__)

# SUMMARY gives counts and a few example values; GX limits those examples in Spark before collecting.
# Never COMPLETE, and no index columns or unexpected rows: nothing row-sized reaches the driver.
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_EXAMPLES,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}


def new_context() -> Any:
    """An ephemeral GX context with progress bars and analytics off (nothing is written or sent)."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.enable_analytics(False)
    return context


def _fresh_copy(suite: gx.ExpectationSuite, name: str) -> gx.ExpectationSuite:
    """A copy without ids, named after the table: the caller's suite can be validated any number of
    times, in any context, and one suite can check several frames in one call."""
    data = suite.to_json_dict()
    expectations = [{k: v for k, v in e.items() if k not in ("id", "rendered_content")} for e in data["expectations"]]
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=dict(suite.meta or {}))


def _column(kwargs: dict) -> str | None:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ",".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def _error(exception_info: Any) -> str | None:
    """GX's exception info is flat for some failures and keyed by metric for others."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            lines = str(info.get("exception_message") or "").strip().splitlines()
            text = lines[0] if lines else "unknown error"
            return "error: " + (text[len("Error: "):] if text.startswith("Error: ") else text)
    return None


def _observed(result: dict) -> str | None:
    mismatched = (result.get("details") or {}).get("mismatched")
    if mismatched and mismatched.get("missing"):
        # Table columns: the missing ones are the news (extra columns, e.g. lineage, are allowed).
        return "missing columns " + ", ".join(map(str, mismatched["missing"]))
    if "observed_value" not in result:
        return None
    return format_value(result["observed_value"])


def _examples(result: dict) -> tuple[str, ...]:
    counts = result.get("partial_unexpected_counts") or []
    values = [c["value"] for c in counts if "value" in c] or list(result.get("partial_unexpected_list") or [])
    out: list[str] = []
    for value in values:
        text = format_value(value)
        if text not in out:
            out.append(text)
    return tuple(out[:MAX_EXAMPLES])


PARTIAL_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list")


def _scrub_personal_values(evr: Any) -> None:
    """Drops the example values of an expectation marked `"pii": true` in its meta.

    Such an expectation fails exactly when raw personal data reached a table; its examples would be
    that data, and raw personal data is never written (results table, logs, Data Docs).
    """
    if (evr.expectation_config.meta or {}).get("pii") and evr.result:
        for key in PARTIAL_KEYS:
            if key in evr.result:
                evr.result[key] = []


def _to_result(run_id: str, table: str, evr: Any) -> ExpectationResult:
    _scrub_personal_values(evr)
    config = evr.expectation_config
    result = evr.result or {}
    error = _error(evr.exception_info)
    count = result.get("unexpected_count")
    return ExpectationResult(
        run_id=run_id,
        table=table,
        expectation_type=config.type,
        column=_column(config.kwargs),
        severity=severity(config),
        success=bool(evr.success) and error is None,
        observed_value=error or _observed(result),
        element_count=None if result.get("element_count") is None else int(result["element_count"]),
        unexpected_count=None if count is None else int(count),
        unexpected_percent=None if result.get("unexpected_percent") is None else float(result["unexpected_percent"]),
        example_values=_examples(result),
    )


def _validate_one(context: Any, table: str, df: DataFrame, suite: gx.ExpectationSuite, run_id: str,
                  driver_max_rows: int) -> Any:
    added = context.suites.add(_fresh_copy(suite, table))
    # GX evaluates each expectation with its own Spark job(s): cache the frame once for all of them,
    # unless the caller already did (then the caller also decides when to release it).
    cached_here = df.storageLevel == StorageLevel.NONE
    if cached_here:
        df.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        # A night's batch is usually small: one job brings it to the driver and GX's pandas engine checks
        # it there in milliseconds, where the Spark engine runs two or three jobs per expectation (about
        # 8x slower on a tiny day). At most driver_max_rows + 1 rows ever reach the driver; a larger
        # frame is checked in Spark.
        data: Any = df.limit(driver_max_rows + 1).toPandas() if driver_max_rows > 0 else None
        engine = "pandas" if data is not None and len(data) <= driver_max_rows else "spark"
        if engine == "spark":
            data = df
        asset = context.data_sources.get(engine).add_dataframe_asset(name=table)
        batch = asset.add_batch_definition_whole_dataframe(table)
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=added))
        evrs = definition.run(batch_parameters={"dataframe": data}, result_format=RESULT_FORMAT,
                              run_id=RunIdentifier(run_name=run_id))
    finally:
        if cached_here:
            df.unpersist()
    if len(evrs.results) != len(added.expectations):
        raise RuntimeError(f"{table}: GX returned {len(evrs.results)} results for "
                           f"{len(added.expectations)} expectations")
    # Results in the suite file's order, so reports and rows read like the file.
    order = {e.id: i for i, e in enumerate(added.expectations)}
    evrs.results.sort(key=lambda r: order.get(r.expectation_config.id, len(order)))
    return evrs, engine


def validate_frames(frames: dict[str, DataFrame], suites: dict[str, gx.ExpectationSuite],
                    run_id: str, parallel: int = 1, driver_max_rows: int = 0) -> QualityReport:
    """Validates each frame against the suite of the same name.

    Args:
        frames: DataFrames by suite name (e.g. {"silver.orders": df}); suites without a frame are
            not run, so one suite folder serves the silver gate and the gold gate.
        suites: suites by name, as from `load_suites`.
        run_id: recorded on every result row and as the GX run name.
        parallel: tables validated at once, each in its own thread and GX context. GX runs one or
            more small Spark jobs per expectation and waits on each from Python, so one table at a
            time leaves cores idle; results come back in table order whatever the setting.
        driver_max_rows: a frame of at most this many rows is collected once and checked by GX's pandas
            engine; a larger one (or every frame, with 0) by its Spark engine. Both engines give the
            same results for the project's suites (tests/unit/test_quality.py checks both).

    Returns:
        The report: one row per expectation, GX's results for Data Docs, seconds per table.

    Raises:
        KeyError: a frame has no suite of its name (a misspelt name must not skip the gate).
        RuntimeError: GX returned another number of results than the suite holds.
    """
    unknown = sorted(set(frames) - set(suites))
    if unknown:
        raise KeyError(f"no expectation suite for {', '.join(unknown)} (have: {', '.join(sorted(suites))})")

    def validate_table(table: str) -> tuple[Any, float]:
        # A context per table: cheap (milliseconds; the cost is in Spark), not shared between threads,
        # and no names clash between the gates of one run or between runs in one process.
        context = new_context()
        context.data_sources.add_spark(name="spark", persist=False)
        context.data_sources.add_pandas(name="pandas")
        started = time.perf_counter()
        evrs, engine = _validate_one(context, table, frames[table], suites[table], run_id, driver_max_rows)
        seconds = round(time.perf_counter() - started, 3)
        log.info("validated %s with %d expectations in %.1fs (%s)", table, len(evrs.results), seconds, engine)
        return evrs, seconds

    tables = sorted(frames)
    with ThreadPoolExecutor(max_workers=min(parallel, len(tables)) or 1,
                            thread_name_prefix="gx") as pool:
        outcomes = list(pool.map(validate_table, tables))
    report = QualityReport(run_id=run_id)
    for table, (evrs, seconds) in zip(tables, outcomes):
        report.gx_results[table] = evrs
        report.results.extend(_to_result(run_id, table, evr) for evr in evrs.results)
        report.seconds[table] = seconds
    return report
