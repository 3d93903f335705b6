"""Vectorised JSON Lines and Parquet encoding of generated rows, field by field from the contract.

Rows arrive as pandas frames whose columns use compact internal codes, so that millions of rows never
pass through Python one by one:

- identifiers (``*_id`` fields named in `ID_PREFIX`) are int64 numbers, -1 for null, written as the
  prefix followed by the number ("O1000000042");
- money (NUMBER fields) is int64 cents, written with two decimals so it always reads as a JSON number
  with a fraction ("12.50"), never as an integer;
- timestamps are int64 epoch seconds, -1 for null, written in ISO-8601 with "+08:00", or in UTC with
  "Z" where the row's zulu flag is set;
- free text is a string column (object or Arrow), escaped for JSON here.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipr_guard.generate.clock import DAY, SHANGHAI_OFFSET
from ipr_guard.schema import BOOL, INT, NUMBER, STRING, STRING_ARRAY, TIMESTAMP, Field, Table

ID_PREFIX = {
    "merchant_id": "M", "brand_id": "BR", "listing_id": "L", "order_id": "O", "buyer_id": "B",
    "reporter_id": "R", "complaint_id": "C", "takedown_id": "T", "test_buy_id": "TB", "action_id": "EA",
    "request_id": "PR",
}

# Unknown fields some upstream systems add; the contract says readers ignore them.
EXTRA_FIELDS = ("", ',"_debug":1', ',"source_system":"x"', ',"source_system":"erp-cn-2","_op":"u"',
                ',"_trace":{"span":"a1f3","retries":0}')

_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


@functools.cache
def _clock_vocab() -> pa.Array:
    """"HH:MM:SS" for every second of a day, indexed by second of day."""
    text = np.datetime_as_string(np.arange(DAY).astype("datetime64[s]"))
    return pc.utf8_slice_codeunits(pa.array(text), 11)


def format_ids(values: np.ndarray, field_name: str) -> pa.Array:
    """Identifier strings from their numbers (null where negative)."""
    values = np.asarray(values, dtype=np.int64)
    text = pc.binary_join_element_wise(ID_PREFIX[field_name], pc.cast(pa.array(values), pa.string()), "")
    return pc.if_else(pa.array(values < 0), pa.scalar(None, pa.string()), text)


def timestamp_text(ts: np.ndarray, zulu: np.ndarray) -> pa.Array:
    """ISO-8601 text of epoch seconds, "+08:00" or "Z" per row, null where the instant is -1."""
    ts = np.asarray(ts, dtype=np.int64)
    null = ts < 0
    local = np.where(zulu, ts, ts + SHANGHAI_OFFSET)
    local[null] = 0
    days = local // DAY
    lo = int(days.min()) if len(days) else 0
    hi = int(days.max()) if len(days) else 0
    date_vocab = pa.array(np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]")))
    date = pc.take(date_vocab, pa.array(days - lo))
    clock = pc.take(_clock_vocab(), pa.array(local % DAY))
    suffix = pc.if_else(pa.array(np.asarray(zulu, dtype=bool)), "Z", "+08:00")
    text = pc.binary_join_element_wise(date, "T", clock, suffix, "")
    return pc.if_else(pa.array(null), pa.scalar(None, pa.string()), text)


def money_text(cents: np.ndarray) -> pa.Array:
    """Yuan with two decimals from int64 cents (non-negative)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, ".", frac, "")


def _as_strings(values) -> pa.Array:
    if isinstance(values, pd.Series):
        values = values.array
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _quote(text: pa.Array) -> pa.Array:
    for raw, escaped in _JSON_ESCAPES:
        text = pc.replace_substring(text, raw, escaped)
    return pc.binary_join_element_wise('"', text, '"', "")


def _is_id_column(field: Field, values) -> bool:
    return field.name in ID_PREFIX and np.issubdtype(np.asarray(values).dtype, np.integer)


def json_values(values, field: Field, zulu: np.ndarray) -> pa.Array:
    """The JSON text of one field for every row ("null" for a null)."""
    if field.kind == STRING:
        text = format_ids(values, field.name) if _is_id_column(field, values) else _as_strings(values)
        out = _quote(text)
    elif field.kind == INT:
        out = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    elif field.kind == NUMBER:
        out = money_text(values)
    elif field.kind == TIMESTAMP:
        out = pc.binary_join_element_wise('"', timestamp_text(values, zulu), '"', "")
    elif field.kind == BOOL:
        out = pc.take(pa.array(["false", "true"]), pa.array(np.asarray(values, dtype=np.int8)))
    elif field.kind == STRING_ARRAY:
        out = pa.array([json.dumps(list(v), ensure_ascii=False, separators=(",", ":")) for v in values])
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f"unknown field kind {field.kind}")
    return pc.fill_null(out, "null")


def json_lines(rows: pd.DataFrame, table: Table, zulu: np.ndarray, extra: np.ndarray) -> pa.Array:
    """One compact JSON object per row, in contract field order, each ending with a newline.

    Args:
        rows: the rows, one column per contract field, in the internal codes described above.
        table: the contract table.
        zulu: per row, write timestamps in UTC ("Z") rather than "+08:00".
        extra: per row, an index into `EXTRA_FIELDS` (0 = no unknown field).
    """
    pieces: list = []
    for i, field in enumerate(table.fields):
        pieces.append(("{" if i == 0 else ",") + f'"{field.name}":')
        pieces.append(json_values(rows[field.name].to_numpy(), field, zulu))
    pieces.append(pc.take(pa.array(EXTRA_FIELDS), pa.array(np.asarray(extra, dtype=np.int8))))
    pieces.append("}\n")
    return pc.binary_join_element_wise(*pieces, "")


def joined_bytes(lines: pa.Array) -> bytes:
    """The UTF-8 bytes of all strings of an Arrow string array, back to back."""
    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])


def parquet_table(rows: pd.DataFrame, table: Table, zulu: np.ndarray) -> pa.Table:
    """The rows as an Arrow table with the contract's fields, timestamps kept as ISO text."""
    columns = {}
    for field in table.fields:
        values = rows[field.name].to_numpy()
        if field.kind == STRING:
            columns[field.name] = format_ids(values, field.name) if _is_id_column(field, values) \
                else _as_strings(values)
        elif field.kind == INT:
            columns[field.name] = pa.array(values.astype(np.int64))
        elif field.kind == NUMBER:
            columns[field.name] = pa.array(values.astype(np.int64) / 100.0)
        elif field.kind == TIMESTAMP:
            columns[field.name] = timestamp_text(values, zulu)
        elif field.kind == BOOL:
            columns[field.name] = pa.array(values.astype(bool))
        else:
            columns[field.name] = pa.array([list(v) for v in values], type=pa.list_(pa.string()))
    return pa.table(columns)
