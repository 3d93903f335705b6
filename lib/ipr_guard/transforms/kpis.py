"""Daily enforcement KPIs (contract: "Published outputs", `enforcement_kpis`).

Every KPI day is a calendar day in the marketplace time zone, while silver timestamps are UTC instants;
`columns.market_date` is the one place that turns an instant into such a day.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import SALE_STATUSES, market_date, share, standing_closure

# A notice counts as handled in time when processed at most this long after it was submitted.
_DAY_MICROS = 24 * 60 * 60 * 1_000_000


def first_sale_per_listing(orders: DataFrame) -> DataFrame:
    """Time of the first sale (an order paid or refunded) of each listing.

    Args:
        orders: silver orders.

    Returns:
        One row per listing that ever sold: listing_id, first_sale_at (TIMESTAMP).
    """
    return (
        orders.where(F.col("status").isin(*SALE_STATUSES))
        .groupBy("listing_id")
        .agg(F.min("created_at").alias("first_sale_at"))
        .select("listing_id", "first_sale_at")
    )


def enforcement_kpis(
    days: DataFrame,
    takedowns: DataFrame,
    orders: DataFrame,
    complaints: DataFrame,
    enforcement_actions: DataFrame,
    tz: str,
) -> DataFrame:
    """Computes the enforcement KPIs for the given days.

    Each event is counted on its day in `tz`. Events are aggregated per day first and then joined
    onto `days`, so a day without events gets zeros and null shares.

    Args:
        days: one column kpi_date (DATE): the days to compute.
        takedowns: silver takedowns.
        orders: silver orders.
        complaints: silver complaints.
        enforcement_actions: silver enforcement_actions.
        tz: the marketplace time zone.

    Returns:
        Exactly one row per distinct input day: kpi_date, stores_closed, proactive_takedowns,
        proactive_before_first_sale, proactive_before_first_sale_share, notice_requests,
        notice_processed_within_24h, notice_processed_within_24h_share.
    """
    wanted = days.where(F.col("kpi_date").isNotNull()).select(F.col("kpi_date").cast("date").alias("kpi_date"))
    wanted = wanted.distinct()

    closures = (
        enforcement_actions
        .where(standing_closure())
        .groupBy(market_date(F.col("decided_at"), tz).alias("kpi_date"))
        .agg(F.countDistinct("merchant_id").alias("stores_closed"))
    )

    first_sales = first_sale_per_listing(orders)
    proactive = (
        takedowns.where(F.col("origin") == "proactive")
        .join(first_sales, on="listing_id", how="left")
        # "Before first sale": no sale created strictly before the takedown.
        .withColumn(
            "before_first_sale",
            F.col("first_sale_at").isNull() | (F.col("first_sale_at") >= F.col("taken_down_at")),
        )
        .groupBy(market_date(F.col("taken_down_at"), tz).alias("kpi_date"))
        .agg(
            F.count(F.lit(1)).alias("proactive_takedowns"),
            F.count(F.when(F.col("before_first_sale"), F.lit(1))).alias("proactive_before_first_sale"),
        )
    )

    # Compared in microseconds so the 24 hours are exact elapsed time, whatever the session time zone.
    elapsed = F.unix_micros(F.col("processed_at")) - F.unix_micros(F.col("submitted_at"))
    notices = (
        complaints.where(F.col("source") == "rights_holder")
        .groupBy(market_date(F.col("submitted_at"), tz).alias("kpi_date"))
        .agg(
            F.count(F.lit(1)).alias("notice_requests"),
            F.count(F.when(elapsed <= F.lit(_DAY_MICROS), F.lit(1))).alias("notice_processed_within_24h"),
        )
    )

    counts = ["stores_closed", "proactive_takedowns", "proactive_before_first_sale",
              "notice_requests", "notice_processed_within_24h"]
    joined = (
        wanted.join(closures, on="kpi_date", how="left")
        .join(proactive, on="kpi_date", how="left")
        .join(notices, on="kpi_date", how="left")
    )
    for name in counts:
        joined = joined.withColumn(name, F.coalesce(F.col(name), F.lit(0)).cast("bigint"))
    return joined.select(
        F.col("kpi_date"),
        F.col("stores_closed"),
        F.col("proactive_takedowns"),
        F.col("proactive_before_first_sale"),
        # Null, not 0 or NaN, on a day without events (share's default): "no notices" is not "0% in time".
        share(F.col("proactive_before_first_sale"), F.col("proactive_takedowns"))
        .alias("proactive_before_first_sale_share"),
        F.col("notice_requests"),
        F.col("notice_processed_within_24h"),
        share(F.col("notice_processed_within_24h"), F.col("notice_requests"))
        .alias("notice_processed_within_24h_share"),
    )
