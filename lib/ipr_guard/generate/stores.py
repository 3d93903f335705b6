"""The stores of the simulated marketplace: their kind, operator, profile, focus brands and fate."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipr_guard.generate import enforcement
from ipr_guard.generate.clock import DAY, Period
from ipr_guard.generate.people import merchant_identities
from ipr_guard.generate.vocab import STORE_SUFFIX, STORE_WORDS

KINDS = ("honest", "authorized_reseller", "grey_importer", "loud_counterfeiter", "quiet_counterfeiter",
         "reregistered")
SHARES = np.array([0.70, 0.08, 0.06, 0.07, 0.06, 0.03])
COUNTERFEITERS = ("loud_counterfeiter", "quiet_counterfeiter", "reregistered")
# Identity fields a re-registering operator may carry over to the new store (at least one of them).
LINKING_FIELDS = ("contact_phone", "bank_account", "id_document_number")
# Per kind: share of enterprises, verification level odds (0..3), sales and listing-rate multipliers.
# Fakes sell more per listing (cheap), which more than makes up for their listings being taken down early.
PROFILE = {
    "honest": (0.30, (0.10, 0.30, 0.40, 0.20), 1.0, 1.0),
    "authorized_reseller": (0.80, (0.00, 0.10, 0.40, 0.50), 1.1, 1.0),
    "grey_importer": (0.40, (0.20, 0.40, 0.30, 0.10), 1.0, 1.0),
    "loud_counterfeiter": (0.20, (0.40, 0.40, 0.20, 0.00), 4.0, 1.5),
    "quiet_counterfeiter": (0.25, (0.30, 0.40, 0.30, 0.00), 2.2, 1.2),
    "reregistered": (0.20, (0.60, 0.30, 0.10, 0.00), 3.0, 1.5),
}
DEPOSITS_CNY = np.array([1000, 2000, 5000, 10000, 20000, 50000])


@dataclass(frozen=True)
class Stores:
    """Stores (one row each, ordered by merchant id), enforcement decisions and their status effects."""

    stores: pd.DataFrame
    actions: pd.DataFrame
    status_changes: pd.DataFrame
    authorizations: pd.DataFrame


def _kind_counts(n: int) -> np.ndarray:
    """Stores per kind, rounded so they add up to `n` (largest remainder)."""
    raw = SHARES * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts


def build_stores(rng: np.random.Generator, n: int, period: Period, brands: pd.DataFrame) -> Stores:
    """Creates `n` stores, their enforcement history over the period and the brand authorizations."""
    t0 = period.t0
    kind = rng.permutation(np.repeat(np.array(KINDS, dtype=object), _kind_counts(n)))
    opens_in_period = (rng.random(n) < 0.05) & (kind != "reregistered")
    registered = np.where(opens_in_period, t0 + (rng.random(n) * 0.85 * period.days * DAY).astype(np.int64),
                          t0 - rng.integers(DAY, 1500 * DAY, size=n))
    actions, predecessor = enforcement.plan_enforcement(rng, kind, registered, period)

    # Merchant ids follow registration order, so every decision and link is renumbered once here.
    order = np.argsort(registered, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    kind, registered, predecessor = kind[order], registered[order], predecessor[order]
    predecessor = np.where(predecessor >= 0, rank[np.maximum(predecessor, 0)], -1)
    actions = actions.assign(store=rank[actions.store.to_numpy()])

    stores = pd.DataFrame({"merchant_id": 1_000_001 + np.arange(n), "kind": kind, "registered_at": registered,
                           "predecessor": predecessor})
    stores["counterfeiter"] = stores.kind.isin(COUNTERFEITERS)
    stores["style"] = np.where(stores.kind == "loud_counterfeiter", "loud",
                               np.where(stores.kind == "quiet_counterfeiter", "quiet", ""))
    rereg = (stores.kind == "reregistered").to_numpy()
    stores.loc[rereg, "style"] = np.where(rng.random(rereg.sum()) < 0.5, "loud", "quiet")
    _profile(rng, stores)
    _identities(rng, stores)
    _focus_brands(rng, stores, brands)
    timelines = enforcement.store_timelines(actions, n, period)
    stores = pd.concat([stores, timelines], axis=1)
    return Stores(stores, actions, enforcement.status_changes(actions, rng), _authorizations(rng, stores, period))


def _profile(rng: np.random.Generator, stores: pd.DataFrame) -> None:
    n = len(stores)
    kinds = stores.kind.to_numpy()
    enterprise_p = np.array([PROFILE[k][0] for k in kinds])
    enterprise = rng.random(n) < enterprise_p
    level_cdf = np.cumsum([PROFILE[k][1] for k in kinds], axis=1)
    level = (rng.random((n, 1)) > level_cdf).sum(axis=1).clip(0, 3)
    grey = kinds == "grey_importer"
    abroad = rng.random(n) < np.where(grey, 0.3, 0.04)
    country = np.where(abroad, np.array(["HK", "SG", "US"])[rng.choice(3, size=n, p=[0.7, 0.2, 0.1])], "CN")
    deposit = DEPOSITS_CNY[np.clip(rng.integers(0, 4, size=n) + 2 * enterprise - (level == 0), 0, 5)]
    # Operator = the person or company behind the store; re-registered stores keep their predecessor's.
    operator = np.arange(1, n + 1)
    pred = stores.predecessor.to_numpy()
    operator[pred >= 0] = operator[pred[pred >= 0]]
    words = rng.integers(0, len(STORE_WORDS), size=(n, 2))
    suffix = rng.integers(0, len(STORE_SUFFIX), size=n)
    names = [f"{STORE_WORDS[a]}{STORE_WORDS[b] if a != b else ''}{STORE_SUFFIX[s]}" for (a, b), s in zip(words, suffix)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):  # a few shops share a catchy name; number them like the platform does
        seen[name] = seen.get(name, 0) + 1
        names[i] = name if seen[name] == 1 else f"{name}{seen[name]}"
    sales = rng.gamma(1.5, 1 / 1.5, size=n) * np.array([PROFILE[k][2] for k in kinds])
    listing_rate = rng.gamma(2.0, 0.5, size=n) * np.array([PROFILE[k][3] for k in kinds])
    stores["operator"] = operator
    stores["store_name"] = names
    stores["country"] = country
    stores["business_type"] = np.where(enterprise, "enterprise", "individual")
    stores["verification_level"] = level.astype(np.int64)
    stores["deposit_amount"] = deposit.astype(np.int64) * 100
    stores["sales"] = sales
    stores["listing_rate"] = listing_rate


def _identities(rng: np.random.Generator, stores: pd.DataFrame) -> None:
    """Personal data per operator; re-registered stores reuse some of their closed predecessor's."""
    ids = merchant_identities(rng, (stores.business_type == "enterprise").to_numpy(), stores.country.to_numpy())
    for col in ids.columns:
        stores[col] = ids[col].to_numpy().astype(object)
    for store in np.flatnonzero(stores.predecessor.to_numpy() >= 0):
        pred = stores.predecessor.iat[store]
        shared = [f for f in LINKING_FIELDS if rng.random() < 0.5] or [LINKING_FIELDS[rng.integers(3)]]
        if "id_document_number" in shared:
            shared.append("legal_name")  # one document, one legal person
        for col in shared:
            stores.at[store, col] = stores.at[pred, col]
    # Some honest operators never gave a phone number: a null must not link stores together.
    no_phone = (stores.kind == "honest").to_numpy() & (rng.random(len(stores)) < 0.01)
    stores.loc[no_phone, "contact_phone"] = None


