"""The rights-holder registry: brands, their reference prices and the agents who file their notices."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, Period
from ipr_guard.generate.people import account_numbers
from ipr_guard.generate.vocab import BRANDS

# Reporter accounts of brand agents are numbered from here, far above any consumer reporter.
AGENT_INDEX_BASE = 899_000_000


def build_brands(rng: np.random.Generator, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The brand registry and the brand rows as delivered.

    Returns:
        brands: one row per brand (brand index = row), with reference_price in cents and the
            reporter numbers of the brand's notice agents (`agents`, a tuple).
        versions: brands rows with `_at` (updated_at) per delivered version: the registry on the
            first day, and a couple of alias additions later on (updates of the same key).
    """
    n = len(BRANDS)
    agent_counts = rng.integers(1, 4, size=n)
    agent_numbers = account_numbers(AGENT_INDEX_BASE + np.arange(agent_counts.sum()), salt=1)
    starts = np.concatenate([[0], np.cumsum(agent_counts)[:-1]])
    brands = pd.DataFrame({
        "brand_id": 1001 + np.arange(n),
        "brand_name": [b[0] for b in BRANDS],
        "rights_holder": [b[2] for b in BRANDS],
        "category": [b[3] for b in BRANDS],
        "reference_price": np.array([b[4] for b in BRANDS], dtype=np.int64) * 100,
        "aliases": [tuple(b[1]) for b in BRANDS],
        "agents": [tuple(agent_numbers[s:s + c]) for s, c in zip(starts, agent_counts)],
        "updated_at": period.t0 - rng.integers(10 * DAY, 400 * DAY, size=n),
    })
    versions = [brands]
    changed = rng.choice(np.flatnonzero(brands.aliases.map(len) > 0), size=2, replace=False)
    if period.days >= 3:
        update = brands.iloc[np.sort(changed)].copy()
        update["aliases"] = [a + (f"{a[0]}官方",) for a in update.aliases]
        update["updated_at"] = period.t0 + rng.integers(DAY, (period.days - 1) * DAY, size=len(update))
        versions.append(update)
    return brands, pd.concat(versions, ignore_index=True)
