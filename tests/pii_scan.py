"""Finds raw personal data in files: the landing's PII values, searched in what every file decodes to."""
from __future__ import annotations

import json
from pathlib import Path

import ahocorasick
import pyarrow.parquet as pq

from ipr_guard.schema import TABLES


def raw_pii_values(landing: Path) -> set[str]:
    """Every PII value in the landing's JSON Lines files (lines that are not JSON are skipped)."""
    values: set[str] = set()
    for table in TABLES.values():
        fields = [f for f in table.fields if f.pii or f.pii_if]
        for path in (landing / table.name).glob("ingest_date=*/*.jsonl"):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(row, dict):
                    continue
                for f in fields:
                    v = row.get(f.name)
                    if f.pii_if and row.get(f.pii_if[0]) not in f.pii_if[1]:
                        continue
                    if isinstance(v, str) and len(v) >= 4:
                        values.add(v)
    return values


def decoded_text(path: Path) -> str:
    """A file's content as text; Parquet files are decoded (their pages may be compressed)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return "\n".join(str(v) for col in table.columns for v in col.to_pylist())
    return path.read_bytes().decode("utf-8", errors="replace")


def find_raw_values(root: Path, values: set[str]) -> list[tuple[str, str]]:
    """(file, value) for every file under `root` holding any of `values` (the first one found).

    An Aho-Corasick automaton finds all of tens of thousands of values in one pass over each file.
    """
    automaton = ahocorasick.Automaton()
    for v in values:
        automaton.add_word(v, v)
    automaton.make_automaton()
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for _, value in automaton.iter(decoded_text(path)):
            hits.append((str(path), value))
            break
    return hits
