"""Rights-holder notices, proactive detection and test buys against listings, and the takedowns they cause.

A listing lives from its creation until its store ends it (sold out, delisted), its store is closed, or
it is taken down: proactively by the platform (often within hours, before a first sale), after an upheld
notice-and-takedown request, or after a test buy found it counterfeit. Quiet counterfeiters reuse the
main pictures of counterfeit listings already taken down, so their image hashes sit a few bits away.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipr_guard.generate.clock import DAY, HOUR, MINUTE, Period

NEVER = np.iinfo(np.int64).max
# Per listing class: proactive detection probability, mean delay (s); notices per live day;
# notice outcome odds (upheld, rejected, the rest never processed); test-buy probability.
CLASSES = {
    "loud":     (0.45, 5 * HOUR, 0.100, (0.85, 0.09), 0.03),
    "evasive":  (0.15, 1 * DAY, 0.040, (0.85, 0.09), 0.00),
    "quiet":    (0.08, 2 * DAY, 0.020, (0.80, 0.14), 0.10),
    "grey":     (0.01, 3 * DAY, 0.015, (0.35, 0.60), 0.02),
    "reseller": (0.002, 3 * DAY, 0.006, (0.04, 0.90), 0.01),  # notices here are abusive: rejected
    "honest":   (0.003, 3 * DAY, 0.003, (0.04, 0.90), 0.01),
    "none":     (0.0, DAY, 0.0, (0.0, 0.0), 0.0),
}
CLASS_NAMES = tuple(CLASSES)
NOTICE_TYPES = {"cf": (("counterfeit", "trademark", "copyright"), (0.80, 0.15, 0.05)),
                "grey": (("trademark", "counterfeit"), (0.70, 0.30)),
                "other": (("counterfeit", "trademark", "patent", "copyright"), (0.50, 0.40, 0.05, 0.05))}
TAKEDOWN_REASON = {"counterfeit": "counterfeit", "trademark": "trademark", "copyright": "copyright",
                   "patent": "patent", "misrepresentation": "other", "other": "other"}
EXACT_SLA_SHARE = 0.18   # processed by the 24-hour rule at exactly 24h 00m 00s
REUSED_IMAGE_SHARE = 0.6


@dataclass(frozen=True)
class ListingEnforcement:
    listings: pd.DataFrame   # + end_at (NEVER while live at the end), end_status, listing_class, class_code
    notices: pd.DataFrame    # store, listing, brand, source, complaint_type, reporter, submitted_at, processed_at,
    #                          outcome; its index labels stay stable so takedowns can point at a notice
    takedowns: pd.DataFrame  # listing, store, origin, notice (index label in notices or -1), reason, taken_down_at
    test_buys: pd.DataFrame  # listing, store, brand, purchased_at, verdict, verdict_at


def decide(rng: np.random.Generator, submitted: np.ndarray, upheld_p: np.ndarray,
           rejected_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and processing instant (-1 = never) of complaints: 1-72 h, a share at exactly 24 h."""
    n = len(submitted)
    u = rng.random(n)
    outcome = np.where(u < upheld_p, "upheld", np.where(u < upheld_p + rejected_p, "rejected", "pending"))
    delay = np.where(rng.random(n) < 0.65, rng.integers(HOUR, DAY, n), rng.integers(DAY + 1, 3 * DAY, n))
    delay = np.where(rng.random(n) < EXACT_SLA_SHARE, DAY, delay)
    return outcome, np.where(outcome == "pending", -1, submitted + delay)


