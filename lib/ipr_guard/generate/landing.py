"""Writes one table's delivered rows into the landing layout, mess included.

    <landing>/<table>/ingest_date=YYYY-MM-DD/part-00000.jsonl   (+ part-00001.parquet on some days)

Rows come with their delivery day (`_day`, 0 = first day), the instant they reflect (`_at`, to order
lines within a file) and whether they arrive late (`_late`). A day without rows gets no folder.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ipr_guard.generate import mess
from ipr_guard.generate.clock import Period
from ipr_guard.generate.encode import EXTRA_FIELDS, Rows, join_lines, json_pieces, n_rows, parquet_table, take
from ipr_guard.schema import Table

ZULU_SHARE = 0.1            # rows whose source system writes UTC ("Z") instead of "+08:00"
PARQUET_SHARE = 0.35        # of a Parquet day's rows, those delivered in the Parquet part
CHUNK_ROWS = 500_000        # rows encoded at once


@dataclass
class TableStats:
    """What was written for one table (lines include bad and duplicate ones; Parquet rows count too)."""

    rows: int = 0
    bad: int = 0
    duplicates: int = 0
    late: int = 0
    extra_fields: int = 0
    parquet_files: int = 0


@dataclass
class _MessPlan:
    """Which sorted row positions get a corrupted copy or a duplicate, and which days a cut-off last line."""

    bad: set
    duplicates: dict          # position -> days later the copy arrives (0 = right after the original)
    truncated_days: set
    touched: np.ndarray       # sorted positions in `bad` or `duplicates`

    @staticmethod
    def draw(rng: np.random.Generator, jsonl: np.ndarray, day: np.ndarray, days: int,
             movable: np.ndarray) -> "_MessPlan":
        """Plans the mess of a table's JSON lines (sorted positions `jsonl`); only `movable` rows may have
        their duplicate arrive on a later day (a key with one version, so the copy meets no newer one)."""
        n_bad = int(len(jsonl) * mess.BAD_SHARE)
        n_truncated = min(mess.TRUNCATED_FILES, n_bad // 3)
        bad = set(rng.choice(jsonl, n_bad - n_truncated, replace=False).tolist())
        n_dup = int(len(jsonl) * mess.DUPLICATE_SHARE)
        dup_pos = rng.choice(jsonl, n_dup, replace=False)
        dup_gap = np.where(rng.random(n_dup) < 0.4, rng.integers(1, 4, n_dup), 0)
        dup_gap = np.where((day[dup_pos] + dup_gap < days) & movable[dup_pos], dup_gap, 0)
        duplicates = dict(zip(dup_pos.tolist(), dup_gap.tolist()))
        truncated = rng.choice(np.unique(day[jsonl]), n_truncated, replace=False).tolist() if n_truncated else []
        touched = np.array(sorted(bad | set(duplicates)), dtype=np.int64)
        return _MessPlan(bad, duplicates, set(truncated), touched)


def _line(view: memoryview, offsets, i: int) -> bytes:
    """The i-th line of a day's JSON lines, without its newline."""
    return bytes(view[offsets[i]:offsets[i + 1] - 1])


def _single_version(rows: Rows, table: Table) -> np.ndarray:
    """Per row, whether its key has no other row in the table (keys are dense id numbers)."""
    if len(table.key) > 1 or not n_rows(rows):
        return np.zeros(n_rows(rows), dtype=bool)
    key = np.asarray(rows[table.key[0]], dtype=np.int64)
    offset = key - key.min()
    return np.bincount(offset)[offset] == 1


