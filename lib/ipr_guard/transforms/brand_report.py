"""What a brand report tells a rights holder: the infringing stores of its brand in a period, as pure transforms.

A store is an *infringing store of brand B in the period* when it owns at least one infringing listing
(`transforms/infringing.py`) whose silver listings brand_id is B, and either sold on those listings in the
period (paid orders, created on a market day of the period) or has a piece of infringing evidence on them
dated in the period. Infringing GMV is the dossier's, restricted to brand B's listings.

A record is *about brand B* when its listing's brand (silver listings) is B; a notice or a test buy also
when its own brand_id is B. Takedowns count under the store owning the listing (as infringing listings
do); notices and test buys under the store they name, since a notice can be against a whole store.

Every output column is a store's identifier (merchant_id, store_name), its status or a count, amount or
day: a brand report goes to a rights holder, so no legal name, contact, identity document, bank account,
buyer, reporter or reviewer may reach it, not even as a pseudonym.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms import dossier as tx
from ipr_guard.transforms import infringing
from ipr_guard.transforms.columns import market_date

# One row per infringing store; a rights holder sees the columns of these its grant names.
STORE_COLUMNS = ("merchant_id", "store_name", "store_status", "infringing_listings", "paid_orders", "infringing_gmv",
                 "takedowns", "notices", "notices_upheld", "notices_rejected", "notices_pending",
                 "median_response_hours", "notices_within_24h", "test_buys", "test_buys_counterfeit",
                 "test_buys_genuine", "first_evidence_on", "last_evidence_on")
# Columns that add up over stores in the report's totals (the others are a median, days or names).
SUMMED_COLUMNS = ("infringing_listings", "paid_orders", "infringing_gmv", "takedowns", "notices", "notices_upheld",
                  "notices_rejected", "notices_pending", "notices_within_24h", "test_buys", "test_buys_counterfeit",
                  "test_buys_genuine")
TOTAL_COLUMNS = ("stores", *SUMMED_COLUMNS, "median_response_hours", "first_evidence_on", "last_evidence_on")
ACTIVITY_COLUMNS = ("listings_created", "orders", "takedowns", "test_buys", "complaints")
NOTICE_OUTCOMES = ("upheld", "rejected", "pending")
_DAY_MICROS = 24 * 60 * 60 * 1_000_000
_HOUR_MICROS = 60 * 60 * 1_000_000


def _in_period(col: Column, start: dt.date, end: dt.date, tz: str) -> Column:
    return market_date(col, tz).between(F.lit(start), F.lit(end))


def _about_brand(records: DataFrame, listings: DataFrame, brand_id: str, own_brand: bool = False) -> DataFrame:
    """The records whose listing's brand is B (or, with `own_brand`, whose own brand_id is B)."""
    brand_listings = listings.where(F.col("brand_id") == F.lit(brand_id)).select(
        "listing_id", F.lit(True).alias("_brand_listing"))
    about = F.coalesce(F.col("_brand_listing"), F.lit(False))
    if own_brand:
        about = about | F.coalesce(F.col("brand_id") == F.lit(brand_id), F.lit(False))
    return records.join(brand_listings, on="listing_id", how="left").where(about).select(*records.columns)


def brand_infringing(infringing_listings: DataFrame, brand_id: str) -> DataFrame:
    """The infringing listings of brand B.

    Args:
        infringing_listings: `infringing.infringing_listings` rows (brand_id from silver listings).
        brand_id: B.

    Returns:
        listing_id, merchant_id (the owner), brand_id, evidence, first_evidence_at.
    """
    return infringing_listings.where(F.col("brand_id") == F.lit(brand_id)).select(
        "listing_id", "merchant_id", "brand_id", "evidence", "first_evidence_at")


