"""Orders: who buys what and when, and which orders end up refunded or cancelled.

A listing sells most in its first days and then at a low steady rate until it ends; cheap fakes sell
more. Volume is drawn per listing and the instants spread over its live window, so millions of orders
cost a few vectorised passes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, HOUR, HOUR_KEEP_MEAN, MINUTE, Period, busy_hour_keep
from ipr_guard.generate.people import account_numbers

FRESH_RATE, FRESH_DAYS, STEADY_RATE = 0.7, 5.0, 0.06   # orders per listing-day, before store multipliers
REFUND_P = {"loud": 0.12, "evasive": 0.10, "quiet": 0.06, "grey": 0.04, "reseller": 0.02, "honest": 0.02, "none": 0.025}
CANCEL_P = 0.03
QUANTITY_P = (0.82, 0.11, 0.04, 0.02, 0.01)


def build_orders(rng: np.random.Generator, listings: pd.DataFrame, stores: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Every order placed during the period, sorted by creation.

    Columns: order_id, listing, store, merchant_id, buyer (account index), buyer_id (number),
    quantity, amount (cents), created_at, status (final), changed_at (when it became cancelled or
    refunded; -1 while paid).
    """
    created0 = listings.created_at.to_numpy()
    until = np.minimum(listings.end_at.to_numpy(), period.t_end)
    live_days = np.maximum(until - created0, 0) / DAY
    sales = stores.sales.to_numpy()[listings.store.to_numpy()] / HOUR_KEEP_MEAN
    fresh_mass = 1 - np.exp(-live_days / FRESH_DAYS)
    n_fresh = rng.poisson(sales * FRESH_RATE * FRESH_DAYS * fresh_mass)
    n_steady = rng.poisson(sales * STEADY_RATE * live_days)

    fresh = np.repeat(np.arange(len(listings)), n_fresh)
    age_fresh = -FRESH_DAYS * np.log1p(-rng.random(len(fresh)) * fresh_mass[fresh])
    steady = np.repeat(np.arange(len(listings)), n_steady)
    age_steady = rng.random(len(steady)) * live_days[steady]
    listing = np.concatenate([fresh, steady])
    created = created0[listing] + MINUTE + (np.concatenate([age_fresh, age_steady]) * DAY).astype(np.int64)
    store = listings.store.to_numpy()[listing]
    pause_from, pause_to = stores.pause_from.to_numpy()[store], stores.pause_to.to_numpy()[store]
    keep = busy_hour_keep(rng, created) & (created < until[listing]) & ~((created >= pause_from) & (created < pause_to))
    order = np.lexsort((listing[keep], created[keep]))
    listing, created, store = listing[keep][order], created[keep][order], store[keep][order]
    n = len(listing)

    buyers = max(500, n // 3)
    buyer = (buyers * rng.random(n) ** 1.6).astype(np.int64)  # a few loyal buyers order often
    quantity = rng.choice(np.arange(1, 6), size=n, p=QUANTITY_P)
    cls = listings.listing_class.to_numpy()[listing]
    refund_p = pd.Series(cls).map(REFUND_P).to_numpy()
    u = rng.random(n)
    status = np.where(u < CANCEL_P, "cancelled", np.where(u < CANCEL_P + refund_p, "refunded", "paid"))
    changed_at = np.select([status == "cancelled", status == "refunded"],
                           [created + rng.integers(MINUTE, 2 * HOUR, n), created + rng.integers(2 * DAY, 15 * DAY, n)], -1)
    return pd.DataFrame({
        "order_id": 1_000_000_001 + np.arange(n), "listing": listing, "store": store,
        "listing_id": listings.listing_id.to_numpy()[listing], "merchant_id": stores.merchant_id.to_numpy()[store],
        "buyer": buyer, "buyer_id": account_numbers(buyer), "quantity": quantity.astype(np.int64),
        "amount": listings.price.to_numpy()[listing] * quantity, "created_at": created,
        "status": status, "changed_at": changed_at, "listing_class": cls,
    })


def order_versions(orders: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Orders rows as delivered: the state at the end of the creation day, then a later status change.

    Columns: the contract fields plus `_at` (updated_at, the instant the version reflects).
    """
    created_day = period.day_of(orders.created_at.to_numpy())
    changed = orders.changed_at.to_numpy()
    same_day = (changed >= 0) & (period.day_of(changed) == created_day)
    first = orders.assign(status=np.where(same_day, orders.status, "paid"),
                          updated_at=np.where(same_day, changed, orders.created_at))
    later = orders[(changed >= 0) & ~same_day & (changed < period.t_end)].assign(updated_at=lambda o: o.changed_at)
    return pd.concat([first, later], ignore_index=True)
