"""Risk of new, unsold listings, for proactive takedown (contract: `listing_risk`).

The score is built from two transparent signals so that a reviewer can see why a listing ranks high:

* price: a listing matched to a registered brand and priced under `low_price_ratio` of the brand's
  reference price. Only a branded listing has a reference to be far from, so an unbranded listing
  never gets this signal and ranks below a branded one that is suspiciously cheap.
* keywords: the title or description names a counterfeit term (高仿, replica, ...), case-insensitively.

* image reuse: the main image is within a few bits of a listing already taken down for counterfeiting.
* store: the counterfeit-seller model's score of the listing's store (when a champion model exists),
  so that a quiet counterfeiter's clean-looking new listing still ranks above an honest store's.

Signal scores (below) are combined as 1 - prod(1 - signal): each signal alone keeps its score, more
signals rank higher than fewer, and the result stays in [0, 1].
"""
from __future__ import annotations

import datetime
from typing import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import SALE_STATUSES, keyword_hits, market_date
from ipr_guard.transforms.image_reuse import image_reuse_matches

# Price signal: PRICE_BASE at the threshold ratio, rising linearly to PRICE_BASE + PRICE_SPAN at price 0.
PRICE_BASE = 0.6
PRICE_SPAN = 0.3
# Keyword signal: KEYWORD_BASE for one term, KEYWORD_STEP per further term, at most KEYWORD_MAX;
# KEYWORD_BRANDED more when the listing is matched to a registered brand (a claimed copy of a real mark).
KEYWORD_BASE = 0.5
KEYWORD_STEP = 0.1
KEYWORD_MAX = 0.7
KEYWORD_BRANDED = 0.1
# Image signal: a reused counterfeit image is about as telling as a counterfeit keyword on a brand.
IMAGE_SCORE = 0.7
# Store signal: the store's model score, scaled so a store signal alone stays under a strong listing signal.
STORE_WEIGHT = 0.8

NO_SIGNAL_REASON = ("no risk signal was found (no counterfeit keyword or reused counterfeit image, price not far "
                    "below a brand reference price, store not flagged by the model)")


def new_listing_matches(listings: DataFrame, takedowns: DataFrame, run_date: datetime.date, tz: str,
                        max_distance: int) -> DataFrame:
    """Listings created on D whose main image matches a listing taken down for counterfeiting by D.

    Only D's new listings enter the banded join, so the nightly's cost follows the day's listings.

    Returns:
        listing_id, matched_listing_id.
    """
    new = listings.where(market_date(F.col("created_at"), tz) == F.lit(run_date))
    matches = image_reuse_matches(listings, takedowns, tz, max_distance, probes=new)
    return matches.where(F.col("match_day") <= F.lit(run_date)).select("listing_id", "matched_listing_id")