def store_sales(infringing_b: DataFrame, orders: DataFrame, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Per store: its infringing listings of B, and the paid orders and infringing GMV on them in the period.

    Args:
        infringing_b: `brand_infringing` rows.
        orders: silver orders.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id, infringing_listings, paid_orders, infringing_gmv.
    """
    sales = infringing.infringing_orders(orders, infringing_b, start, end, tz)
    return infringing.infringing_gmv(infringing_b, sales).select(
        "merchant_id", "infringing_listings", F.col("paid_orders_on_infringing_listings").alias("paid_orders"),
        "infringing_gmv")


def store_evidence(evidence: DataFrame, infringing_b: DataFrame, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Per store owning infringing listings of B: the evidence on them, in the period and ever.

    Args:
        evidence: `infringing.listing_evidence` rows.
        infringing_b: `brand_infringing` rows.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id, evidence_in_period (pieces dated in the period), takedowns (infringing-reason
        takedowns in the period), first_evidence_on, last_evidence_on (market days, whenever dated: the
        evidence may come after the sales it makes infringing).
    """
    details = tx.evidence_details(evidence, infringing_b, tz)
    in_period = F.col("on").between(F.lit(start), F.lit(end))
    return details.groupBy("merchant_id").agg(
        F.count(F.when(in_period, F.lit(1))).alias("evidence_in_period"),
        F.count(F.when(in_period & (F.col("kind") == F.lit("takedown")), F.lit(1))).alias("takedowns"),
        F.min("on").alias("first_evidence_on"), F.max("on").alias("last_evidence_on"),
    ).select("merchant_id", "evidence_in_period", "takedowns", "first_evidence_on", "last_evidence_on")


def brand_notices(complaints: DataFrame, listings: DataFrame, brand_id: str, start: dt.date, end: dt.date,
                  tz: str) -> DataFrame:
    """Rights-holder notices about brand B submitted in the period, each with its response time.

    Args:
        complaints: silver complaints.
        listings: silver listings.
        brand_id: B.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id (the store the notice is against), complaint_id, outcome, response_hours
        (processed_at - submitted_at; null while unprocessed), within_24h (processed within 24 hours).
    """
    notices = complaints.where((F.col("source") == F.lit("rights_holder"))
                               & _in_period(F.col("submitted_at"), start, end, tz))
    # Exact elapsed time in microseconds, as the notice KPI counts it, whatever the session time zone.
    elapsed = F.unix_micros(F.col("processed_at")) - F.unix_micros(F.col("submitted_at"))
    return _about_brand(notices, listings, brand_id, own_brand=True).select(
        "merchant_id", "complaint_id", "outcome", (elapsed / F.lit(_HOUR_MICROS)).alias("response_hours"),
        F.coalesce(elapsed <= F.lit(_DAY_MICROS), F.lit(False)).alias("within_24h"))


def _notice_figures(notices: DataFrame, keys: list[str]) -> DataFrame:
    outcomes = [F.count(F.when(F.col("outcome") == F.lit(o), F.lit(1))).alias(f"notices_{o}")
                for o in NOTICE_OUTCOMES]
    return notices.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("notices"), *outcomes,
        F.round(F.median("response_hours"), 2).alias("median_response_hours"),
        F.count(F.when(F.col("within_24h"), F.lit(1))).alias("notices_within_24h"),
    ).select(*keys, "notices", *[f"notices_{o}" for o in NOTICE_OUTCOMES], "median_response_hours",
             "notices_within_24h")


def store_notices(notices: DataFrame) -> DataFrame:
    """Per store: its notices about B in the period by outcome, and how fast they were answered.

    Args:
        notices: `brand_notices` rows.

    Returns:
        merchant_id, notices, notices_upheld, notices_rejected, notices_pending, median_response_hours
        (of the processed ones; null when none is), notices_within_24h.
    """
    return _notice_figures(notices, ["merchant_id"]).select(
        "merchant_id", "notices", "notices_upheld", "notices_rejected", "notices_pending", "median_response_hours",
        "notices_within_24h")


def store_test_buys(test_buys: DataFrame, listings: DataFrame, brand_id: str, start: dt.date, end: dt.date,
                    tz: str) -> DataFrame:
    """Per store: test buys of brand B with a verdict in the period, and how many were counterfeit or genuine.

    Args:
        test_buys: silver test_buys.
        listings: silver listings.
        brand_id: B.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        merchant_id, test_buys (inconclusive ones included), test_buys_counterfeit, test_buys_genuine.
    """
    dated = test_buys.where(_in_period(F.col("verdict_at"), start, end, tz))
    return _about_brand(dated, listings, brand_id, own_brand=True).groupBy("merchant_id").agg(
        F.count(F.lit(1)).alias("test_buys"),
        F.count(F.when(F.col("verdict") == F.lit("counterfeit"), F.lit(1))).alias("test_buys_counterfeit"),
        F.count(F.when(F.col("verdict") == F.lit("genuine"), F.lit(1))).alias("test_buys_genuine"),
    ).select("merchant_id", "test_buys", "test_buys_counterfeit", "test_buys_genuine")


