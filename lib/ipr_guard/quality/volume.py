"""Volume check: a day's row count against its trailing average (no static expectation can say this)."""
from __future__ import annotations

from typing import Sequence


def volume_problems(today_rows: int, trailing_counts: Sequence[int], min_share: float) -> str | None:
    """Says what is wrong when today's rows fall under a share of the trailing average.

    Args:
        today_rows: rows of the day being checked (0 for a missing or empty day).
        trailing_counts: rows of the preceding days that have data (e.g. the last 7); may be empty.
        min_share: the smallest acceptable share of the trailing average, in [0, 1].

    Returns:
        None when the volume is acceptable or there is no baseline yet (no trailing days, or an
        all-zero history); otherwise a phrase such as "12 rows, 3% of the trailing 7-day average
        400 (minimum 20%)" for the caller to prefix with the table and day.

    Raises:
        ValueError: a negative count or a share outside [0, 1].
    """
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must be in [0, 1], got {min_share}")
    if today_rows < 0 or any(c < 0 for c in trailing_counts):
        raise ValueError("row counts cannot be negative")
    if not trailing_counts:
        return None
    average = sum(trailing_counts) / len(trailing_counts)
    if average == 0 or today_rows >= min_share * average:
        return None
    return (f"{today_rows} rows, {today_rows / average:.0%} of the trailing {len(trailing_counts)}-day "
            f"average {average:.0f} (minimum {min_share:.0%})")