def _day_groups(bounds: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive days (first, last + 1) of at most CHUNK_ROWS rows, or a single bigger day."""
    groups, first = [], 0
    for d in range(1, len(bounds)):
        if d == len(bounds) - 1 or bounds[d + 1] - bounds[first] > CHUNK_ROWS:
            groups.append((first, d))
            first = d
    return groups


def write_table(landing: Path, table: Table, rows: Rows, period: Period, rng: np.random.Generator,
                parquet_days: tuple[int, ...] = ()) -> TableStats:
    """Writes every delivery day of one table and returns what was written.

    Args:
        landing: the landing folder.
        table: the contract table.
        rows: delivered rows: contract fields in the encoder's codes plus `_day`, `_at`, `_late`.
        period: the simulated period.
        rng: random source for formats and mess.
        parquet_days: delivery days on which part of the rows go to a Parquet file.
    """
    n = n_rows(rows)
    day = np.asarray(rows["_day"], dtype=np.int64)
    part = (np.isin(day, parquet_days) & (rng.random(n) < PARQUET_SHARE)).astype(np.int8)
    order = np.lexsort((np.asarray(rows[table.key[0]]), rows["_at"], part, day))
    stats = TableStats(late=int(np.asarray(rows["_late"]).sum()))
    fields = {f: rows[f] for f in table.field_names}
    day, part = day[order], part[order]
    zulu = rng.random(n) < ZULU_SHARE
    extra = np.where((rng.random(n) < mess.EXTRA_FIELD_SHARE) & (part == 0), rng.integers(1, len(EXTRA_FIELDS), n), 0)
    stats.extra_fields = int((extra > 0).sum())
    plan = _MessPlan.draw(rng, np.flatnonzero(part == 0), day, period.days, _single_version(rows, table)[order])
    later: dict[int, list[bytes]] = defaultdict(list)

    bounds = np.searchsorted(day, np.arange(period.days + 1))
    for first, last in _day_groups(bounds):
        # Encoded a few days at a time, so memory stays bounded however many rows a table has.
        a, b = int(bounds[first]), int(bounds[last])
        chunk = take(fields, order[a:b])
        pieces = json_pieces(chunk, table, zulu[a:b], extra[a:b])
        for d in range(first, last):
            start, stop = int(bounds[d]), int(bounds[d + 1])
            mid = start + int((part[start:stop] == 0).sum())
            folder = landing / table.name / f"ingest_date={period.date(d).isoformat()}"
            view, offsets = join_lines(pieces, start - a, mid - a)
            n_lines = _write_jsonl(folder, view, offsets, start, d, plan, later, rng, table, stats)
            stats.rows += n_lines
            if stop > mid:
                folder.mkdir(parents=True, exist_ok=True)
                parquet_rows = take(chunk, np.arange(mid - a, stop - a))
                pq.write_table(parquet_table(parquet_rows, table, zulu[mid:stop]), folder / "part-00001.parquet")
                stats.parquet_files += 1
                stats.rows += stop - mid
    return stats


def _write_jsonl(folder: Path, view: memoryview, offsets: np.ndarray, start: int, d: int, plan: _MessPlan,
                 later: dict, rng: np.random.Generator, table: Table, stats: TableStats) -> int:
    """Writes one day's JSON lines with the mess planned for them; returns the number of lines written."""
    n_good = len(offsets) - 1
    touched = plan.touched[np.searchsorted(plan.touched, start):np.searchsorted(plan.touched, start + n_good)]
    chunks: list = [view]
    n_lines = n_good
    if len(touched) or later.get(d) or d in plan.truncated_days:
        chunks, done = [], 0
        for g in touched.tolist():  # copies go right after their original line
            i = g - start
            chunks.append(view[done:offsets[i + 1]])
            done = offsets[i + 1]
            if g in plan.duplicates:
                copy = _line(view, offsets, i) + b"\n"
                if plan.duplicates[g]:
                    later[d + plan.duplicates[g]].append(copy)
                else:
                    chunks.append(copy)
                    n_lines += 1
                stats.duplicates += 1
            if g in plan.bad:
                chunks.append(mess.corrupt(rng, _line(view, offsets, i).decode(), table).encode() + b"\n")
                stats.bad += 1
                n_lines += 1
        chunks.append(view[done:])
        arrived = later.pop(d, [])
        chunks.extend(arrived)
        n_lines += len(arrived)
        if d in plan.truncated_days and n_good:
            victim = _line(view, offsets, int(rng.integers(n_good))).decode()
            chunks.append(mess.truncate(rng, victim).encode())
            stats.bad += 1
            n_lines += 1
    if n_lines:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "part-00000.jsonl", "wb") as fh:
            fh.writelines(chunks)
    return n_lines
