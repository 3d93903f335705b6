"""The reviewers' candidate file: one row per store, in UTF-8 with a byte-order mark.

The last three columns are left empty for the reviewers; the file they send back is the same file
(`ipr-guard review import` reads merchant_id and those three columns and ignores the others).
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

EVIDENCE_COLUMNS = ("counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "reused_image_listings",
                    "low_price_listings", "branded_listings")
REVIEW_COLUMNS = ("decision", "reviewer", "note")
CSV_COLUMNS = ("rank", "merchant_id", "store_name", "risk_score", "recommended_action", "reasons",
               *EVIDENCE_COLUMNS, "model_score", "model_name", "model_version", "run_date", *REVIEW_COLUMNS)
BOM = b"\xef\xbb\xbf"


def cell(value) -> str:
    """A value as the text a spreadsheet shows: lists joined with " | ", scores to 4 decimals, null empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return " | ".join(str(v) for v in list(value))
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4f}"
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def candidates_csv(candidates: pd.DataFrame) -> bytes:
    """The day's candidates as CSV bytes (UTF-8 with BOM, so spreadsheets keep Chinese store names intact).

    Args:
        candidates: gold closure_candidates rows of one run date, in rank order. Columns missing from it
            (e.g. evidence counts of an older table) are written empty.

    Returns:
        The file's bytes: the header `CSV_COLUMNS`, then one row per candidate, review columns empty.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    present = [c for c in CSV_COLUMNS if c in candidates.columns and c not in REVIEW_COLUMNS]
    for row in candidates.to_dict("records"):
        writer.writerow([cell(row[c]) if c in present else "" for c in CSV_COLUMNS])
    return BOM + buf.getvalue().encode("utf-8")
