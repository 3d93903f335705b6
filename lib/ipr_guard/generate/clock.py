"""The simulated period: delivery days in the marketplace's time zone, and clocks in epoch seconds.

Every instant in the generator is an int64 count of seconds since 1970-01-01T00:00:00Z; -1 stands for
"no value" (a null timestamp). Asia/Shanghai has no daylight saving, so a local calendar day is a plain
86,400-second slice offset by eight hours.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

MINUTE = 60
HOUR = 3600
DAY = 86_400
SHANGHAI_OFFSET = 8 * HOUR
NULL_TS = -1

# Relative activity by local hour: shoppers and sellers are busiest in the evening, quiet before dawn.
HOUR_WEIGHTS = np.array([
    3, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 6, 6, 6, 7, 7, 8, 9, 10, 10, 8, 5,
], dtype=float)
HOUR_SHARE = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


@dataclass(frozen=True)
class Period:
    """The delivery days simulated, `start` to `end` inclusive, as days in Asia/Shanghai."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def t0(self) -> int:
        """Epoch seconds of the first delivery day's local midnight."""
        return (self.start - dt.date(1970, 1, 1)).days * DAY - SHANGHAI_OFFSET

    @property
    def t_end(self) -> int:
        """Epoch seconds of the local midnight after the last delivery day (exclusive bound)."""
        return self.t0 + self.days * DAY

    def day_of(self, ts: np.ndarray) -> np.ndarray:
        """Index of the local delivery day holding each instant (0 = start; may fall outside the period)."""
        return (np.asarray(ts, dtype=np.int64) - self.t0) // DAY

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))


def local_hour(ts: np.ndarray) -> np.ndarray:
    """The hour of day in Asia/Shanghai of each instant."""
    return ((ts + SHANGHAI_OFFSET) % DAY) // HOUR


def busy_hour_keep(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    """A thinning mask that keeps instants in proportion to how busy their local hour is.

    Uniform instants filtered this way follow the daily rhythm; callers inflate their rates by
    `1 / HOUR_KEEP_MEAN` to keep the expected volume.
    """
    keep_p = HOUR_WEIGHTS[local_hour(ts)] / HOUR_WEIGHTS.max()
    return rng.random(len(ts)) < keep_p


HOUR_KEEP_MEAN = float(HOUR_WEIGHTS.mean() / HOUR_WEIGHTS.max())


def times_in_days(rng: np.random.Generator, t0: int, day: np.ndarray) -> np.ndarray:
    """One instant inside each given local day (index from `t0`), following the daily rhythm."""
    hour = rng.choice(24, size=len(day), p=HOUR_SHARE)
    return t0 + day.astype(np.int64) * DAY + hour * HOUR + rng.integers(0, HOUR, size=len(day))
