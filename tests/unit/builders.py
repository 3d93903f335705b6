"""Small hand-made silver frames for unit tests.

Rows are dicts of contract fields; a missing field is null, lineage columns get harmless defaults.
Timestamps may be written as ISO-8601 strings with an offset or `Z` (never naive: PySpark would read a
naive datetime in the machine's local time zone), dates as `YYYY-MM-DD`.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from ipr_guard.schema import LINEAGE_COLUMNS, TABLES, silver_schema

LINEAGE_DEFAULTS = {
    "_ingest_date": datetime.date(2026, 10, 31),
    "_source_file": "test.jsonl",
    "_ingest_run_id": "test-run",
}


def ts(text: str) -> datetime.datetime:
    """An aware datetime from ISO-8601 text with an offset or `Z`."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no offset; write it in UTC with Z")
    return value


def _coerce(value: Any, data_type: T.DataType) -> Any:
    if isinstance(value, str) and isinstance(data_type, T.TimestampType):
        return ts(value)
    if isinstance(value, str) and isinstance(data_type, T.DateType):
        return datetime.date.fromisoformat(value)
    return value


def silver_df(spark: SparkSession, table: str, rows: Iterable[dict]) -> DataFrame:
    """A silver-shaped DataFrame of `table` (contract fields plus lineage) holding `rows`.

    Args:
        spark: the test session.
        table: a table name from `ipr_guard.schema.TABLES`.
        rows: dicts of field values; unknown keys are an error so typos do not pass silently.
    """
    schema = silver_schema(TABLES[table])
    names = schema.fieldNames()
    data = []
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"{table} has no fields {sorted(unknown)}")
        full = {**LINEAGE_DEFAULTS, "_line_number": i, **row}
        data.append(tuple(_coerce(full.get(f.name), f.dataType) for f in schema.fields))
    assert set(LINEAGE_COLUMNS) <= set(names)
    return spark.createDataFrame(data, schema)
