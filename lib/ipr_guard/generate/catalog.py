"""Listings: what each store puts up for sale, when, at what price, with which title and picture."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipr_guard.generate.clock import DAY, Period, times_in_days
from ipr_guard.generate.vocab import (ABROAD, CATEGORIES, DESCRIPTIONS, EVASIVE_TOKENS, FAKE_KEYWORDS, MODIFIERS,
                                      PRODUCTS, UNBRANDED_CATEGORY_WEIGHT, UNBRANDED_PRICE)

# New listings per store and day: a burst while a store stocks its shop, then a steady trickle.
BASE_RATE, BURST_RATE, BURST_DAYS = 1.0, 2.0, 10.0
# Per kind: share of branded listings, share whose brand the catalogue misses (counterfeiters who evade
# the matching), and the price band as a share of the genuine price.
OFFER = {
    "honest": (0.50, 0.00, (0.90, 1.15)),
    "authorized_reseller": (0.80, 0.00, (0.70, 0.95)),
    "grey_importer": (0.85, 0.00, (0.80, 1.10)),
    "loud": (0.80, 0.08, (0.05, 0.25)),
    "quiet": (0.80, 0.08, (0.55, 0.90)),
}
MEAN_LIFETIME_DAYS = 25.0
GENUINE_SPREAD = 0.12   # how far one product's genuine price strays from its brand's reference price


def build_listings(rng: np.random.Generator, stores: pd.DataFrame, brands: pd.DataFrame,
                   period: Period) -> pd.DataFrame:
    """Every listing created during the period, before takedowns cut some of them short.

    Columns: listing_id, store, merchant_id, brand (-1 none), feed_brand (the brand_id as delivered,
    -1 when the catalogue found none), counterfeit, evasive, category, price (cents), quantity,
    image_hash (uint64), ships_from, created_at, natural_end (when the store itself ends it),
    natural_status, title, description.
    """
    store, created = _creation_times(rng, stores, period)
    m = len(store)
    store_offer = np.where(stores.counterfeiter, stores["style"], stores.kind)
    offer = store_offer[store]
    terms = np.array([(b, e, lo, hi) for b, e, (lo, hi) in OFFER.values()])
    branded_p, evasive_p, lo, hi = terms[pd.Categorical(store_offer, categories=list(OFFER)).codes[store]].T
    u = rng.random(m)
    branded = u < branded_p
    evasive = (u >= branded_p) & (u < branded_p + evasive_p)
    brand = np.where(branded | evasive, _pick_brand(rng, stores, store, len(brands)), -1)
    counterfeit = stores.counterfeiter.to_numpy()[store] & (brand >= 0)

    some_brand = np.maximum(brand, 0)
    brand_category = pd.Categorical(brands.category, categories=CATEGORIES).codes
    unbranded_weights = _normalised([UNBRANDED_CATEGORY_WEIGHT[c] for c in CATEGORIES])
    category = np.where(brand >= 0, brand_category[some_brand],
                        rng.choice(len(CATEGORIES), size=m, p=unbranded_weights))
    genuine = brands.reference_price.to_numpy()[some_brand] / 100 * rng.lognormal(0, GENUINE_SPREAD, m)
    unbranded = np.array([UNBRANDED_PRICE[c] for c in CATEGORIES])[category] * rng.lognormal(0, 0.5, m)
    price = np.where(brand >= 0, genuine * (lo + rng.random(m) * (hi - lo)), unbranded)
    kind = stores.kind.to_numpy()[store]
    abroad = np.array([c for c, _ in ABROAD])[rng.choice(len(ABROAD), size=m, p=_normalised([w for _, w in ABROAD]))]
    ships_from = np.where(kind == "grey_importer", abroad,
                          np.where(rng.random(m) < np.where(counterfeit, 0.10, 0.03), "HK", "CN"))
    life = rng.exponential(MEAN_LIFETIME_DAYS * DAY, m).astype(np.int64) + 3600
    stock = np.ceil(rng.lognormal(3.0, 1.0, m) * np.where(counterfeit, 3, 1))
    listings = pd.DataFrame({
        "listing_id": 100_000_001 + np.arange(m),
        "store": store,
        "merchant_id": stores.merchant_id.to_numpy()[store],
        "brand": brand,
        "feed_brand": np.where(evasive | (brand < 0), -1, brands.brand_id.to_numpy()[some_brand]),
        "counterfeit": counterfeit,
        "evasive": evasive,
        "category": pd.Categorical.from_codes(category, categories=CATEGORIES),
        "price": _shop_price(rng, price),
        "quantity": np.clip(stock, 1, 9999).astype(np.int64),
        "image_hash": rng.integers(0, np.iinfo(np.uint64).max, size=m, dtype=np.uint64, endpoint=True),
        "ships_from": pd.Categorical(ships_from),
        "created_at": created,
        "natural_end": created + life,
        "natural_status": np.where(rng.random(m) < 0.5, "sold_out", "removed"),
    })
    listings["title"] = pd.Series(_titles(rng, listings, offer, brands), dtype=pd.ArrowDtype(pa.string()))
    listings["description"] = _descriptions(rng, offer, kind)
    return listings


def _normalised(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _creation_times(rng: np.random.Generator, stores: pd.DataFrame, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Which store creates each listing and when, sorted by time; nothing while a store is shut."""
    opened = np.maximum(stores.registered_at.to_numpy(), period.t0)
    days = np.arange(period.days)
    age = days[None, :] - period.day_of(opened)[:, None]
    burst = BASE_RATE + BURST_RATE * np.exp(-np.maximum(age, 0) / BURST_DAYS)
    counts = rng.poisson(np.where(age >= 0, stores.listing_rate.to_numpy()[:, None] * burst, 0.0))
    store = np.repeat(np.repeat(np.arange(len(stores)), period.days), counts.ravel())
    day = np.repeat(np.tile(days, len(stores)), counts.ravel())
    created = times_in_days(rng, period.t0, day)
    closed = stores.closed_at.to_numpy()[store]
    pause_from, pause_to = stores.pause_from.to_numpy()[store], stores.pause_to.to_numpy()[store]
    paused = (created >= pause_from) & (created < pause_to)
    keep = (created >= opened[store]) & ((closed < 0) | (created < closed)) & ~paused
    order = np.lexsort((store[keep], created[keep]))
    return store[keep][order], created[keep][order]


