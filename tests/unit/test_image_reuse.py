"""Unit tests of image reuse: Hamming distance up to k by banding, exact distance, point in time."""
from __future__ import annotations

import datetime

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.image_reuse import band_bounds, image_reuse_matches
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
K = 3  # four bands of 16 bits: bits 0-15 (the first 4 hex digits), 16-31, 32-47, 48-63
REF = "f123456789abcdef"  # top bit set: the whole hash does not fit a signed 64-bit integer

MATCH_SCHEMA = T.StructType([
    T.StructField("listing_id", T.StringType()),
    T.StructField("merchant_id", T.StringType()),
    T.StructField("match_day", T.DateType()),
    T.StructField("matched_listing_id", T.StringType()),
])


def flip(hex_hash: str, *bits: int) -> str:
    """`hex_hash` with the given bits flipped, bit 0 being the most significant."""
    value = int(hex_hash, 16)
    for b in bits:
        value ^= 1 << (63 - b)
    return f"{value:016x}"


def _listing(lid, image_hash, created="2026-10-01T02:00:00Z", merchant="M1"):
    return {"listing_id": lid, "merchant_id": merchant, "title": "t", "category": "c", "price": 10.0,
            "image_hash": image_hash, "created_at": created, "updated_at": created}


def _takedown(tid, lid, at, reason="counterfeit", merchant="M0"):
    return {"takedown_id": tid, "listing_id": lid, "merchant_id": merchant, "origin": "proactive",
            "reason": reason, "taken_down_at": at}


def test_band_bounds():
    assert band_bounds(3) == [(0, 16), (16, 16), (32, 16), (48, 16)]
    assert band_bounds(2) == [(0, 22), (22, 21), (43, 21)]
    assert band_bounds(0) == [(0, 64)]
    with pytest.raises(ValueError):
        band_bounds(64)


def test_flip_helper():
    assert flip("0000000000000000", 0, 63) == "8000000000000001"


def test_matches_by_distance_and_band(spark):
    listings = silver_df(spark, "listings", [
        _listing("R", REF, merchant="M0"),                       # the listing taken down for counterfeiting
        _listing("D0", REF, merchant="M2"),                      # distance 0, another store
        _listing("D1", flip(REF, 63)),                           # distance 1, last band
        _listing("D2", flip(REF, 5, 6).upper()),                 # distance 2 in band 0; upper case is fine
        _listing("D3", flip(REF, 0, 20, 40)),                    # distance 3 over bands 0-2: only band 3 agrees
        _listing("D3B", flip(REF, 50, 51, 52)),                  # distance 3 within band 3
        _listing("D4", flip(REF, 1, 17, 33, 49)),                # distance 4, one bit per band: no band agrees
        _listing("D4B", flip(REF, 1, 2, 3, 4)),                  # distance 4 in band 0: a candidate, too far
        _listing("BAD1", REF[:15]),                              # malformed hashes are ignored
        _listing("BAD2", "g123456789abcdef"),
        _listing("NULL", None),
        _listing("TM", "0000000000000000"),                     # taken down for trademark: not a reference
        _listing("TM2", "0000000000000000"),
    ])
    takedowns = silver_df(spark, "takedowns", [
        _takedown("T1", "R", "2026-10-10T02:00:00Z"),
        _takedown("T2", "TM", "2026-10-10T02:00:00Z", reason="trademark"),
    ])
    out = image_reuse_matches(listings, takedowns, TZ, K)
    day = datetime.date(2026, 10, 10)
    expected = spark.createDataFrame([
        (lid, "M2" if lid == "D0" else "M1", day, "R") for lid in ("D0", "D1", "D2", "D3", "D3B")
    ], MATCH_SCHEMA)
    assert out.columns == MATCH_SCHEMA.fieldNames()
    assertDataFrameEqual(out, expected)


def test_zero_distance_means_exact_match(spark):
    listings = silver_df(spark, "listings", [
        _listing("R", REF), _listing("SAME", REF), _listing("ONE", flip(REF, 10)),
    ])
    takedowns = silver_df(spark, "takedowns", [_takedown("T1", "R", "2026-10-10T02:00:00Z")])
    rows = image_reuse_matches(listings, takedowns, TZ, 0).select("listing_id").collect()
    assert [r.listing_id for r in rows] == ["SAME"]