def pick_agents(rng: np.random.Generator, brands: pd.DataFrame, brand: np.ndarray) -> np.ndarray:
    """The reporter number of one of each brand's notice agents."""
    counts = brands.agents.map(len).to_numpy()
    flat = np.array([a for agents in brands.agents for a in agents], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return flat[start[brand] + (rng.random(len(brand)) * counts[brand]).astype(np.int64)]


def listing_classes(listings: pd.DataFrame, stores: pd.DataFrame) -> np.ndarray:
    kind = stores.kind.to_numpy()[listings.store.to_numpy()]
    style = stores["style"].to_numpy()[listings.store.to_numpy()]
    cls = np.select([listings.evasive, listings.counterfeit & (style == "loud"), listings.counterfeit,
                     kind == "grey_importer", kind == "authorized_reseller", kind == "honest"],
                    ["evasive", "loud", "quiet", "grey", "reseller", "honest"], "none")
    return np.where(listings.brand.to_numpy() < 0, "none", cls)


def enforce_listings(rng: np.random.Generator, listings: pd.DataFrame, stores: pd.DataFrame,
                     brands: pd.DataFrame, period: Period) -> ListingEnforcement:
    """Notices, proactive takedowns and test buys for every listing, and when each listing ends."""
    m = len(listings)
    store = listings.store.to_numpy()
    created = listings.created_at.to_numpy()
    purge = stores.purge_at.to_numpy()[store]
    purged = (purge >= 0) & (purge > created)
    end0 = np.minimum(listings.natural_end.to_numpy(), np.where(purged, purge, NEVER))
    cls = listing_classes(listings, stores)
    pro_p, pro_delay, notice_rate, odds, test_p = (np.array([CLASSES[c][i] for c in CLASSES]) for i in range(5))
    cls_i = pd.Categorical(cls, categories=CLASS_NAMES).codes

    spotted = created + rng.exponential(pro_delay[cls_i]).astype(np.int64) + MINUTE
    proactive = np.where(rng.random(m) < pro_p[cls_i], spotted, NEVER)
    window = np.minimum(end0, period.t_end) - created
    notices = _notices(rng, listings, cls, cls_i, notice_rate, odds, window, brands)
    upheld = notices[notices.outcome == "upheld"]
    first = upheld.assign(down_at=upheld.processed_at + rng.integers(0, 5 * MINUTE, len(upheld)))
    first = first.sort_values(["listing", "down_at"], kind="stable").drop_duplicates("listing")
    by_notice = np.full(m, NEVER)
    by_notice[first.listing.to_numpy()] = first.down_at.to_numpy()
    notice_row = np.full(m, -1)
    notice_row[first.listing.to_numpy()] = first.index.to_numpy()

    taken = np.minimum(proactive, by_notice)
    test_buys, by_test = _test_buys(rng, listings, cls, cls_i, test_p, np.minimum(end0, taken), period)
    origin = np.where(by_notice < np.minimum(proactive, by_test), "notice", "proactive")
    taken = np.minimum(taken, by_test)
    taken = np.where((taken < end0) & (taken < period.t_end), taken, NEVER)
    notices = notices[notices.submitted_at < taken[notices.listing.to_numpy()]]

    down = np.flatnonzero(taken < NEVER)
    judged_fake = listings.counterfeit.to_numpy()[down] | (by_test[down] == taken[down])  # a test buy's verdict
    reason = np.where(origin[down] == "notice",
                      notices.complaint_type.reindex(notice_row[down]).map(TAKEDOWN_REASON).to_numpy(),
                      np.where(judged_fake, "counterfeit", np.where(rng.random(len(down)) < 0.5, "trademark", "other")))
    takedowns = pd.DataFrame({"listing": down, "store": store[down], "origin": origin[down],
                              "notice": np.where(origin[down] == "notice", notice_row[down], -1),
                              "reason": reason, "taken_down_at": taken[down]})
    end = np.minimum(end0, taken)
    end_status = np.where((taken < NEVER) | ((end == end0) & purged & (purge <= end0)), "removed",
                          listings.natural_status.to_numpy())
    out = listings.assign(end_at=np.where(end < period.t_end, end, NEVER), end_status=end_status,
                          listing_class=cls, class_code=cls_i)
    out["image_hash"] = _reuse_images(rng, out, takedowns)
    return ListingEnforcement(out, notices, takedowns.sort_values("taken_down_at", kind="stable", ignore_index=True),
                              test_buys)


def _notices(rng, listings, cls, cls_i, notice_rate, odds, window, brands) -> pd.DataFrame:
    count = rng.poisson(notice_rate[cls_i] * np.maximum(window, 0) / DAY)
    listing = np.repeat(np.arange(len(listings)), count)
    submitted = listings.created_at.to_numpy()[listing] + (rng.random(len(listing)) * window[listing]).astype(np.int64)
    c = cls_i[listing]
    outcome, processed = decide(rng, submitted, np.array([o[0] for o in odds])[c], np.array([o[1] for o in odds])[c])
    group = np.select([np.isin(cls[listing], ["loud", "evasive", "quiet"]), cls[listing] == "grey"], ["cf", "grey"],
                      "other")
    ctype = np.empty(len(listing), dtype=object)
    for g, (types, p) in NOTICE_TYPES.items():
        rows = group == g
        ctype[rows] = rng.choice(np.array(types, dtype=object), size=rows.sum(), p=p)
    brand = listings.brand.to_numpy()[listing]
    reporter = pick_agents(rng, brands, brand)
    frame = pd.DataFrame({"store": listings.store.to_numpy()[listing], "listing": listing, "brand": brand,
                          "source": "rights_holder", "complaint_type": ctype, "reporter": reporter,
                          "submitted_at": submitted, "processed_at": processed, "outcome": outcome})
    return frame.sort_values("submitted_at", kind="stable", ignore_index=True)


def _test_buys(rng, listings, cls, cls_i, test_p, live_until, period: Period) -> tuple[pd.DataFrame, np.ndarray]:
    """Anonymous purchases of branded listings; a counterfeit verdict gets the listing taken down."""
    created = listings.created_at.to_numpy()
    until = np.minimum(live_until, period.t_end)
    chosen = rng.random(len(listings)) < test_p[cls_i]
    pick = np.flatnonzero((listings.feed_brand.to_numpy() >= 0) & chosen & (until > created))
    purchased = created[pick] + (rng.random(len(pick)) * (until[pick] - created[pick])).astype(np.int64)
    verdict_at = purchased + rng.integers(3 * DAY, 14 * DAY, len(pick))
    fake = listings.counterfeit.to_numpy()[pick]
    u = rng.random(len(pick))
    verdict = np.where(u < np.where(fake, 0.85, 0.01), "counterfeit",
                       np.where(u < np.where(fake, 0.95, 0.07), "inconclusive", "genuine"))
    by_test = np.full(len(listings), NEVER)
    hit = verdict == "counterfeit"
    by_test[pick[hit]] = verdict_at[hit] + rng.integers(HOUR, DAY, hit.sum())
    frame = pd.DataFrame({"listing": pick, "store": listings.store.to_numpy()[pick],
                          "brand": listings.brand.to_numpy()[pick], "purchased_at": purchased, "verdict": verdict,
                          "verdict_at": verdict_at})
    # A verdict still awaited at the end of the period has not been delivered.
    return frame[frame.verdict_at < period.t_end].reset_index(drop=True), by_test


def _reuse_images(rng: np.random.Generator, listings: pd.DataFrame, takedowns: pd.DataFrame) -> np.ndarray:
    """Quiet counterfeiters' main images: copies (0-3 bits off) of counterfeit listings already taken down."""
    hashes = listings.image_hash.to_numpy().copy()
    sources = takedowns[(takedowns.reason == "counterfeit")
                        & np.isin(listings.listing_class.to_numpy()[takedowns.listing], ["loud", "evasive"])]
    sources = sources.sort_values("taken_down_at", kind="stable")
    reusing = rng.random(len(listings)) < REUSED_IMAGE_SHARE
    quiet = np.flatnonzero((listings.listing_class.to_numpy() == "quiet") & reusing)
    created = listings.created_at.to_numpy()
    brand = listings.brand.to_numpy()
    src_brand = brand[sources.listing.to_numpy()]
    for b in np.unique(brand[quiet]):
        same = sources[src_brand == b] if (src_brand == b).any() else sources
        targets = quiet[brand[quiet] == b]
        before = np.searchsorted(same.taken_down_at.to_numpy(), created[targets])
        has = before > 0
        pick = (rng.random(has.sum()) * before[has]).astype(np.int64)
        flips = np.zeros(has.sum(), dtype=np.uint64)
        for _ in range(3):
            bit = rng.integers(0, 64, has.sum()).astype(np.uint64)
            flips |= np.where(rng.random(has.sum()) < 0.7, np.left_shift(np.uint64(1), bit), np.uint64(0))
        hashes[targets[has]] = hashes[same.listing.to_numpy()[pick]] ^ flips
    return hashes
