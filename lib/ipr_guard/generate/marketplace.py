"""A synthetic marketplace: the ten landing feeds of the data contract, with their mess, and the truth.

The simulated world has honest stores, discounting authorized resellers, grey importers, loud and quiet
counterfeiters, and counterfeiters who come back under a new store after a closure. `generate_marketplace`
simulates it over a span of delivery days and writes

- ``<out>/landing/<table>/ingest_date=YYYY-MM-DD/part-00000.jsonl`` (and a few Parquet parts), and
- ``<out>/truth/merchants.csv`` and ``<out>/truth/listings.csv``, which the pipeline never reads.

The same arguments always give byte-identical files: every random draw comes from a generator seeded
with the seed and the step or table it serves, and nothing depends on the clock, on hash ordering or on
the order in which the tables get written (two at a time).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipr_guard.generate import deliveries
from ipr_guard.generate.brands import build_brands
from ipr_guard.generate.catalog import build_listings
from ipr_guard.generate.clock import Period
from ipr_guard.generate.complaints import consumer_complaints, number_complaints, store_complaints
from ipr_guard.generate.encode import format_ids, join_lines
from ipr_guard.generate.landing import TableStats, write_table
from ipr_guard.generate.notices import enforce_listings
from ipr_guard.generate.orders import build_orders
from ipr_guard.generate.stores import build_stores
from ipr_guard.schema import TABLES

STEPS = ("brands", "stores", "listings", "enforcement", "orders", "complaints", "parquet")


@dataclass(frozen=True)
class GenerationSummary:
    """What `generate_marketplace` wrote.

    Attributes:
        out: the output folder.
        start_date: first delivery day (Asia/Shanghai).
        end_date: last delivery day.
        stores: stores simulated.
        seed: the random seed.
        rows: per table, lines and Parquet rows written, bad and duplicate lines included.
        bad_lines: per table, lines that are not valid under the contract.
        duplicate_lines: per table, exact copies of a line written earlier.
        late_rows: per table, rows delivered one or two days after the day they happened.
        parquet_files: per table, Parquet parts written.
    """

    out: Path
    start_date: dt.date
    end_date: dt.date
    stores: int
    seed: int
    rows: dict[str, int]
    bad_lines: dict[str, int]
    duplicate_lines: dict[str, int]
    late_rows: dict[str, int]
    parquet_files: dict[str, int]

    def __str__(self) -> str:
        days = (self.end_date - self.start_date).days + 1
        width = max(len(t) for t in self.rows)
        lines = [f"synthetic marketplace: {self.stores} stores, {days} delivery days "
                 f"{self.start_date} .. {self.end_date}, seed {self.seed} -> {self.out}"]
        for table, n in self.rows.items():
            notes = [f"{k} {v[table]}" for k, v in (("bad", self.bad_lines), ("duplicate", self.duplicate_lines),
                                                   ("late", self.late_rows), ("parquet files", self.parquet_files))
                     if v.get(table)]
            lines.append(f"  {table:<{width}} {n:>10,} rows" + (f"  ({', '.join(notes)})" if notes else ""))
        return "\n".join(lines)


def _rng(seed: int, step: str) -> np.random.Generator:
    return np.random.default_rng([seed, STEPS.index(step)])


def generate_marketplace(out: Path, stores: int, days: int, seed: int,
                         end_date: dt.date = dt.date(2026, 10, 31)) -> GenerationSummary:
    """Simulates the marketplace and writes its landing feeds and ground truth under `out`.

    An existing ``out/landing`` or ``out/truth`` is replaced, so stale days never mix with new ones.

    Args:
        out: output folder (created if missing).
        stores: number of stores, re-registered ones included (at least 10).
        days: number of delivery days, ending on `end_date`.
        seed: random seed; the same arguments give byte-identical files.
        end_date: the last delivery day (a day in Asia/Shanghai).

    Returns:
        What was written, per table.
    """
    if stores < 10 or days < 1:
        raise ValueError("a marketplace needs at least 10 stores and 1 day")
    out = Path(out)
    for sub in ("landing", "truth"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    period = Period(end_date - dt.timedelta(days=days - 1), end_date)
    parquet_days = ()
    if days > 1:
        chosen = _rng(seed, "parquet").choice(np.arange(1, days), size=min(3, days - 1), replace=False)
        parquet_days = tuple(sorted(chosen.tolist()))
    brands, brand_versions = build_brands(_rng(seed, "brands"), period)
    world = build_stores(_rng(seed, "stores"), stores, period, brands)
    listings = build_listings(_rng(seed, "listings"), world.stores, brands, period)
    enforced = enforce_listings(_rng(seed, "enforcement"), listings, world.stores, brands, period)

    def deliver(name: str, build) -> TableStats:
        # Each table draws from its own streams, so tables can be written in any order, in parallel,
        # and still come out byte-identical. Its rows are built right before writing, to bound memory.
        i = list(TABLES).index(name)
        rows = build(deliveries.Context(period, world.stores, brands, enforced.listings,
                                        np.random.default_rng([seed, 200 + i])))
        return write_table(out / "landing", TABLES[name], rows, period, np.random.default_rng([seed, 100 + i]),
                           parquet_days if name == "listings" else ())

    # Arrow and numpy release the GIL: tables are written by two threads, the big ones starting while
    # the rest of the world is still being simulated.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        futures = {"listings": pool.submit(deliver, "listings", deliveries.listings)}
        orders = build_orders(_rng(seed, "orders"), enforced.listings, world.stores, period)
        futures["orders"] = pool.submit(deliver, "orders", lambda c: deliveries.orders(c, orders))
        rng = _rng(seed, "complaints")
        others = [consumer_complaints(rng, orders, enforced.listings, period),
                  store_complaints(rng, world.stores, brands, period)]
        complaints, complaint_of_notice = number_complaints(enforced.notices, others)
        feeds = {
            "merchants": lambda c: deliveries.merchants(c, world.status_changes),
            "brands": lambda c: deliveries.brands(c, brand_versions),
            "authorized_sellers": lambda c: deliveries.authorized_sellers(c, world.authorizations),
            "complaints": lambda c: deliveries.complaints(c, complaints),
            "takedowns": lambda c: deliveries.takedowns(c, enforced.takedowns, complaint_of_notice),
            "test_buys": lambda c: deliveries.test_buys(c, enforced.test_buys),
            "enforcement_actions": lambda c: deliveries.enforcement_actions(c, world.actions),
            "privacy_requests": lambda c: deliveries.privacy_requests(c, orders, complaints),
        }
        futures.update({name: pool.submit(deliver, name, build) for name, build in feeds.items()})
        stats = {name: futures[name].result() for name in TABLES}
    _write_truth(out / "truth", world.stores, enforced.listings, period)
    return GenerationSummary(
        out=out, start_date=period.start, end_date=period.end, stores=stores, seed=seed,
        rows={t: s.rows for t, s in stats.items()}, bad_lines={t: s.bad for t, s in stats.items()},
        duplicate_lines={t: s.duplicates for t, s in stats.items()}, late_rows={t: s.late for t, s in stats.items()},
        parquet_files={t: s.parquet_files for t, s in stats.items()})


def _write_truth(folder: Path, stores: pd.DataFrame, listings: pd.DataFrame, period: Period) -> None:
    """Who is who and what is fake, for evaluating the pipeline (never read by it)."""
    folder.mkdir(parents=True, exist_ok=True)
    closed = stores.closed_at.to_numpy()
    closed_on = np.where(closed >= 0, [str(period.date(d)) for d in period.day_of(np.maximum(closed, period.t0))], "")
    pd.DataFrame({
        "merchant_id": [f"M{m}" for m in stores.merchant_id],
        "kind": stores.kind,
        "is_counterfeiter": np.where(stores.counterfeiter, "true", "false"),
        "operator_id": [f"OP{o:07d}" for o in stores.operator],
        "closed_on": closed_on,
    }).to_csv(folder / "merchants.csv", index=False, lineterminator="\n")
    # Listings can be millions: formatted with Arrow rather than row by row.
    flag = pc.take(pa.array(["false", "true"]), pa.array(listings.counterfeit.to_numpy().astype(np.int8)))
    columns = [format_ids(listings.listing_id.to_numpy(), "listing_id"), ",",
               format_ids(listings.merchant_id.to_numpy(), "merchant_id"), ",", flag, "\n"]
    body, _ = join_lines(columns, 0, len(listings))
    (folder / "listings.csv").write_bytes(b"listing_id,merchant_id,is_counterfeit\n" + bytes(body))
