"""Orders: who buys what and when, and which orders end up refunded or cancelled.

A listing sells most in its first days and then at a low steady rate until it ends; cheap fakes sell
more. Volume is drawn per listing and the instants spread over its live window, so millions of orders
cost a few vectorised passes. Orders are kept as a dict of numpy columns: pandas frames of this size
would spend more time copying blocks than the simulation takes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, HOUR, HOUR_KEEP_MEAN, MINUTE, Period, busy_hour_keep
from ipr_guard.generate.encode import concat, labels, take
from ipr_guard.generate.notices import CLASS_NAMES
from ipr_guard.generate.people import account_numbers

FRESH_RATE, FRESH_DAYS, STEADY_RATE = 0.7, 5.0, 0.06   # orders per listing-day, before store multipliers
REFUND_P = {"loud": 0.12, "evasive": 0.10, "quiet": 0.06, "grey": 0.04, "reseller": 0.02, "honest": 0.02, "none": 0.025}
CANCEL_P = 0.03
QUANTITY_P = (0.82, 0.11, 0.04, 0.02, 0.01)
STATUS = ("paid", "refunded", "cancelled")
PAID, REFUNDED, CANCELLED = range(3)


def build_orders(rng: np.random.Generator, listings: pd.DataFrame, stores: pd.DataFrame, period: Period) -> dict:
    """Every order placed during the period, sorted by creation.

    Returns numpy columns: order_id, listing, store, listing_id, merchant_id, buyer (account index),
    buyer_id (number), quantity, amount (cents), created_at, status (final, a code into `STATUS`),
    changed_at (when it became cancelled or refunded; -1 while paid), class_code (the listing's class).
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
    listing, created, store = listing[keep], created[keep], store[keep]
    order = np.argsort(created, kind="stable")  # ties keep listing order, so the result is reproducible
    listing, created, store = listing[order], created[order], store[order]
    n = len(listing)

    buyer = (max(500, n // 3) * rng.random(n) ** 1.6).astype(np.int64)  # a few loyal buyers order often
    quantity = (rng.random(n)[:, None] > np.cumsum(QUANTITY_P)[None, :-1]).sum(axis=1) + 1
    class_code = listings.class_code.to_numpy()[listing]
    refund_p = np.array([REFUND_P[c] for c in CLASS_NAMES])[class_code]
    u = rng.random(n)
    status = np.where(u < CANCEL_P, CANCELLED, np.where(u < CANCEL_P + refund_p, REFUNDED, PAID)).astype(np.int8)
    delay = np.where(status == CANCELLED, rng.integers(MINUTE, 2 * HOUR, n), rng.integers(2 * DAY, 15 * DAY, n))
    return {
        "order_id": 1_000_000_001 + np.arange(n), "listing": listing, "store": store,
        "listing_id": listings.listing_id.to_numpy()[listing], "merchant_id": stores.merchant_id.to_numpy()[store],
        "buyer": buyer, "buyer_id": account_numbers(buyer), "quantity": quantity.astype(np.int64),
        "amount": listings.price.to_numpy()[listing] * quantity, "created_at": created,
        "status": status, "changed_at": np.where(status == PAID, -1, created + delay), "class_code": class_code,
    }


def order_versions(orders: dict, period: Period) -> dict:
    """Orders rows as delivered: the state at the end of the creation day, then a later status change.

    Returns the contract's columns (status as text).
    """
    fields = ("order_id", "listing_id", "merchant_id", "buyer_id", "quantity", "amount", "created_at")
    created, changed, status = orders["created_at"], orders["changed_at"], orders["status"]
    same_day = (changed >= 0) & (period.day_of(changed) == period.day_of(created))
    first = {k: orders[k] for k in fields}
    first["status"] = np.where(same_day, status, PAID)
    first["updated_at"] = np.where(same_day, changed, created)
    later = take(orders, np.flatnonzero((changed >= 0) & ~same_day & (changed < period.t_end)))
    later = {**{k: later[k] for k in fields}, "status": later["status"], "updated_at": later["changed_at"]}
    rows = concat(first, later)
    rows["status"] = labels(STATUS, rows["status"])
    return rows
