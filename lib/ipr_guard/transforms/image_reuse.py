"""Listings whose main image is (nearly) the image of a listing taken down for counterfeiting.

Main images are compared by their 64-bit perceptual hash (16 hex digits): two images are the same
picture, recompressed or lightly edited, when their hashes differ in at most k bits (Hamming distance).
Comparing every listing with every taken-down listing is quadratic, so candidates are found by banding:
split the 64 bits into k + 1 bands; by the pigeonhole principle, two hashes within k bits agree exactly
on at least one band (k differing bits can touch at most k bands). Joining on (band index, band value)
finds every true match; the exact distance is then checked on the few candidate pairs.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date

HASH_BITS = 64
HASH_PATTERN = r"^[0-9a-f]{16}$"


def band_bounds(max_distance: int) -> list[tuple[int, int]]:
    """(start, length) in bits of each of the max_distance + 1 bands, as even as possible."""
    n = max_distance + 1
    if not 1 <= n <= HASH_BITS:
        raise ValueError(f"image max distance must be in 0..{HASH_BITS - 1}, got {max_distance}")
    size, extra = divmod(HASH_BITS, n)
    bounds, start = [], 0
    for i in range(n):
        length = size + (1 if i < extra else 0)
        bounds.append((start, length))
        start += length
    return bounds


def _halves(hex_hash: Column) -> tuple[Column, Column]:
    # Two 32-bit halves as BIGINT: a 64-bit hash with its top bit set does not fit a signed long, so
    # converting it whole would overflow (null); each half does fit.
    return (
        F.conv(F.substring(hex_hash, 1, 8), 16, 10).cast("long"),
        F.conv(F.substring(hex_hash, 9, 8), 16, 10).cast("long"),
    )


def _bands(frame: DataFrame, max_distance: int) -> DataFrame:
    """Adds band_index and band (the band's bits as a '0'/'1' string): one row per band of each hash."""
    # conv treats the 16 hex digits as an unsigned 64-bit number; left-padding restores leading zeros.
    bits = F.lpad(F.conv(F.col("hash"), 16, 2), HASH_BITS, "0")
    bands = F.array(*[
        F.struct(F.lit(i).alias("band_index"), F.substring(bits, start + 1, length).alias("band"))
        for i, (start, length) in enumerate(band_bounds(max_distance))
    ])
    return frame.withColumn("b", F.explode(bands)).select(
        "*", F.col("b.band_index").alias("band_index"), F.col("b.band").alias("band")
    ).drop("b")


def _valid_hashes(listings: DataFrame) -> DataFrame:
    # A missing or malformed hash (wrong length, non-hex) cannot be compared: such listings never match.
    hashed = F.lower(F.trim(F.col("image_hash")))
    return listings.select("listing_id", "merchant_id", "created_at", hashed.alias("hash")).where(
        F.col("hash").rlike(HASH_PATTERN)
    )


def image_reuse_matches(
    listings: DataFrame, takedowns: DataFrame, tz: str, max_distance: int, probes: DataFrame | None = None,
) -> DataFrame:
    """Each listing's first known match with the image of another listing taken down for counterfeiting.

    A match between listing L and taken-down listing T (T != L, T taken down with reason ``counterfeit``,
    Hamming distance of their image hashes <= `max_distance`) is known from the later of L's creation day
    and T's first counterfeit takedown day (market days in `tz`). Per listing, the earliest such day is
    kept, so "L reuses a counterfeit image as of D" is ``match_day <= D`` for any D.

    Args:
        listings: silver listings: all of them, as they hold the images of the taken-down listings.
        takedowns: silver takedowns.
        tz: the marketplace time zone.
        max_distance: the largest Hamming distance (bits) that still counts as the same image.
        probes: the listings to check (e.g. only a day's new ones, so the cost follows them); default
            every listing of `listings`.

    Returns:
        One row per matching listing: listing_id, merchant_id, match_day (DATE), matched_listing_id (the
        taken-down listing of that first match; ties broken by the smaller listing_id).

    Raises:
        ValueError: `max_distance` is outside 0..63.
    """
    hashed = _valid_hashes(listings)
    taken_down = (
        takedowns.where(F.col("reason") == "counterfeit")
        .groupBy("listing_id")
        .agg(F.min(market_date(F.col("taken_down_at"), tz)).alias("taken_down_day"))
        .where(F.col("taken_down_day").isNotNull())
    )
    known = hashed.join(taken_down, on="listing_id", how="inner").select(
        F.col("listing_id").alias("matched_listing_id"), F.col("hash").alias("matched_hash"), "taken_down_day"
    )
    checked = hashed if probes is None else _valid_hashes(probes)
    probe = _bands(checked.withColumn("created_day", market_date(F.col("created_at"), tz)), max_distance)
    reference = _bands(known.withColumnRenamed("matched_hash", "hash"), max_distance).withColumnRenamed(
        "hash", "matched_hash"
    )
    hi, lo = _halves(F.col("hash"))
    mhi, mlo = _halves(F.col("matched_hash"))
    pairs = (
        probe.join(reference, on=["band_index", "band"], how="inner")
        .where(F.col("listing_id") != F.col("matched_listing_id"))
        .where(F.bit_count(hi.bitwiseXOR(mhi)) + F.bit_count(lo.bitwiseXOR(mlo)) <= F.lit(max_distance))
    )
    # A pair agreeing on several bands appears once per band; taking the minimum below makes that harmless.
    first = (
        pairs.withColumn("match_day", F.greatest(F.col("created_day"), F.col("taken_down_day")))
        .groupBy("listing_id", "merchant_id")
        .agg(F.min(F.struct(F.col("match_day"), F.col("matched_listing_id"))).alias("first"))
    )
    return first.select(
        F.col("listing_id"),
        F.col("merchant_id"),
        F.col("first.match_day").alias("match_day"),
        F.col("first.matched_listing_id").alias("matched_listing_id"),
    )
