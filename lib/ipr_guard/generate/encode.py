"""Vectorised JSON Lines and Parquet encoding of generated rows, field by field from the contract.

Rows are a mapping of column name to a numpy or Arrow array (`Rows`), using compact internal codes so
that millions of rows never pass through Python one by one:

- identifiers (fields named in `ID_PREFIX`) are int64 numbers, -1 for null, written as the prefix
  followed by the number ("O1000000042");
- money (NUMBER fields) is int64 cents, written with two decimals so it always reads as a JSON number
  with a fraction ("12.50"), never as an integer;
- timestamps are int64 epoch seconds, -1 for null, written in ISO-8601 with "+08:00", or in UTC with
  "Z" where the row's zulu flag is set;
- other strings are Arrow string arrays or numpy object arrays (None for null), escaped here.
"""
from __future__ import annotations

import functools
import json
from typing import Mapping, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipr_guard.generate.clock import DAY, SHANGHAI_OFFSET
from ipr_guard.schema import BOOL, INT, NUMBER, STRING, STRING_ARRAY, TIMESTAMP, Field, Table

Column = Union[np.ndarray, pa.Array]
Rows = Mapping[str, Column]

ID_PREFIX = {
    "merchant_id": "M", "brand_id": "BR", "listing_id": "L", "order_id": "O", "buyer_id": "B",
    "reporter_id": "R", "complaint_id": "C", "takedown_id": "T", "test_buy_id": "TB", "action_id": "EA",
    "request_id": "PR",
}

# Unknown fields some upstream systems add; the contract says readers ignore them.
EXTRA_FIELDS = ("", ',"_debug":1', ',"source_system":"x"', ',"source_system":"erp-cn-2","_op":"u"',
                ',"_trace":{"span":"a1f3","retries":0}')

_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_NEEDS_ESCAPE = r'["\\\n\r\t]'
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NULL = pa.scalar(None, pa.string())


def labels(vocab, codes: np.ndarray) -> pa.DictionaryArray:
    """Strings from small integer codes into `vocab`, null where the code is -1 (the cheap way to carry
    millions of values drawn from a short list: each distinct string is encoded once)."""
    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocab), type=pa.string()))


def take(rows: Rows, index: np.ndarray) -> dict[str, Column]:
    """The given rows (by position) of every column."""
    index = np.asarray(index, dtype=np.int64)
    return {k: pc.take(v, pa.array(index)) if isinstance(v, pa.Array) else np.asarray(v)[index]
            for k, v in rows.items()}


def concat(*parts: Rows) -> dict[str, Column]:
    """Rows of several parts with the same columns, one after the other."""
    out = {}
    for k, first in parts[0].items():
        values = [p[k] for p in parts]
        out[k] = pa.concat_arrays(values) if isinstance(first, pa.Array) else np.concatenate(values)
    return out


def n_rows(rows: Rows) -> int:
    return len(next(iter(rows.values())))


def hex64(values: np.ndarray) -> pa.Array:
    """16 lowercase hex digits of each unsigned 64-bit value."""
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    nibbles = ((np.asarray(values, dtype=np.uint64)[:, None] >> shifts) & np.uint64(15)).astype(np.uint8)
    return pa.array(_HEX_DIGITS[nibbles].view("S16").ravel()).cast(pa.string())