def test_first_known_day_and_same_listing(spark):
    listings = silver_df(spark, "listings", [
        _listing("R1", REF, created="2026-09-01T02:00:00Z"),
        _listing("R2", flip(REF, 1), created="2026-09-01T02:00:00Z"),
        # Created before both takedowns: known from the first takedown of a matching listing (R2's, 10-05).
        _listing("EARLY", flip(REF, 2), created="2026-09-20T02:00:00Z"),
        # Created after them: known from its own creation day (16:30 UTC is the next day in Shanghai).
        _listing("LATE", REF, created="2026-10-20T16:30:00Z"),
    ])
    takedowns = silver_df(spark, "takedowns", [
        _takedown("T1", "R1", "2026-10-10T02:00:00Z"),
        _takedown("T2", "R2", "2026-10-05T02:00:00Z"),
        _takedown("T3", "R2", "2026-10-08T02:00:00Z"),  # a second takedown of R2 changes nothing
        # After D for any D before 11-01: not yet a reference on those days.
        _takedown("T4", "EARLY", "2026-10-31T17:00:00Z"),
    ])
    out = image_reuse_matches(listings, takedowns, TZ, K)
    d = datetime.date
    # R1 and R2 match each other (different listings, both taken down), never themselves. EARLY becomes
    # a reference only on 11-01 (T4), later than every first match above, so it changes no one's first day.
    expected = spark.createDataFrame([
        ("R1", "M1", d(2026, 10, 5), "R2"),
        ("R2", "M1", d(2026, 10, 10), "R1"),
        ("EARLY", "M1", d(2026, 10, 5), "R2"),
        ("LATE", "M1", d(2026, 10, 21), "R1"),
    ], MATCH_SCHEMA)
    assertDataFrameEqual(out, expected)


def test_takedown_after_d_is_not_a_match_on_d(spark):
    listings = silver_df(spark, "listings", [
        _listing("R", REF), _listing("COPY", flip(REF, 7), created="2026-09-01T02:00:00Z"),
    ])
    # 23:30 on 10-31 in Shanghai is 15:30 UTC; 16:30 UTC is already 11-01.
    takedowns = silver_df(spark, "takedowns", [_takedown("T1", "R", "2026-10-31T16:30:00Z")])
    out = image_reuse_matches(listings, takedowns, TZ, K)
    on = {r.listing_id: r.match_day for r in out.collect()}
    assert on == {"COPY": datetime.date(2026, 11, 1)}
    assert out.where("match_day <= DATE'2026-10-31'").count() == 0


def test_no_all_pairs_join(spark):
    listings = silver_df(spark, "listings", [_listing("R", REF), _listing("C", flip(REF, 3))])
    takedowns = silver_df(spark, "takedowns", [_takedown("T1", "R", "2026-10-10T02:00:00Z")])
    plan = image_reuse_matches(listings, takedowns, TZ, K)._jdf.queryExecution().executedPlan().toString()
    assert "CartesianProduct" not in plan and "NestedLoopJoin" not in plan, plan


def test_probes_are_matched_against_every_listing(spark):
    """Checking only some listings (a day's new ones) still finds older taken-down images."""
    listings = silver_df(spark, "listings", [
        _listing("R", REF, created="2026-09-01T02:00:00Z"),
        _listing("OLD", flip(REF, 9), created="2026-09-02T02:00:00Z"),
        _listing("NEW", flip(REF, 30), created="2026-10-20T02:00:00Z"),
    ])
    takedowns = silver_df(spark, "takedowns", [_takedown("T1", "R", "2026-10-10T02:00:00Z")])
    new = listings.where("listing_id = 'NEW'")
    out = image_reuse_matches(listings, takedowns, TZ, K, probes=new)
    assertDataFrameEqual(out, spark.createDataFrame([("NEW", "M1", datetime.date(2026, 10, 20), "R")], MATCH_SCHEMA))
