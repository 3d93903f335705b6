"""From simulated events to delivered rows: the columns of each contract table, with each row's delivery day.

Rows existing before the period arrive on the first day; the others on the day they happen in
Asia/Shanghai, a few orders and complaints one or two days late; a change to a key arrives as a new
version of the whole row with a later updated_at (change data capture).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ipr_guard.generate.clock import DAY, HOUR, Period
from ipr_guard.generate.complaints import complaint_versions
from ipr_guard.generate.encode import concat, hex64, labels, take
from ipr_guard.generate.orders import order_versions

LATE_SHARE = 0.03


@dataclass(frozen=True)
class Context:
    """The simulated world a table's rows are drawn from, and that table's own random stream."""

    period: Period
    stores: pd.DataFrame
    brands: pd.DataFrame
    listings: pd.DataFrame
    rng: np.random.Generator


def _columns(frame: pd.DataFrame | dict) -> dict:
    """Plain numpy or Arrow columns, as the encoder takes them."""
    if isinstance(frame, dict):
        return dict(frame)
    return {c: pa.array(frame[c].array) if isinstance(frame[c].dtype, pd.ArrowDtype) else frame[c].to_numpy()
            for c in frame.columns}


def _deliver(ctx: Context, frame: pd.DataFrame | dict, key: tuple[str, ...], at: np.ndarray,
             late_share: float = 0.0) -> dict:
    """The rows as columns, with `_day` (delivery day), `_at` (the instant the row reflects) and `_late`.

    A delivery day carries the state of each key at the end of that day, as a daily extract would: of
    several versions of a key falling on the same day only the latest is kept (the pipeline treats two
    different rows of one key on one day as a broken feed).
    """
    at = np.asarray(at, dtype=np.int64)
    day = np.clip(ctx.period.day_of(at), 0, ctx.period.days - 1)
    shifted = np.minimum(day + ctx.rng.integers(1, 3, len(at)) * (ctx.rng.random(len(at)) < late_share),
                         ctx.period.days - 1)
    rows = {**_columns(frame), "_day": shifted, "_at": at, "_late": shifted > day}
    keep = _end_of_day(rows, key, shifted, at, ctx.period.days)
    return rows if keep is None else take(rows, keep)


def _end_of_day(rows: dict, key: tuple[str, ...], day: np.ndarray, at: np.ndarray, days: int) -> np.ndarray | None:
    """Positions of the latest version of each key on each delivery day (None when nothing collides)."""
    if len(key) == 1:
        ident = np.asarray(rows[key[0]], dtype=np.int64)
    else:
        ident = pd.factorize(pd.MultiIndex.from_arrays([np.asarray(rows[k]) for k in key]))[0].astype(np.int64)
    group = ident * days + day
    order = np.argsort(at, kind="stable")
    order = order[np.argsort(group[order], kind="stable")]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = group[order][1:] != group[order][:-1]
    return None if last.all() else np.sort(order[last])


def _labels_of(column: pd.Series) -> pa.DictionaryArray:
    return labels(column.cat.categories, column.cat.codes.to_numpy())


def _brand_ids(ctx: Context, brand: np.ndarray) -> np.ndarray:
    return np.where(brand >= 0, ctx.brands.brand_id.to_numpy()[np.maximum(brand, 0)], -1)


def merchants(ctx: Context, status_changes: pd.DataFrame) -> dict:
    """Every store's row when it registers (or on the first day), then at each status or profile change."""
    s, t0 = ctx.stores, ctx.period.t0
    reg = s.registered_at.to_numpy()
    first_at = np.where(reg < t0, reg + ((t0 - HOUR - reg) * ctx.rng.random(len(s))).astype(np.int64),
                        reg + ctx.rng.integers(60, 600, len(s)))
    base = s.assign(status="active", updated_at=first_at)
    who = status_changes.store.to_numpy()
    # A change always postdates the row it changes, even for a store decided on minutes after opening.
    changed = base.iloc[who].assign(status=status_changes.status.to_numpy(),
                                    updated_at=np.maximum(status_changes.changed_at.to_numpy(), first_at[who] + 1))
    # A few stores change their deposit during the period, without any enforcement behind it.
    calm = np.setdiff1d(np.arange(len(s)), status_changes.store.to_numpy())
    calm = calm[(ctx.rng.random(len(calm)) < 0.02) & (first_at[calm] < ctx.period.t_end - DAY)]
    start = np.maximum(first_at[calm], t0) + HOUR
    profile = base.iloc[calm].assign(
        deposit_amount=base.deposit_amount.to_numpy()[calm] * 2,
        updated_at=start + ((ctx.period.t_end - start) * ctx.rng.random(len(calm))).astype(np.int64))
    rows = pd.concat([base, changed, profile], ignore_index=True)
    rows["merchant_id"] = rows.merchant_id.astype(np.int64)
    return _deliver(ctx, rows, ("merchant_id",), rows.updated_at.to_numpy())


