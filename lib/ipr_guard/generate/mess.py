"""The contract's mess: lines a real feed delivers that are not valid rows, and exact duplicates.

Each bad line is a corrupted copy of a good row added next to it (the good row still arrives), so the
ground truth stays complete while the pipeline must quarantine the copy. Rates stay far below the
pipeline's broken-feed limit (1% of a table's rows and at least 10).
"""
from __future__ import annotations

import json

import numpy as np

from ipr_guard.schema import BOOL, INT, NUMBER, STRING, STRING_ARRAY, TIMESTAMP, Table

BAD_SHARE = 0.0025          # corrupted copies per good JSON line; never above 0.5% of a table's lines
DUPLICATE_SHARE = 0.002     # exact copies of a good line, in the same file or on a later day
EXTRA_FIELD_SHARE = 0.005   # good rows with unknown extra fields
TRUNCATED_FILES = 3         # files whose last line is cut mid-way (no trailing newline)
BAD_KINDS = ("not_json", "missing_required", "wrong_type", "out_of_domain")
GARBAGE = ("<html><body>502 Bad Gateway</body></html>", "-- export interrupted --", "null", "[]", "42")


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def corrupt(rng: np.random.Generator, line: str, table: Table) -> str:
    """A copy of a good JSON line broken in one of the ways the contract lists (no newline)."""
    kind = BAD_KINDS[rng.integers(len(BAD_KINDS))]
    if kind == "not_json":
        return _not_json(rng, line)
    obj = json.loads(line)
    if kind == "missing_required":
        required = [f.name for f in table.fields if f.required]
        del obj[required[rng.integers(len(required))]]
        return _dumps(obj)
    if kind == "out_of_domain" and _out_of_domain(rng, obj, table):
        return _dumps(obj)
    _wrong_type(rng, obj, table)
    return _dumps(obj)


def truncate(rng: np.random.Generator, line: str) -> str:
    """A line cut mid-way, as when a writer died: never a whole JSON object."""
    return line[: int(rng.integers(5, max(6, len(line) - 2)))]


def _not_json(rng: np.random.Generator, line: str) -> str:
    variant = rng.integers(4)
    if variant == 0:
        return line[:-1] + ",}"                     # trailing comma
    if variant == 1:
        return line.replace('"', "'")               # a Python dict printed instead of JSON
    if variant == 2:
        return line[:-1]                            # closing brace lost
    return GARBAGE[rng.integers(len(GARBAGE))]      # not a row at all


def _wrong_type(rng: np.random.Generator, obj: dict, table: Table) -> None:
    """Replace a present value with one of another JSON type (never coercible by the contract)."""
    fields = [f for f in table.fields if obj.get(f.name) is not None]
    field = fields[rng.integers(len(fields))]
    value = obj[field.name]
    if field.kind in (NUMBER, INT):
        obj[field.name] = str(value)                            # "12.5" where a number is expected
    elif field.kind == STRING:
        obj[field.name] = {"value": value} if rng.random() < 0.7 else [value]
    elif field.kind == TIMESTAMP:
        obj[field.name] = 1_790_000_000                         # epoch seconds, not a string
    elif field.kind == BOOL:
        obj[field.name] = "true"
    elif field.kind == STRING_ARRAY:
        obj[field.name] = ",".join(value)


def _out_of_domain(rng: np.random.Generator, obj: dict, table: Table) -> bool:
    """Put a value of the right type outside its domain; False when the table has no such field."""
    fields = [f for f in table.fields
              if f.allowed or f.pattern or f.minimum is not None or f.maximum is not None]
    if not fields:
        return False
    field = fields[rng.integers(len(fields))]
    if field.allowed:
        obj[field.name] = "deleted" if "active" in field.allowed else "unknown"
    elif field.pattern:
        obj[field.name] = "China" if field.name in ("country", "ships_from") else "not-a-hash"
    elif field.minimum is not None and (field.maximum is None or rng.random() < 0.5):
        obj[field.name] = -12.5 if field.kind == NUMBER else -1
    else:
        obj[field.name] = int(field.maximum) + 4
    return True