def infringing_stores(sales: DataFrame, evidence: DataFrame, notices: DataFrame, test_buys: DataFrame,
                      merchants: DataFrame) -> DataFrame:
    """The infringing stores of brand B in the period, one row each with every figure of the report.

    Args:
        sales: `store_sales` rows; evidence: `store_evidence` rows; notices: `store_notices` rows;
        test_buys: `store_test_buys` rows (all store-level).
        merchants: silver merchants (only the store's name and status are read).

    Returns:
        STORE_COLUMNS; counts are 0 where a store had none, median_response_hours null without a
        processed notice.
    """
    stores = sales.join(evidence, on="merchant_id", how="left").where(
        (F.col("infringing_listings") > 0)
        & ((F.col("paid_orders") > 0) | (F.coalesce("evidence_in_period", F.lit(0)) > 0)))
    names = merchants.select("merchant_id", "store_name", F.col("status").alias("store_status"))
    joined = (stores.join(notices, on="merchant_id", how="left").join(test_buys, on="merchant_id", how="left")
              .join(names, on="merchant_id", how="left"))
    zero = {"takedowns", "notices", "notices_upheld", "notices_rejected", "notices_pending", "notices_within_24h",
            "test_buys", "test_buys_counterfeit", "test_buys_genuine"}
    return joined.select(*[F.coalesce(F.col(c), F.lit(0)).cast("long").alias(c) if c in zero else F.col(c)
                           for c in STORE_COLUMNS])


def report_totals(stores: DataFrame, notices: DataFrame) -> DataFrame:
    """The report's totals over its stores: one row.

    Args:
        stores: `infringing_stores` rows.
        notices: `brand_notices` rows (only those against a store of the report count).

    Returns:
        TOTAL_COLUMNS: stores, the sum of each SUMMED_COLUMNS column (0 without a store; GMV rounded to
        cents), the median response time over all their processed notices, the first and last evidence day.
    """
    sums = stores.agg(
        F.count(F.lit(1)).alias("stores"),
        *[F.coalesce(F.sum(c), F.lit(0)).alias(c) for c in SUMMED_COLUMNS if c != "infringing_gmv"],
        F.round(F.coalesce(F.sum("infringing_gmv"), F.lit(0.0)), 2).alias("infringing_gmv"),
        F.min("first_evidence_on").alias("first_evidence_on"), F.max("last_evidence_on").alias("last_evidence_on"))
    theirs = notices.join(stores.select("merchant_id"), on="merchant_id", how="left_semi")
    median = theirs.agg(F.round(F.median("response_hours"), 2).alias("median_response_hours"))
    return sums.crossJoin(median).select(*TOTAL_COLUMNS)


def brand_activity(listings: DataFrame, orders: DataFrame, takedowns: DataFrame, test_buys: DataFrame,
                   complaints: DataFrame, brand_id: str, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Everything recorded about brand B's listings in the period, infringing or not: one row of counts.

    Only to tell an empty period from one without infringing stores; it is never shown to a rights holder
    (the sales of the brand's authorised sellers are not theirs to see).

    Args:
        listings, orders, takedowns, test_buys, complaints: silver tables.
        brand_id: B.
        start, end: the period's first and last market day, both included.
        tz: the marketplace time zone.

    Returns:
        ACTIVITY_COLUMNS: listings_created, orders (any status), takedowns (any reason), test_buys (any
        verdict), complaints (any source) in the period.
    """
    def count(df: DataFrame, name: str) -> DataFrame:
        return df.agg(F.count(F.lit(1)).alias(name))

    created = listings.where((F.col("brand_id") == F.lit(brand_id)) & _in_period(F.col("created_at"), start, end, tz))
    parts = [
        count(created, "listings_created"),
        count(_about_brand(orders.where(_in_period(F.col("created_at"), start, end, tz)), listings, brand_id),
              "orders"),
        count(_about_brand(takedowns.where(_in_period(F.col("taken_down_at"), start, end, tz)), listings, brand_id),
              "takedowns"),
        count(_about_brand(test_buys.where(_in_period(F.col("verdict_at"), start, end, tz)), listings, brand_id,
                           own_brand=True), "test_buys"),
        count(_about_brand(complaints.where(_in_period(F.col("submitted_at"), start, end, tz)), listings, brand_id,
                           own_brand=True), "complaints"),
    ]
    activity = parts[0]
    for part in parts[1:]:
        activity = activity.crossJoin(part)
    return activity.select(*ACTIVITY_COLUMNS)