def brands(ctx: Context, versions: pd.DataFrame) -> dict:
    return _deliver(ctx, versions, ("brand_id",), versions.updated_at.to_numpy())


def authorized_sellers(ctx: Context, auth: pd.DataFrame) -> dict:
    rows = pd.DataFrame({"brand_id": _brand_ids(ctx, auth.brand.to_numpy()),
                         "merchant_id": ctx.stores.merchant_id.to_numpy()[auth.store.to_numpy()],
                         "authorized_from": auth.authorized_from, "authorized_to": auth.authorized_to,
                         "updated_at": auth.updated_at})
    return _deliver(ctx, rows, ("brand_id", "merchant_id"), rows.updated_at.to_numpy())


def listings(ctx: Context) -> dict:
    """Each listing when created (active), and again when it ends (removed or sold out)."""
    ls = ctx.listings
    first = {
        "listing_id": ls.listing_id.to_numpy(), "merchant_id": ls.merchant_id.to_numpy(),
        "title": pa.array(ls.title.array), "description": _labels_of(ls.description),
        "brand_id": ls.feed_brand.to_numpy(), "category": _labels_of(ls.category),
        "price": ls.price.to_numpy(), "currency": labels(("CNY",), np.zeros(len(ls), dtype=np.int8)),
        "quantity": ls.quantity.to_numpy(), "image_hash": hex64(ls.image_hash.to_numpy()),
        "ships_from": _labels_of(ls.ships_from), "created_at": ls.created_at.to_numpy(),
        "updated_at": ls.created_at.to_numpy(), "status": np.zeros(len(ls), dtype=np.int8)}
    ended = np.flatnonzero(ls.end_at.to_numpy() < ctx.period.t_end)
    last = take(first, ended)
    sold_out = ls.end_status.to_numpy()[ended] == "sold_out"
    last.update(status=np.where(sold_out, 2, 1).astype(np.int8), updated_at=ls.end_at.to_numpy()[ended],
                quantity=np.where(sold_out, 0, last["quantity"]))
    rows = concat(first, last)
    rows["status"] = labels(("active", "removed", "sold_out"), rows["status"])
    return _deliver(ctx, rows, ("listing_id",), rows["updated_at"])


def orders(ctx: Context, placed: dict) -> dict:
    rows = order_versions(placed, ctx.period)
    return _deliver(ctx, rows, ("order_id",), rows["updated_at"], LATE_SHARE)


def complaints(ctx: Context, complaints_: pd.DataFrame) -> dict:
    rows = complaint_versions(complaints_, ctx.period)
    listing = rows.listing.to_numpy()
    rows = rows.assign(brand_id=_brand_ids(ctx, rows.brand.to_numpy()),
                       listing_id=np.where(listing >= 0, ctx.listings.listing_id.to_numpy()[np.maximum(listing, 0)],
                                           -1),
                       merchant_id=ctx.stores.merchant_id.to_numpy()[rows.store.to_numpy()],
                       reporter_id=rows.reporter)
    return _deliver(ctx, rows, ("complaint_id",), rows.updated_at.to_numpy(), LATE_SHARE)


