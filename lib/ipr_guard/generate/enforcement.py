"""Store-level enforcement over the period: warnings, suspensions, closures, appeals, re-registrations.

Decided before any listing exists, because a closure bounds everything a store does afterwards and a
closed counterfeiter's operator may come back under a new store.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, HOUR, Period

LOUD, QUIET, REREG = "loud_counterfeiter", "quiet_counterfeiter", "reregistered"
HONEST, GREY = "honest", "grey_importer"
CLOSE_P = {LOUD: 0.5, QUIET: 0.25, REREG: 0.2}
CF_REVERSED_P = 0.04        # an appeal occasionally wins even for a counterfeiter
WRONGFUL_PER_CF_CLOSURE = 0.1
FRAUD_PER_HONEST = 0.004


def _uniform(rng: np.random.Generator, lo: float, hi: float) -> int:
    return int(lo + rng.random() * (hi - lo))


def plan_enforcement(rng: np.random.Generator, kind: np.ndarray, registered_at: np.ndarray,
                     period: Period) -> tuple[pd.DataFrame, np.ndarray]:
    """Plans every enforcement decision of the period and when re-registered stores open.

    Args:
        rng: random source.
        kind: kind of each store; re-registered stores are turned into loud counterfeiters when no
            counterfeiter exists to have been closed before them (tiny worlds). Modified in place.
        registered_at: registration instant of each store; set here for re-registered stores
            (modified in place).
        period: the simulated period.

    Returns:
        The decisions (store, action, reason, decided_at, reversed_at, lifted_at; -1 = never) and, per
        store, the closed store whose operator re-registered it (-1 for the others).
    """
    t0, t_end = period.t0, period.t_end
    span = t_end - t0
    n = len(kind)
    actions: list[tuple] = []
    closure_at = np.full(n, -1, dtype=np.int64)
    predecessor = np.full(n, -1, dtype=np.int64)

    def close(store: int, at: int, reason: str, reversed_at: int = -1) -> None:
        closure_at[store] = at
        actions.append((store, "closure", reason, at, reversed_at, -1))

    base_cf = np.flatnonzero(np.isin(kind, (LOUD, QUIET)))
    rereg = np.flatnonzero(kind == REREG)
    candidates = base_cf[registered_at[base_cf] < t0]
    if len(candidates) == 0:
        kind[rereg] = LOUD
        rereg = rereg[:0]
    preds = rng.choice(candidates, size=len(rereg), replace=len(candidates) < len(rereg)) if len(rereg) else rereg
    for store in np.unique(preds):
        close(int(store), _uniform(rng, t0 + 0.05 * span, t0 + 0.6 * span), _cf_reason(rng))
    for store, pred in zip(rereg, preds):
        predecessor[store] = pred
        gap = min(10 * DAY, t_end - closure_at[pred] - 2 * HOUR)
        registered_at[store] = closure_at[pred] + int((0.1 + 0.9 * rng.random()) * gap)

    for store in np.concatenate([base_cf, rereg]):
        if closure_at[store] >= 0 or rng.random() >= CLOSE_P[kind[store]]:
            continue
        lo = max(t0, int(registered_at[store]) + 2 * DAY)
        if lo < t_end - HOUR:
            reversed_at = -1
            at = _uniform(rng, lo, t_end)
            if rng.random() < CF_REVERSED_P and at + 3 * DAY < t_end - HOUR:
                reversed_at = _uniform(rng, at + 3 * DAY, min(at + 10 * DAY, t_end - HOUR))
            close(int(store), at, _cf_reason(rng), reversed_at)

    n_cf_closed = int((closure_at >= 0).sum())
    n_wrong = max(round(WRONGFUL_PER_CF_CLOSURE * n_cf_closed), int(n_cf_closed > 0))  # small worlds get one too
    pool = np.flatnonzero(np.isin(kind, (HONEST, GREY)) & (registered_at < t0))
    for store in rng.choice(pool, size=min(n_wrong, len(pool)), replace=False):
        at = _uniform(rng, t0 + 0.05 * span, t0 + 0.8 * span)
        back = min(at + _uniform(rng, 2 * DAY, 8 * DAY), t_end - HOUR)
        close(int(store), at, "ipr_infringement" if rng.random() < 0.6 else "counterfeit",
              back if back > at else at + (t_end - at) // 2)
    honest = np.flatnonzero((kind == HONEST) & (closure_at < 0) & (registered_at < t0))
    for store in rng.choice(honest, size=min(round(FRAUD_PER_HONEST * len(honest)), len(honest)), replace=False):
        close(int(store), _uniform(rng, t0, t_end - HOUR), "fraud")

    _warnings_and_suspensions(rng, kind, registered_at, closure_at, actions, period)
    frame = pd.DataFrame(actions, columns=["store", "action", "reason", "decided_at", "reversed_at", "lifted_at"])
    frame = frame.astype({"store": np.int64, "decided_at": np.int64, "reversed_at": np.int64, "lifted_at": np.int64})
    return frame.sort_values(["decided_at", "store"], kind="stable", ignore_index=True), predecessor


def _cf_reason(rng: np.random.Generator) -> str:
    return "counterfeit" if rng.random() < 0.75 else "ipr_infringement"


def _warnings_and_suspensions(rng, kind, registered_at, closure_at, actions, period: Period) -> None:
    """Warnings and suspensions: most closures are preceded by them, some stores get only them."""
    t0, t_end = period.t0, period.t_end
    closures = {a[0]: a for a in actions if a[1] == "closure"}
    for store in range(len(kind)):
        opened = max(t0, int(registered_at[store]))
        if opened >= t_end - HOUR:
            continue
        is_cf = kind[store] in CLOSE_P
        if store in closures and is_cf:
            at, reason = closures[store][3], closures[store][2]
            warned = at - _uniform(rng, 2 * DAY, 15 * DAY)
            if rng.random() < 0.6 and warned >= opened:
                actions.append((store, "warning", reason, warned, -1, -1))
            suspended = at - _uniform(rng, DAY, 6 * DAY)
            if rng.random() < 0.35 and suspended >= opened and suspended > warned:
                actions.append((store, "suspension", reason, suspended, -1, -1))
        elif is_cf:
            if rng.random() < 0.3:
                actions.append((store, "warning", "ipr_infringement", _uniform(rng, opened, t_end), -1, -1))
            elif kind[store] == LOUD and rng.random() < 0.15:
                at = _uniform(rng, opened, t_end)
                lifted = at + _uniform(rng, 3 * DAY, 7 * DAY)
                actions.append((store, "suspension", "counterfeit", at, -1, lifted if lifted < t_end else -1))
        elif store not in closures:
            p_warn = 0.1 if kind[store] == GREY else 0.01
            if rng.random() < p_warn:
                reason = "ipr_infringement" if kind[store] == GREY else "other"
                actions.append((store, "warning", reason, _uniform(rng, opened, t_end), -1, -1))


def store_timelines(actions: pd.DataFrame, n: int, period: Period) -> pd.DataFrame:
    """Per store: when it closed for good, when it could not sell, and when its listings were all removed.

    Columns: closed_at (final closure or -1), pause_from / pause_to (a suspension or a closure later
    reversed: no sales in between; -1 = none), purge_at (a closure, reversed or not: every listing
    live then is removed; -1 = none).
    """
    out = pd.DataFrame({"closed_at": -1, "pause_from": -1, "pause_to": -1, "purge_at": -1},
                       index=pd.RangeIndex(n), dtype=np.int64)
    final = actions[(actions.action == "closure") & (actions.reversed_at < 0)].drop_duplicates("store")
    out.loc[final.store.to_numpy(), "closed_at"] = final.decided_at.to_numpy()
    closures = actions[actions.action == "closure"].drop_duplicates("store")
    out.loc[closures.store.to_numpy(), "purge_at"] = closures.decided_at.to_numpy()
    for row in actions[actions.action.isin(["suspension", "closure"])].itertuples():
        if row.action == "closure" and row.reversed_at < 0:
            continue
        if row.action == "closure":
            end = row.reversed_at
        else:
            end = row.lifted_at if row.lifted_at >= 0 else out.at[row.store, "purge_at"]
            end = end if end >= 0 else period.t_end
        before = out.at[row.store, "pause_from"]
        start = row.decided_at if before < 0 else min(row.decided_at, before)
        out.loc[row.store, ["pause_from", "pause_to"]] = [start, max(end, out.at[row.store, "pause_to"])]
    return out


def status_changes(actions: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The store status each decision leads to, a moment after it (store, changed_at, status)."""
    rows = []
    for a in actions.itertuples():
        lag = int(rng.integers(1, 300))
        if a.action == "suspension":
            rows.append((a.store, a.decided_at + lag, "suspended"))
            if a.lifted_at >= 0:
                rows.append((a.store, a.lifted_at, "active"))
        elif a.action == "closure":
            rows.append((a.store, a.decided_at + lag, "closed"))
            if a.reversed_at >= 0:
                rows.append((a.store, a.reversed_at + lag, "active"))
    frame = pd.DataFrame(rows, columns=["store", "changed_at", "status"])
    return frame.astype({"store": np.int64, "changed_at": np.int64})