def listing_risk(
    run_date: datetime.date,
    listings: DataFrame,
    orders: DataFrame,
    brands: DataFrame,
    tz: str,
    low_price_ratio: float,
    keywords: Sequence[str],
    image_matches: DataFrame | None = None,
    store_scores: DataFrame | None = None,
) -> DataFrame:
    """Scores the listings created on D that have not sold by the end of D.

    Args:
        run_date: the run date D (a day in `tz`).
        listings: silver listings.
        orders: silver orders.
        brands: silver brands.
        tz: the marketplace time zone.
        low_price_ratio: a branded listing priced under this share of its brand's reference price is
            suspicious.
        keywords: counterfeit terms looked for in title and description (case-insensitive).
        image_matches: listing_id, matched_listing_id: listings whose main image is within the configured
            distance of a listing taken down for counterfeiting by D (one row per listing); None: no signal.
        store_scores: merchant_id, score: the champion model's store scores for D; None: no signal.

    Returns:
        One row per scored listing: run_date, listing_id, merchant_id, brand_id, risk_score (DOUBLE in
        [0, 1]), reasons (non-empty), price_ratio (null when unbranded or the brand has no reference
        price), keyword_hits.
    """
    day = F.lit(run_date)
    # Sold by the end of D: an order paid or refunded created on or before D (a cancelled order is no sale).
    sold = (
        orders.where(F.col("status").isin(*SALE_STATUSES) & (market_date(F.col("created_at"), tz) <= day))
        .select("listing_id")
        .distinct()
    )
    reference = brands.select("brand_id", "brand_name", "reference_price")
    new = (
        listings.where(market_date(F.col("created_at"), tz) == day)
        .join(sold, on="listing_id", how="left_anti")
        .join(reference, on="brand_id", how="left")
    )
    spark = listings.sparkSession
    if image_matches is None:
        image_matches = spark.createDataFrame([], "listing_id string, matched_listing_id string")
    if store_scores is None:
        store_scores = spark.createDataFrame([], "merchant_id string, score double")
    new = (new.join(image_matches.select("listing_id", "matched_listing_id"), on="listing_id", how="left")
           .join(store_scores.select("merchant_id", F.col("score").alias("store_score")), on="merchant_id",
                 how="left"))

    ratio = F.when(
        F.col("brand_id").isNotNull() & (F.col("reference_price") > 0),
        F.try_divide(F.col("price"), F.col("reference_price")),
    )
    text = F.concat_ws(" ", F.col("title"), F.col("description"))
    scored = new.withColumn("price_ratio", ratio.cast("double")).withColumn(
        "keyword_hits", keyword_hits(text, keywords)
    )

    threshold = float(low_price_ratio)
    if threshold > 0:
        low_price = F.coalesce(F.col("price_ratio") < F.lit(threshold), F.lit(False))
        price_score = F.when(
            low_price,
            F.lit(PRICE_BASE) + F.lit(PRICE_SPAN) * (F.lit(1.0) - F.col("price_ratio") / F.lit(threshold)),
        ).otherwise(F.lit(0.0))
    else:
        # A zero threshold switches the price signal off (no price is below 0% of a reference).
        low_price = F.lit(False)
        price_score = F.lit(0.0)

    n_hits = F.size(F.col("keyword_hits"))
    keyword_score = F.when(
        n_hits > 0,
        F.least(F.lit(KEYWORD_MAX), F.lit(KEYWORD_BASE) + F.lit(KEYWORD_STEP) * (n_hits - 1))
        + F.when(F.col("price_ratio").isNotNull(), F.lit(KEYWORD_BRANDED)).otherwise(F.lit(0.0)),
    ).otherwise(F.lit(0.0))
    image_score = F.when(F.col("matched_listing_id").isNotNull(), F.lit(IMAGE_SCORE)).otherwise(F.lit(0.0))
    store_score = F.lit(STORE_WEIGHT) * F.coalesce(F.col("store_score"), F.lit(0.0))
    risk = F.lit(1.0) - ((F.lit(1.0) - price_score) * (F.lit(1.0) - keyword_score)
                         * (F.lit(1.0) - image_score) * (F.lit(1.0) - store_score))

    price_reason = F.when(
        low_price,
        F.concat(
            F.lit("price "), F.format_number(F.col("price"), 2), F.lit(" CNY is "),
            F.format_number(F.col("price_ratio") * 100, 1), F.lit("% of the reference price "),
            F.format_number(F.col("reference_price"), 2), F.lit(" CNY of brand "),
            F.coalesce(F.col("brand_name"), F.col("brand_id")),
            F.lit(f" (below the {threshold * 100:g}% threshold)"),
        ),
    )
    keyword_reason = F.when(
        n_hits > 0,
        F.concat(
            F.lit("title or description contains counterfeit "),
            F.when(n_hits == 1, F.lit("keyword ")).otherwise(F.lit("keywords ")),
            F.array_join(F.transform(F.col("keyword_hits"), lambda k: F.concat(F.lit('"'), k, F.lit('"'))), ", "),
        ),
    )
    image_reason = F.when(
        F.col("matched_listing_id").isNotNull(),
        F.concat(F.lit("main image matches listing "), F.col("matched_listing_id"),
                 F.lit(", taken down for counterfeiting")),
    )
    store_reason = F.when(
        F.col("store_score") >= F.lit(0.5),
        F.concat(F.lit("the store's counterfeit-seller model score is "), F.format_number(F.col("store_score"), 2)),
    )
    found = F.array_compact(F.array(price_reason, keyword_reason, image_reason, store_reason))
    reasons = F.when(F.size(found) > 0, found).otherwise(F.array(F.lit(NO_SIGNAL_REASON)))

    return scored.select(
        F.lit(run_date).cast("date").alias("run_date"),
        F.col("listing_id"),
        F.col("merchant_id"),
        F.col("brand_id"),
        # Rounded so the published score does not depend on float noise; clipped as a guard.
        F.round(F.least(F.lit(1.0), F.greatest(F.lit(0.0), risk)), 6).cast("double").alias("risk_score"),
        reasons.alias("reasons"),
        F.col("price_ratio"),
        F.col("keyword_hits"),
    )