def takedowns(ctx: Context, down: pd.DataFrame, complaint_of_notice: dict) -> dict:
    complaint = down.notice.map(complaint_of_notice).fillna(-1).to_numpy(dtype=np.int64)
    rows = pd.DataFrame({
        "takedown_id": 10_000_001 + np.arange(len(down)),
        "listing_id": ctx.listings.listing_id.to_numpy()[down.listing.to_numpy()],
        "merchant_id": ctx.stores.merchant_id.to_numpy()[down.store.to_numpy()],
        "origin": down.origin, "complaint_id": complaint, "reason": down.reason, "taken_down_at": down.taken_down_at})
    return _deliver(ctx, rows, ("takedown_id",), rows.taken_down_at.to_numpy())


def test_buys(ctx: Context, buys: pd.DataFrame) -> dict:
    buys = buys.sort_values("verdict_at", kind="stable", ignore_index=True)
    rows = pd.DataFrame({
        "test_buy_id": 1_000_001 + np.arange(len(buys)),
        "listing_id": ctx.listings.listing_id.to_numpy()[buys.listing.to_numpy()],
        "merchant_id": ctx.stores.merchant_id.to_numpy()[buys.store.to_numpy()],
        "brand_id": _brand_ids(ctx, buys.brand.to_numpy()), "purchased_at": buys.purchased_at,
        "verdict": buys.verdict, "verdict_at": buys.verdict_at})
    return _deliver(ctx, rows, ("test_buy_id",), rows.verdict_at.to_numpy())


def enforcement_actions(ctx: Context, actions: pd.DataFrame) -> dict:
    """Each decision when taken, and again (reversed=true) on the day an appeal overturns it."""
    first = pd.DataFrame({
        "action_id": 1_000_001 + np.arange(len(actions)),
        "merchant_id": ctx.stores.merchant_id.to_numpy()[actions.store.to_numpy()],
        "action": actions.action, "reason": actions.reason, "decided_at": actions.decided_at,
        "reversed": False, "updated_at": actions.decided_at})
    back = np.flatnonzero(actions.reversed_at.to_numpy() >= 0)
    appeal = first.iloc[back].assign(reversed=True, updated_at=actions.reversed_at.to_numpy()[back])
    rows = pd.concat([first, appeal], ignore_index=True)
    return _deliver(ctx, rows, ("action_id",), rows.updated_at.to_numpy())


def privacy_requests(ctx: Context, placed: dict, complaints_: pd.DataFrame) -> dict:
    """A few opt-outs and erasures by buyers, reporters and merchants who were active before asking."""
    period, rng = ctx.period, ctx.rng
    n = max(3, round(len(ctx.stores) * period.days / 3000))
    received = np.sort(period.t0 + ((0.2 + 0.8 * rng.random(n)) * (period.t_end - period.t0)).astype(np.int64))
    # Every kind of subject and of request shows up at least once, the rest by their usual odds.
    subject_type = rng.permutation(np.concatenate([
        ["buyer", "reporter", "merchant"], rng.choice(["buyer", "reporter", "merchant"], n - 3, p=[0.55, 0.25, 0.20])]))
    request_type = rng.permutation(np.concatenate([
        ["opt_out_analytics", "erasure"], rng.choice(["opt_out_analytics", "erasure"], n - 2, p=[0.6, 0.4])]))
    # Each pool is in time order (orders by creation, complaints by submission, merchant ids by
    # registration), so who had appeared before an instant is a prefix of it.
    pools = {"buyer": ("B", placed["buyer_id"], placed["created_at"]),
             "reporter": ("R", complaints_.reporter.to_numpy(), complaints_.submitted_at.to_numpy()),
             "merchant": ("M", ctx.stores.merchant_id.to_numpy(), ctx.stores.registered_at.to_numpy())}
    subject_id = []
    for i, (at, u) in enumerate(zip(received, rng.random(n))):
        prefix, ids, since = pools[subject_type[i]]
        seen = np.searchsorted(since, at)
        if not seen:  # nobody of that kind yet: a merchant asks instead
            subject_type[i] = "merchant"
            prefix, ids, since = pools["merchant"]
            seen = max(1, np.searchsorted(since, at))
        subject_id.append(f"{prefix}{ids[int(u * seen)]}")
    rows = pd.DataFrame({"request_id": 100_001 + np.arange(n), "subject_type": subject_type,
                         "subject_id": np.array(subject_id, dtype=object),
                         "request_type": request_type,
                         "received_at": received})
    return _deliver(ctx, rows, ("request_id",), received)