@functools.cache
def _clock_vocab() -> pa.Array:
    """"HH:MM:SS" for every second of a day, indexed by second of day."""
    two = pa.array([f"{i:02d}" for i in range(60)])
    second = np.arange(DAY)
    return pc.binary_join_element_wise(pc.take(two, second // 3600), pc.take(two, second // 60 % 60),
                                       pc.take(two, second % 60), ":")


def format_ids(values: np.ndarray, field_name: str, quote: str = "") -> pa.Array:
    """Identifier strings from their numbers (null where negative), optionally between quotes."""
    values = np.asarray(values, dtype=np.int64)
    number = pc.cast(pa.array(values), pa.string())
    text = pc.binary_join_element_wise(quote + ID_PREFIX[field_name], number, quote, "")
    return pc.if_else(pa.array(values < 0), _NULL, text) if (values < 0).any() else text


def timestamp_text(ts: np.ndarray, zulu: np.ndarray, quote: str = "") -> pa.Array:
    """ISO-8601 text of epoch seconds, "+08:00" or "Z" per row, null where the instant is -1; optionally
    between quotes (done in the same pass, as timestamps are the bulk of a row)."""
    ts = np.asarray(ts, dtype=np.int64)
    null = ts < 0
    local = np.where(zulu, ts, ts + SHANGHAI_OFFSET)
    local[null] = 0
    days = local // DAY
    lo, hi = (int(days.min()), int(days.max())) if len(days) else (0, 0)
    date_vocab = pa.array(np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]")))
    date = pc.take(date_vocab, pa.array(days - lo))
    clock = pc.take(_clock_vocab(), pa.array(local % DAY))
    suffix = pc.take(pa.array(["+08:00" + quote, "Z" + quote]), pa.array(np.asarray(zulu, dtype=np.int8)))
    text = pc.binary_join_element_wise(quote, date, "T", clock, suffix, "")
    return pc.if_else(pa.array(null), _NULL, text) if null.any() else text


@functools.cache
def _cents_vocab() -> pa.Array:
    return pa.array([f".{c:02d}" for c in range(100)])


def money_text(cents: np.ndarray) -> pa.Array:
    """Yuan with two decimals from int64 cents (non-negative)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    return pc.binary_join_element_wise(whole, pc.take(_cents_vocab(), pa.array(cents % 100)), "")


def _strings(values: Column) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray):
        return values.cast(pa.string())
    return values if isinstance(values, pa.Array) else pa.array(values, type=pa.string(), from_pandas=True)


def _is_ids(field: Field, values: Column) -> bool:
    return field.name in ID_PREFIX and isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer)


def _quote(text: pa.Array) -> pa.Array:
    if pc.any(pc.match_substring_regex(text, _NEEDS_ESCAPE)).as_py():
        for raw, escaped in _JSON_ESCAPES:
            text = pc.replace_substring(text, raw, escaped)
    return pc.binary_join_element_wise('"', text, '"', "")


def json_values(values: Column, field: Field, zulu: np.ndarray) -> pa.Array:
    """The JSON text of one field for every row ("null" for a null)."""
    if field.kind == STRING and _is_ids(field, values):
        out = format_ids(values, field.name, quote='"')
    elif field.kind == STRING and isinstance(values, pa.DictionaryArray):
        out = pc.take(_quote(values.dictionary), values.indices)
    elif field.kind == STRING:
        out = _quote(_strings(values))
    elif field.kind == INT:
        out = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    elif field.kind == NUMBER:
        out = money_text(values)
    elif field.kind == TIMESTAMP:
        out = timestamp_text(values, zulu, quote='"')
    elif field.kind == BOOL:
        out = pc.take(pa.array(["false", "true"]), pa.array(np.asarray(values).astype(np.int8)))
    elif field.kind == STRING_ARRAY:
        out = pa.array([json.dumps(list(v), ensure_ascii=False, separators=(",", ":")) for v in values])
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f"unknown field kind {field.kind}")
    return pc.fill_null(out, "null") if out.null_count else out


def json_pieces(rows: Rows, table: Table, zulu: np.ndarray, extra: np.ndarray) -> list:
    """Everything a JSON line is made of, in order: literal key prefixes and per-row value columns.

    Joined with `join_lines`, slices of them give the lines of any run of rows.
    """
    pieces: list = []
    previous_ts = None
    for i, field in enumerate(table.fields):
        pieces.append(("{" if i == 0 else ",") + f'"{field.name}":')
        values = rows[field.name]
        if field.kind == TIMESTAMP and previous_ts is not None:
            # updated_at mostly repeats created_at: encode only the instants that differ.
            same = np.asarray(values) == previous_ts[0]
            if len(same) and same.mean() > 0.5:
                differ = json_values(np.asarray(values)[~same], field, zulu[~same])
                pieces.append(pc.replace_with_mask(previous_ts[1], pa.array(~same), differ) if len(differ)
                              else previous_ts[1])
                continue
        pieces.append(json_values(values, field, zulu))
        if field.kind == TIMESTAMP:
            previous_ts = (np.asarray(values), pieces[-1])
    pieces.append(pc.take(pa.array(EXTRA_FIELDS), pa.array(np.asarray(extra, dtype=np.int8))))
    pieces.append("}\n")
    return pieces


def join_lines(pieces: list, start: int, stop: int) -> tuple[memoryview, np.ndarray]:
    """The JSON lines of rows start..stop, each ending with a newline, as UTF-8 bytes (a view) and the
    byte offset of each line's start (one more offset for the end)."""
    if stop <= start:
        return memoryview(b""), np.zeros(1, dtype=np.int64)
    parts = [p.slice(start, stop - start) if isinstance(p, pa.Array) else p for p in pieces]
    lines = pc.binary_join_element_wise(*parts, "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    view = memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]
    return view, offsets.astype(np.int64) - offsets[0]


def parquet_table(rows: Rows, table: Table, zulu: np.ndarray) -> pa.Table:
    """The rows as an Arrow table with the contract's fields, timestamps kept as ISO text."""
    columns = {}
    for field in table.fields:
        values = rows[field.name]
        if field.kind == STRING:
            columns[field.name] = format_ids(values, field.name) if _is_ids(field, values) else _strings(values)
        elif field.kind == INT:
            columns[field.name] = pa.array(np.asarray(values, dtype=np.int64))
        elif field.kind == NUMBER:
            columns[field.name] = pa.array(np.asarray(values, dtype=np.int64) / 100.0)
        elif field.kind == TIMESTAMP:
            columns[field.name] = timestamp_text(values, zulu)
        elif field.kind == BOOL:
            columns[field.name] = pa.array(np.asarray(values, dtype=bool))
        else:
            columns[field.name] = pa.array([list(v) for v in values], type=pa.list_(pa.string()))
    return pa.table(columns)