def _focus_brands(rng: np.random.Generator, stores: pd.DataFrame, brands: pd.DataFrame) -> None:
    """Three brands each store mostly sells; resellers' first ones are those they are authorized for."""
    ref = brands.reference_price.to_numpy() / 100
    cat = brands.category.to_numpy()
    weights = {
        "cf": ref ** 0.4 * np.where(np.isin(cat, ["shoes", "bags", "watches", "cosmetics"]), 2.0, 1.0),
        "grey": np.where(np.isin(cat, ["cosmetics", "bags", "electronics", "watches"]), 3.0, 1.0),
        "any": np.ones(len(brands)),
    }
    group = np.where(stores.counterfeiter, "cf", np.where(stores.kind == "grey_importer", "grey", "any"))
    focus = np.empty((len(stores), 3), dtype=np.int64)
    for g, w in weights.items():
        rows = np.flatnonzero(group == g)
        keys = rng.random((len(rows), len(brands))) ** (1 / w)  # weighted sampling without replacement
        focus[rows] = np.argsort(-keys, axis=1)[:, :3]
    for i in range(3):
        stores[f"focus_{i}"] = focus[:, i]
    stores["authorized_brands"] = np.where(stores.kind == "authorized_reseller", rng.integers(1, 4, len(stores)), 0)


def _authorizations(rng: np.random.Generator, stores: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Brand authorizations of the resellers, plus a few that ended before the period."""
    rows = []
    for s in np.flatnonzero(stores.authorized_brands.to_numpy() > 0):
        registered = int(stores.registered_at.iat[s])
        for i in range(int(stores.authorized_brands.iat[s])):
            # Stores opened during the period are authorized when they open, the others before it.
            since = registered if registered >= period.t0 else \
                max(registered, period.t0 - int(rng.integers(30, 700)) * DAY)
            since += int(rng.integers(0, 3600))
            rows.append((int(stores[f"focus_{i}"].iat[s]), s, since, -1, since))
        if rng.random() < 0.2 and registered < period.t0 - 200 * DAY:
            old = int(stores.focus_2.iat[s])
            since = registered + int(rng.integers(0, 60)) * DAY
            until = since + int(rng.integers(60, 150)) * DAY
            if old not in [r[0] for r in rows if r[1] == s]:
                rows.append((old, s, since, until, until))
    return pd.DataFrame(rows, columns=["brand", "store", "authorized_from", "authorized_to", "updated_at"],
                        dtype=np.int64)
