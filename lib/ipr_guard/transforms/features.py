"""Point-in-time merchant features (gold `merchant_features`): one row per store and as-of date D.

Features as of D use only what was known by the end of D (market days in the marketplace time zone):
each event counts from its knowledge day (a notice's outcome when processed, a test-buy verdict when given,
a refund when the order was last updated), so a model trained on past as-of dates sees what a nightly on
those dates saw. Event counts go through a daily rollup (`merchant_daily`) summed over windows per as-of
date (`windowed_counts`), so a nightly can persist the rollup and recompute only changed days; listing
attributes are computed per listing and aggregated over the listings created by D (`listing_counts`).
Merchant attributes and authorizations are taken as last recorded: silver keeps no history of them.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ipr_guard.config import FeaturesConfig
from ipr_guard.transforms.columns import SALE_STATUSES, keyword_hits, market_date, no_strings, share, standing_closure
from ipr_guard.transforms.identity import identity_links
from ipr_guard.transforms.image_reuse import image_reuse_matches

DEFAULT_WINDOWS = (7, 30, 90)
VELOCITY_DAYS = 30  # sales_velocity and listings_30d look at this many days, whatever the windows

# Per-day event counts of the rollup, each on its knowledge day.
DAILY_COUNTS = (
    "upheld_notices", "rejected_notices", "consumer_complaints", "orders_branded", "refunds_branded",
    "takedowns_proactive", "takedowns_notice", "counterfeit_takedowns", "counterfeit_test_buys",
    "genuine_test_buys",
)
_WINDOWED = ("upheld_notices", "rejected_notices", "consumer_complaints", "orders_branded")
_ALL_TIME = ("counterfeit_takedowns", "counterfeit_test_buys", "genuine_test_buys")


def feature_columns(windows: Sequence[int] = DEFAULT_WINDOWS) -> tuple[str, ...]:
    """The numeric model inputs (all DOUBLE, never null) for the given event windows."""
    w_max = max(windows)
    return (
        "store_age_days", "verification_level", "deposit_amount", "is_enterprise",
        "listings_total", "listings_30d", "branded_listings", "branded_share",
        "min_price_ratio", "median_price_ratio", "low_price_listings", "low_price_share",
        "keyword_listings", "keyword_share",
        *[f"{k}_{w}d" for w in sorted(windows) for k in _WINDOWED],
        f"takedowns_proactive_{w_max}d", f"takedowns_notice_{w_max}d", *_ALL_TIME,
        "sales_velocity", "refund_rate", "unauthorized_branded_listings", "unauthorized_branded_share",
        "reused_image_listings", "reused_image_share", "linked_closed_stores",
    )


FEATURE_COLUMNS: tuple[str, ...] = feature_columns(DEFAULT_WINDOWS)


def _events(frame: DataFrame, *kinds: tuple[str, Column, Column]) -> DataFrame:
    """(merchant_id, day, kind) for each (kind, day, condition) a row meets, from one scan of `frame`."""
    found = F.array_compact(F.array(*[
        F.when(cond & day.isNotNull(), F.struct(day.alias("day"), F.lit(kind).alias("kind")))
        for kind, day, cond in kinds
    ]))
    return frame.select("merchant_id", F.explode(found).alias("e")).select(
        "merchant_id", F.col("e.day").alias("day"), F.col("e.kind").alias("kind")
    )


def merchant_daily(
    listings: DataFrame, orders: DataFrame, complaints: DataFrame, takedowns: DataFrame,
    test_buys: DataFrame, tz: str,
) -> DataFrame:
    """Per store and market day, the count of each event kind on the day it became known.

    Args:
        listings, orders, complaints, takedowns, test_buys: the silver tables (listings tell which
            orders are on branded listings).
        tz: the marketplace time zone.

    Returns:
        One row per (merchant_id, day) with any event: merchant_id, day (DATE), then `DAILY_COUNTS` (BIGINT).
    """
    notice, outcome = F.col("source") == "rights_holder", F.col("outcome")
    origin, verdict = F.col("origin"), F.col("verdict")
    processed, taken = market_date(F.col("processed_at"), tz), market_date(F.col("taken_down_at"), tz)
    judged, created = market_date(F.col("verdict_at"), tz), market_date(F.col("created_at"), tz)
    # A refund is known once the order row says so: on its last update (never before the order itself).
    refunded = F.greatest(created, market_date(F.col("updated_at"), tz))
    branded = listings.where(F.col("brand_id").isNotNull()).select("listing_id")
    union = (
        _events(complaints, ("upheld_notices", processed, notice & (outcome == "upheld")),
                ("rejected_notices", processed, notice & (outcome == "rejected")),
                ("consumer_complaints", market_date(F.col("submitted_at"), tz), F.col("source") == "consumer"))
        .unionByName(_events(orders.join(branded, on="listing_id", how="left_semi"),
                             ("orders_branded", created, F.col("status").isin(*SALE_STATUSES)),
                             ("refunds_branded", refunded, F.col("status") == "refunded")))
        .unionByName(_events(takedowns, ("takedowns_proactive", taken, origin == "proactive"),
                             ("takedowns_notice", taken, origin == "notice"),
                             ("counterfeit_takedowns", taken, F.col("reason") == "counterfeit")))
        .unionByName(_events(test_buys, ("counterfeit_test_buys", judged, verdict == "counterfeit"),
                             ("genuine_test_buys", judged, verdict == "genuine")))
    )
    counts = [F.count(F.when(F.col("kind") == k, F.lit(1))).alias(k) for k in DAILY_COUNTS]
    return union.groupBy("merchant_id", "day").agg(*counts).select("merchant_id", "day", *DAILY_COUNTS)


def windowed_counts(as_of: DataFrame, daily: DataFrame, windows: Sequence[int]) -> DataFrame:
    """Sums the daily rollup per as-of date: over each window of days ending on D, and over all days to D.

    Args:
        as_of: one column as_of_date (DATE).
        daily: the output of `merchant_daily`.
        windows: window lengths in days (a window of w days ending on D starts on D - w + 1).

    Returns:
        One row per (merchant_id, as_of_date) with any event by D: the windowed `_{w}d` counts,
        takedowns by origin over the longest window, all-time counts, sales_30d, sales_total and
        refunds_total (BIGINT).
    """
    w_max = max(windows)
    age = F.datediff(F.col("as_of_date"), F.col("day"))  # 0 on D itself

    def total(kind: str, days: int | None = None) -> Column:
        return F.sum(F.col(kind) if days is None else F.when(age < days, F.col(kind)).otherwise(F.lit(0)))

    sums = {f"{k}_{w}d": total(k, w) for w in sorted(windows) for k in _WINDOWED}
    sums.update({f"takedowns_{o}_{w_max}d": total(f"takedowns_{o}", w_max) for o in ("proactive", "notice")})
    sums.update({k: total(k) for k in _ALL_TIME})
    sums.update(sales_30d=total("orders_branded", VELOCITY_DAYS), sales_total=total("orders_branded"),
                refunds_total=total("refunds_branded"))
    return (
        daily.join(F.broadcast(as_of), F.col("day") <= F.col("as_of_date"), how="inner")
        .groupBy("merchant_id", "as_of_date")
        .agg(*[expr.alias(name) for name, expr in sums.items()])
        .select("merchant_id", "as_of_date", *sums)
    )


def listing_counts(
    as_of: DataFrame, listings: DataFrame, brands: DataFrame, authorized_sellers: DataFrame,
    image_matches: DataFrame, tz: str, features: FeaturesConfig,
) -> DataFrame:
    """Aggregates listing attributes per store and as-of date over the listings created by D.

    Args:
        as_of: one column as_of_date (DATE).
        listings, brands, authorized_sellers: the silver tables.
        image_matches: the output of `image_reuse_matches`.
        tz: the marketplace time zone.
        features: thresholds and keywords.

    Returns:
        One row per (merchant_id, as_of_date) with a listing by D: listing counts (BIGINT), min and median
        price ratio (null without a priced branded listing) and reused_image_example.
    """
    ratio = F.when(F.col("reference_price") > 0, F.try_divide(F.col("price"), F.col("reference_price")))
    keyword = F.size(keyword_hits(F.concat_ws(" ", F.col("title"), F.col("description")), features.keywords)) > 0
    # One row per (store, brand) holding every authorization interval: the join cannot duplicate listings.
    grants = authorized_sellers.groupBy("merchant_id", "brand_id").agg(F.collect_list(F.struct(
        market_date(F.col("authorized_from"), tz).alias("from_day"),
        market_date(F.col("authorized_to"), tz).alias("to_day"),
    )).alias("grants"))
    per_listing = (
        listings.join(brands.select("brand_id", "reference_price"), on="brand_id", how="left")
        .join(image_matches.select("listing_id", "match_day", "matched_listing_id"), on="listing_id", how="left")
        .select(
            "listing_id", "merchant_id", "brand_id", "match_day", "matched_listing_id",
            market_date(F.col("created_at"), tz).alias("created_day"),
            ratio.cast("double").alias("price_ratio"), keyword.alias("keyword"),
        )
        .join(grants, on=["merchant_id", "brand_id"], how="left")
    )
    d = F.col("as_of_date")
    branded = F.col("brand_id").isNotNull()
    authorized = F.coalesce(F.exists(F.col("grants"), lambda g: (g["from_day"] <= d) & (
        g["to_day"].isNull() | (g["to_day"] > d))), F.lit(False))
    reused = F.col("match_day") <= d

    def count(cond: Column) -> Column:
        return F.count(F.when(cond, F.lit(1)))

    return (
        per_listing.join(F.broadcast(as_of), F.col("created_day") <= d, how="inner")
        .groupBy("merchant_id", "as_of_date")
        .agg(
            F.count(F.lit(1)).alias("listings_total"),
            count(F.datediff(d, F.col("created_day")) < VELOCITY_DAYS).alias("listings_30d"),
            count(branded).alias("branded_listings"),
            F.min("price_ratio").alias("min_price_ratio"),
            F.median("price_ratio").alias("median_price_ratio"),
            count(F.col("price_ratio") < F.lit(float(features.low_price_ratio))).alias("low_price_listings"),
            count(F.col("keyword")).alias("keyword_listings"),
            count(branded & ~authorized).alias("unauthorized_branded_listings"),
            count(reused).alias("reused_image_listings"),
            # The earliest known match by D, so the example a reviewer sees is stable from day to day.
            F.min(F.when(reused, F.struct("match_day", "matched_listing_id"))).alias("example"),
        )
        .select(
            "merchant_id", "as_of_date", "listings_total", "listings_30d", "branded_listings", "min_price_ratio",
            "median_price_ratio", "low_price_listings", "keyword_listings", "unauthorized_branded_listings",
            "reused_image_listings", F.col("example.matched_listing_id").alias("reused_image_example"),
        )
    )


def _num(name: str) -> Column:
    # 0 for a store without any event or listing of the kind: the model needs a value, never a null.
    return F.coalesce(F.col(name).cast("double"), F.lit(0.0))


def _feature_share(numerator: str, denominator: str) -> Column:
    # A share of nothing is 0 here, not the KPIs' null: a model input is never null.
    return share(_num(numerator), _num(denominator), empty=0.0)


def merchant_features(
    as_of: DataFrame, merchants: DataFrame, brands: DataFrame, authorized_sellers: DataFrame,
    listings: DataFrame, orders: DataFrame, complaints: DataFrame, takedowns: DataFrame,
    test_buys: DataFrame, enforcement_actions: DataFrame, tz: str, features: FeaturesConfig,
    identity_fields: tuple[str, ...], closure_reasons: tuple[str, ...],
) -> DataFrame:
    """Point-in-time features of every store registered by the end of each as-of date.

    Args:
        as_of: one column as_of_date (DATE); one or more dates.
        merchants, brands, authorized_sellers, listings, orders, complaints, takedowns, test_buys,
            enforcement_actions: the silver tables.
        tz: the marketplace time zone.
        features: windows, price threshold, keywords and image distance.
        identity_fields: merchant identity fields that link stores.
        closure_reasons: closure reasons that make a linked store count.

    Returns:
        One row per (merchant_id, as_of_date): merchant_id, as_of_date, store_name, business_type,
        is_closed (a non-reversed closure of any reason decided by D), `feature_columns(features.windows)`
        (DOUBLE, never null), identity_link_reasons (ARRAY<STRING>), reused_image_example (a taken-down
        listing_id whose image a listing reuses, null when none).
    """
    dates = as_of.select(F.col("as_of_date").cast("date").alias("as_of_date")).distinct()
    base = merchants.select(
        "merchant_id", "store_name", "business_type", "verification_level", "deposit_amount",
        market_date(F.col("registered_at"), tz).alias("registered_day"),
    ).join(F.broadcast(dates), F.col("registered_day") <= F.col("as_of_date"), how="inner")
    closed_since = (
        enforcement_actions.where(standing_closure())
        .groupBy("merchant_id")
        .agg(F.min(market_date(F.col("decided_at"), tz)).alias("closed_since"))
    )
    matches = image_reuse_matches(listings, takedowns, tz, features.image_max_distance)
    keys = ["merchant_id", "as_of_date"]
    joined = (
        base.join(listing_counts(dates, listings, brands, authorized_sellers, matches, tz, features), on=keys,
                  how="left")
        .join(windowed_counts(dates, merchant_daily(listings, orders, complaints, takedowns, test_buys, tz),
                              features.windows), on=keys, how="left")
        .join(identity_links(dates, merchants, enforcement_actions, tz, identity_fields, closure_reasons),
              on=keys, how="left")
        .join(closed_since, on="merchant_id", how="left")
    )
    names = feature_columns(features.windows)
    derived = {
        "store_age_days": F.datediff(F.col("as_of_date"), F.col("registered_day")),
        "is_enterprise": F.when(F.col("business_type") == "enterprise", F.lit(1.0)).otherwise(F.lit(0.0)),
        "branded_share": _feature_share("branded_listings", "listings_total"),
        # A store without a priced branded listing is priced like the brands: ratio 1.
        "min_price_ratio": F.coalesce(F.col("min_price_ratio"), F.lit(1.0)),
        "median_price_ratio": F.coalesce(F.col("median_price_ratio"), F.lit(1.0)),
        "low_price_share": _feature_share("low_price_listings", "branded_listings"),
        "keyword_share": _feature_share("keyword_listings", "listings_total"),
        "sales_velocity": _num("sales_30d") / F.greatest(_num("branded_listings"), F.lit(1.0)),
        "refund_rate": F.least(F.lit(1.0), _feature_share("refunds_total", "sales_total")),
        "unauthorized_branded_share": _feature_share("unauthorized_branded_listings", "branded_listings"),
        "reused_image_share": _feature_share("reused_image_listings", "listings_total"),
    }
    return joined.select(
        F.col("merchant_id"),
        F.col("as_of_date"),
        F.col("store_name"),
        F.col("business_type"),
        F.coalesce(F.col("closed_since") <= F.col("as_of_date"), F.lit(False)).alias("is_closed"),
        *[derived.get(c, _num(c)).cast("double").alias(c) for c in names],
        F.coalesce(F.col("identity_link_reasons"), no_strings()).alias("identity_link_reasons"),
        F.col("reused_image_example"),
    )
