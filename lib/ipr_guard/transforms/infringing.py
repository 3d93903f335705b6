"""Infringing listings and infringing sales, the figures an evidence dossier states for a store.

A listing is *infringing* when it was taken down with reason `counterfeit` or `trademark`, or had a
`counterfeit` test-buy verdict, or an `upheld` rights-holder notice (a complaint with source
`rights_holder`) of type `counterfeit` or `trademark`. A store's infringing GMV over a period is the sum
of `amount` of the orders with status `paid` on its infringing listings whose `created_at` falls, as a
calendar day in the marketplace time zone, within the period (both ends included). A refunded or
cancelled order is not infringing GMV. The evidence may come before or after the order: the sales of a
counterfeit listing are infringing whenever the listing was found out.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date

INFRINGING_TAKEDOWN_REASONS = ("counterfeit", "trademark")
INFRINGING_NOTICE_TYPES = ("counterfeit", "trademark")
EVIDENCE_KINDS = ("takedown", "test_buy", "notice")


def listing_evidence(takedowns: DataFrame, test_buys: DataFrame, complaints: DataFrame) -> DataFrame:
    """Every piece of evidence that makes a listing infringing, one row each.

    Args:
        takedowns, test_buys, complaints: silver tables.

    Returns:
        listing_id, merchant_id (as the evidence names it), evidence (takedown, test_buy or notice),
        evidence_id, evidence_at (UTC instant), detail (the reason, verdict or notice type).
    """
    taken_down = takedowns.where(F.col("reason").isin(*INFRINGING_TAKEDOWN_REASONS)).select(
        "listing_id", "merchant_id", F.lit("takedown").alias("evidence"), F.col("takedown_id").alias("evidence_id"),
        F.col("taken_down_at").alias("evidence_at"), F.col("reason").alias("detail"))
    bought = test_buys.where(F.col("verdict") == F.lit("counterfeit")).select(
        "listing_id", "merchant_id", F.lit("test_buy").alias("evidence"), F.col("test_buy_id").alias("evidence_id"),
        F.col("verdict_at").alias("evidence_at"), F.col("verdict").alias("detail"))
    noticed = complaints.where(
        (F.col("source") == F.lit("rights_holder")) & (F.col("outcome") == F.lit("upheld"))
        & F.col("complaint_type").isin(*INFRINGING_NOTICE_TYPES) & F.col("listing_id").isNotNull()).select(
        "listing_id", "merchant_id", F.lit("notice").alias("evidence"), F.col("complaint_id").alias("evidence_id"),
        F.coalesce("processed_at", "submitted_at").alias("evidence_at"), F.col("complaint_type").alias("detail"))
    return taken_down.unionByName(bought).unionByName(noticed).select(
        "listing_id", "merchant_id", "evidence", "evidence_id", "evidence_at", "detail")


def infringing_listings(evidence: DataFrame, listings: DataFrame) -> DataFrame:
    """One row per infringing listing, owned by the store the listings table names (else the evidence's).

    Args:
        evidence: `listing_evidence` rows.
        listings: silver listings (one row per listing_id).

    Returns:
        listing_id, merchant_id, brand_id, evidence (the kinds, sorted), first_evidence_at.
    """
    per_listing = evidence.groupBy("listing_id").agg(
        F.min("merchant_id").alias("evidence_merchant_id"),
        F.array_sort(F.collect_set("evidence")).alias("evidence"),
        F.min("evidence_at").alias("first_evidence_at"))
    owners = listings.select("listing_id", F.col("merchant_id").alias("owner_id"), "brand_id")
    return per_listing.join(owners, on="listing_id", how="left").select(
        "listing_id", F.coalesce("owner_id", "evidence_merchant_id").alias("merchant_id"), "brand_id", "evidence",
        "first_evidence_at")


def infringing_orders(orders: DataFrame, infringing: DataFrame, start: dt.date, end: dt.date, tz: str) -> DataFrame:
    """Paid orders on infringing listings created within [start, end] in the marketplace's days.

    Args:
        orders: silver orders.
        infringing: `infringing_listings` rows.
        start, end: the period's first and last calendar day (market time zone), both included.
        tz: the marketplace time zone.

    Returns:
        order_id, merchant_id (the order's store), listing_id, brand_id, order_date, amount.
    """
    day = market_date(F.col("created_at"), tz)
    paid = orders.where((F.col("status") == F.lit("paid")) & day.between(F.lit(start), F.lit(end)))
    return paid.join(infringing.select("listing_id", "brand_id"), on="listing_id", how="inner").select(
        "order_id", "merchant_id", "listing_id", "brand_id", day.alias("order_date"),
        F.coalesce(F.col("amount"), F.lit(0.0)).alias("amount"))


def infringing_gmv(infringing: DataFrame, sales: DataFrame) -> DataFrame:
    """Per store: its infringing listings, and the paid orders and GMV on them in the period.

    Args:
        infringing: `infringing_listings` rows.
        sales: `infringing_orders` rows for the period.

    Returns:
        merchant_id, infringing_listings, paid_orders_on_infringing_listings, infringing_gmv (0.0 for a store
        with infringing listings but no paid order in the period).
    """
    listed = infringing.groupBy("merchant_id").agg(F.countDistinct("listing_id").alias("infringing_listings"))
    sold = sales.groupBy("merchant_id").agg(F.count(F.lit(1)).alias("paid_orders"), F.sum("amount").alias("gmv"))
    return listed.join(sold, on="merchant_id", how="full").select(
        "merchant_id", F.coalesce("infringing_listings", F.lit(0)).cast("long").alias("infringing_listings"),
        F.coalesce("paid_orders", F.lit(0)).cast("long").alias("paid_orders_on_infringing_listings"),
        F.round(F.coalesce("gmv", F.lit(0.0)), 2).alias("infringing_gmv"))