def _pick_brand(rng: np.random.Generator, stores: pd.DataFrame, store: np.ndarray, n_brands: int) -> np.ndarray:
    """Mostly one of the store's focus brands; resellers only sell brands they are authorized for."""
    authorized = stores.authorized_brands.to_numpy()[store]
    slot = rng.integers(0, 3, len(store))
    slot = np.where(authorized > 0, slot % np.maximum(authorized, 1), slot)
    focus = stores[["focus_0", "focus_1", "focus_2"]].to_numpy()[store, slot]
    other = rng.integers(0, n_brands, len(store))
    return np.where((authorized > 0) | (rng.random(len(store)) < 0.8), focus, other)


def _shop_price(rng: np.random.Generator, yuan: np.ndarray) -> np.ndarray:
    """Prices in cents the way shops set them: whole yuan, or ending in .90 or .99."""
    whole = np.maximum(np.floor(yuan), 1).astype(np.int64) * 100
    ending = rng.choice(np.array([0, 90, 99]), size=len(yuan), p=[0.5, 0.25, 0.25])
    return whole + ending


def _take(vocab, index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(list(vocab), type=pa.string()), pa.array(index))


def _titles(rng: np.random.Generator, listings: pd.DataFrame, offer: np.ndarray, brands: pd.DataFrame) -> pa.Array:
    """Mixed Chinese/English titles: brand word, selling points, product, and for loud fakes a give-away."""
    m = len(listings)
    tokens = [[name, *aliases] for name, aliases in zip(brands.brand_name, brands.aliases)]
    flat = [t for ts in tokens for t in ts]
    start = np.cumsum([0] + [len(ts) for ts in tokens])[:-1]
    brand = np.maximum(listings.brand.to_numpy(), 0)
    brand_word = _take(flat, start[brand] + (rng.random(m) * np.array([len(ts) for ts in tokens])[brand]).astype(int))
    copycat = [f"{ts[1] if len(ts) > 1 else ts[0]}同款" for ts in tokens]
    evasive_word = pc.if_else(pa.array(rng.random(m) < 0.5), _take(copycat, brand),
                              _take(EVASIVE_TOKENS, rng.integers(0, len(EVASIVE_TOKENS), m)))
    none = pa.scalar(None, pa.string())  # an absent word, skipped when the title is joined
    brand_word = pc.if_else(pa.array(listings.evasive.to_numpy()), evasive_word,
                            pc.if_else(pa.array(listings.brand.to_numpy() >= 0), brand_word, none))
    nouns = [p for c in CATEGORIES for p in PRODUCTS[c]]
    per_category = np.array([len(PRODUCTS[c]) for c in CATEGORIES])
    cat = listings.category.cat.codes.to_numpy()
    noun_idx = (np.cumsum(per_category) - per_category)[cat] + (rng.random(m) * per_category[cat]).astype(int)
    mods = [pc.if_else(pa.array(rng.random(m) < p), _take(MODIFIERS, rng.integers(0, len(MODIFIERS), m)), none)
            for p in (0.8, 0.4)]
    loud_fake = listings.counterfeit.to_numpy() & (offer == "loud") & (rng.random(m) < 0.85)
    keyword = pc.if_else(pa.array(loud_fake), _take(FAKE_KEYWORDS, rng.integers(0, len(FAKE_KEYWORDS), m)), none)
    return pc.binary_join_element_wise(brand_word, mods[0], _take(nouns, noun_idx), mods[1], keyword, " ",
                                       null_handling="skip")


def _descriptions(rng: np.random.Generator, offer: np.ndarray, kind: np.ndarray) -> pd.Categorical:
    """Stock descriptions by kind of seller; a few listings have none."""
    style = np.select([kind == "authorized_reseller", kind == "grey_importer", np.isin(offer, ["loud", "quiet"])],
                      ["reseller", "grey", offer], "plain")
    style = np.where((style == "reseller") & (rng.random(len(style)) < 0.3), "plain", style)
    classes = list(DESCRIPTIONS)
    flat = [d for c in classes for d in DESCRIPTIONS[c]]
    size = np.array([len(DESCRIPTIONS[c]) for c in classes])
    code = pd.Categorical(style, categories=classes).codes
    index = (np.cumsum(size) - size)[code] + (rng.random(len(style)) * size[code]).astype(int)
    texts = list(dict.fromkeys(flat))  # the same text may serve several kinds of seller
    text_code = np.array([texts.index(d) for d in flat])[index]
    return pd.Categorical.from_codes(np.where(rng.random(len(style)) < 0.05, -1, text_code), categories=texts)
