"""`ipr-guard promote`: the promotion gate for a run date's trained version, then the `champion` alias.

Reads only the registry (the validation figures the train job logged); no Spark session is needed.
"""
from __future__ import annotations

import datetime as dt

from ipr_guard.config import Config
from ipr_guard.model import promotion


def run(cfg: Config, run_date: dt.date) -> promotion.Promotion:
    """Applies the gate to the version trained for `run_date` (see `model.promotion.promote`)."""
    return promotion.promote(cfg, run_date)
