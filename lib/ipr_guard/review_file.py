"""Reading and checking a reviewers' return file (no Spark): the decisions on one day's closure candidates.

A return file is a CSV in UTF-8 (a byte-order mark is allowed: the exported closure_candidates.csv has
one) with at least the columns ``merchant_id``, ``decision``, ``reviewer`` and ``note``; other columns
are ignored, so the exported list with its trailing decision columns filled in is a valid return file.
A row whose decision is empty was not reviewed and is skipped. Problems are reported with the CSV line
number (1 is the header) so that a reviewer can fix them all in one pass.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

DECISIONS = ("confirm", "reject", "needs_more_evidence")
REQUIRED_COLUMNS = ("merchant_id", "decision", "reviewer", "note")


@dataclass(frozen=True)
class Decision:
    """One reviewed row of a return file."""

    line: int
    merchant_id: str
    decision: str
    reviewer: str
    note: str


@dataclass
class ReturnFile:
    """A parsed return file: its reviewed rows, how many unreviewed rows were skipped, its problems."""

    decisions: list[Decision] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    notes_cut: int = 0


def parse_return_file(data: bytes, note_max_chars: int) -> ReturnFile:
    """Parses a return file and reports what is wrong with its form (columns, values, duplicates).

    Whether the stores exist and were candidates is checked separately (`check_stores`), against the
    lakehouse.

    Args:
        data: the file's bytes.
        note_max_chars: notes are stripped of surrounding blanks and cut to this many characters.

    Returns:
        The reviewed rows (decision lower-cased), the number of skipped unreviewed rows and the problems,
        one line each: ``line N: ...`` (``file: ...`` for problems of the file as a whole).
    """
    out = ReturnFile()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        out.problems.append(f"line {line}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                            "save the file as CSV UTF-8")
        return out
    if not text.strip():
        out.problems.append("file: empty (expected a header line with merchant_id, decision, reviewer, note)")
        return out
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as e:
        out.problems.append(f"line 1: not a CSV header ({e})")
        return out
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        out.problems.append(f"line 1: missing required column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)} (header: {', '.join(header)})")
    if "merchant_id" not in header or "decision" not in header:
        return out  # without these no row can be read
    col = {name: header.index(name) for name in REQUIRED_COLUMNS if name in header}
    first_line: dict[str, int] = {}
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            out.problems.append(f"line {start}: not valid CSV ({e})")
            break
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # a blank line (e.g. at the end) is no row

        def cell(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        merchant_id, decision = cell("merchant_id"), cell("decision").lower()
        if not decision:
            out.skipped += 1
            continue
        bad = []
        if not merchant_id:
            bad.append("merchant_id is empty")
        if decision not in DECISIONS:
            bad.append(f"decision {cell('decision')!r} is not one of {', '.join(DECISIONS)}")
        if "reviewer" in col and not cell("reviewer"):
            bad.append("reviewer is empty")
        if merchant_id in first_line:
            bad.append(f"store {merchant_id} appears again (first on line {first_line[merchant_id]})")
        elif merchant_id:
            first_line[merchant_id] = line
        out.problems += [f"line {line}: {b}" for b in bad]
        note = cell("note")
        if len(note) > note_max_chars:
            out.notes_cut += 1
            note = note[:note_max_chars]
        out.decisions.append(Decision(line, merchant_id, decision, cell("reviewer"), note))
    return out


def check_stores(decisions: list[Decision], known_stores: set[str], candidates: set[str], run_date: str) -> list[str]:
    """Problems of rows naming a store that does not exist or was not a candidate on `run_date`.

    Args:
        decisions: the reviewed rows.
        known_stores: the merchant_ids among them that silver merchants holds.
        candidates: the merchant_ids published in closure_candidates for `run_date`.
        run_date: the candidates' run date, for the message.
    """
    problems = []
    for d in decisions:
        if not d.merchant_id:
            continue  # already reported
        if d.merchant_id not in known_stores:
            problems.append(f"line {d.line}: unknown store {d.merchant_id} (not in silver merchants)")
        elif d.merchant_id not in candidates:
            problems.append(f"line {d.line}: store {d.merchant_id} was not a closure candidate on {run_date}")
    return problems


def problem_line_number(problem: str) -> int:
    """The CSV line a problem is about (0 for the file as a whole), to list problems in file order."""
    head = problem.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0
