"""Consumer and platform complaints, store-level notices, and the complaints feed as delivered.

Listing-level rights-holder notices come from notices.py; this module adds the complaints that do not
take a listing down, numbers them all in submission order and splits each into the versions the feed
delivers (pending first, processed later).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, Period
from ipr_guard.generate.notices import CLASS_NAMES, decide, pick_agents
from ipr_guard.generate.orders import CANCELLED, REFUNDED
from ipr_guard.generate.people import account_numbers

# Per listing class: chance that an order leads to a consumer complaint.
CONSUMER_P = {"loud": 0.05, "evasive": 0.04, "quiet": 0.025, "grey": 0.01, "reseller": 0.004, "honest": 0.003,
              "none": 0.003}
# Per store: platform complaints and store-level notices per open day, by what the store is.
STORE_LEVEL = {"cf": (0.05, 0.02), "grey": (0.005, 0.01), "authorized_reseller": (0.001, 0.003),
               "honest": (0.001, 0.001)}
PLATFORM_STAFF_BASE = 898_000_000
CF_CLASSES = ("loud", "evasive", "quiet")


def consumer_complaints(rng: np.random.Generator, orders: dict, listings: pd.DataFrame,
                        period: Period) -> pd.DataFrame:
    """Complaints of buyers about what they received, 1-12 days after ordering."""
    cls = np.array(CLASS_NAMES, dtype=object)[orders["class_code"]]
    refunded = orders["status"] == REFUNDED
    p = np.array([CONSUMER_P[c] for c in CLASS_NAMES])[orders["class_code"]] * np.where(refunded, 3.0, 1.0)
    pick = np.flatnonzero((rng.random(len(cls)) < p) & (orders["status"] != CANCELLED))
    submitted = orders["created_at"][pick] + rng.integers(DAY, 12 * DAY, len(pick))
    pick, submitted = pick[submitted < period.t_end], submitted[submitted < period.t_end]
    fake = np.isin(cls[pick], CF_CLASSES)
    outcome, processed = decide(rng, submitted, np.where(fake, 0.70, 0.25), np.where(fake, 0.20, 0.65))
    u = rng.random(len(pick))
    ctype = np.where(fake, np.where(u < 0.7, "counterfeit", np.where(u < 0.9, "misrepresentation", "other")),
                     np.where(u < 0.2, "counterfeit", np.where(u < 0.6, "misrepresentation", "other")))
    listing = orders["listing"][pick]
    return pd.DataFrame({"store": orders["store"][pick], "listing": listing,
                         "brand": listings.brand.to_numpy()[listing], "source": "consumer", "complaint_type": ctype,
                         "reporter": account_numbers(orders["buyer"][pick], salt=1),
                         "submitted_at": submitted, "processed_at": processed, "outcome": outcome})


def store_complaints(rng: np.random.Generator, stores: pd.DataFrame, brands: pd.DataFrame,
                     period: Period) -> pd.DataFrame:
    """Complaints about a store as a whole (no listing): the platform's own and rights holders'."""
    group = np.where(stores.counterfeiter, "cf", stores.kind.replace({"grey_importer": "grey"}))
    opened = np.maximum(stores.registered_at.to_numpy(), period.t0)
    closed = stores.closed_at.to_numpy()
    open_days = np.maximum(np.where(closed >= 0, closed, period.t_end) - opened, 0) / DAY
    frames = []
    for source, col in (("platform", 0), ("rights_holder", 1)):
        rate = np.array([STORE_LEVEL[g][col] for g in group])
        count = rng.poisson(rate * open_days)
        store = np.repeat(np.arange(len(stores)), count)
        submitted = opened[store] + (rng.random(len(store)) * open_days[store] * DAY).astype(np.int64)
        fake = stores.counterfeiter.to_numpy()[store]
        outcome, processed = decide(rng, submitted, np.where(fake, 0.7, 0.1), np.where(fake, 0.2, 0.8))
        if source == "platform":
            brand = np.full(len(store), -1)
            reporter = account_numbers(PLATFORM_STAFF_BASE + rng.integers(0, 20, len(store)), salt=1)
            ctype = rng.choice(np.array(["counterfeit", "misrepresentation", "other"]), len(store), p=[0.6, 0.2, 0.2])
        else:
            brand = stores.focus_0.to_numpy()[store]
            reporter = pick_agents(rng, brands, brand)
            ctype = rng.choice(np.array(["counterfeit", "trademark"]), len(store), p=[0.6, 0.4])
        frames.append(pd.DataFrame({"store": store, "listing": -1, "brand": brand, "source": source,
                                    "complaint_type": ctype, "reporter": reporter, "submitted_at": submitted,
                                    "processed_at": processed, "outcome": outcome}))
    return pd.concat(frames, ignore_index=True)


def number_complaints(notices: pd.DataFrame, others: list[pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """All complaints in submission order with their complaint_id; maps notice labels to complaint ids."""
    tagged = [notices.assign(notice=notices.index.to_numpy())] + [o.assign(notice=-1) for o in others]
    allc = pd.concat(tagged, ignore_index=True).sort_values(["submitted_at", "store"], kind="stable", ignore_index=True)
    allc["complaint_id"] = 10_000_001 + np.arange(len(allc))
    from_notice = allc[allc.notice >= 0]
    return allc, dict(zip(from_notice.notice.to_numpy(), from_notice.complaint_id.to_numpy()))


def complaint_versions(complaints: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Complaints as delivered: the state at the end of the submission day, then the decision.

    A complaint decided on a later day arrives first as pending (processed_at null) and again, with
    processed_at and its outcome, on the day of the decision; one decided after the period stays pending.
    """
    processed = complaints.processed_at.to_numpy()
    same_day = (processed >= 0) & (period.day_of(processed) == period.day_of(complaints.submitted_at.to_numpy()))
    first = complaints.assign(
        processed_at=np.where(same_day, processed, -1),
        outcome=np.where(same_day, complaints.outcome, "pending"),
        updated_at=np.where(same_day, processed, complaints.submitted_at))
    later = complaints[(processed >= 0) & ~same_day & (processed < period.t_end)]
    return pd.concat([first, later.assign(updated_at=later.processed_at)], ignore_index=True)
