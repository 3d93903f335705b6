"""The candidate reason that names a store's network: "one of 5 stores sharing a bank account; 3 of them
closed for counterfeit since 2026-09-02".

The networks come from `gold/store_networks` as the networks job last wrote them before the run date
(the job runs after the nightly), so a rerun of D reads the same networks as the night of D. The closed
members are counted as of D from enforcement_actions: a network's rows count the closures of their own
night, and a closure decided since then is part of what a reviewer must see. Only merchant ids, network
ids and the kinds of value shared are worded, never a value.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date, standing_closure
from ipr_guard.transforms.identity import CLOSURE_REASON_LABELS, IDENTITY_LABELS, label


def network_reasons(networks: DataFrame, enforcement_actions: DataFrame, run_date: dt.date, tz: str,
                    closure_reasons: tuple[str, ...]) -> DataFrame:
    """One sentence per store in a network, naming the network's size, links and closed members by D.

    Args:
        networks: gold store_networks rows of one run date (merchant_id, network_id, network_size,
            link_kinds).
        enforcement_actions: silver enforcement_actions.
        run_date: the run date D; closures decided after D (market day) are not counted.
        tz: the marketplace time zone.
        closure_reasons: the closure reasons that count (`rules.closure_reasons`).

    Returns:
        merchant_id, network_id, network_reason.
    """
    closures = (enforcement_actions
                .where(standing_closure() & F.col("reason").isin(*closure_reasons)
                       & (market_date(F.col("decided_at"), tz) <= F.lit(run_date)))
                .groupBy("merchant_id")
                .agg(F.min(market_date(F.col("decided_at"), tz)).alias("closed_on"),
                     F.collect_set("reason").alias("closed_reasons")))
    members = networks.select("merchant_id", "network_id", "network_size", "link_kinds")
    per_network = (members.join(closures, on="merchant_id", how="left")
                   .groupBy("network_id")
                   .agg(F.first("network_size").alias("network_size"),
                        F.array_sort(F.array_distinct(F.flatten(F.collect_list("link_kinds")))).alias("kinds"),
                        F.count("closed_on").alias("closed_members"),
                        F.min("closed_on").alias("first_closed_on"),
                        F.array_sort(F.array_distinct(F.flatten(F.collect_list(
                            F.coalesce(F.col("closed_reasons"), F.array().cast("array<string>")))))).alias("reasons")))
    kinds = F.array_join(F.transform(F.col("kinds"), lambda k: label(IDENTITY_LABELS, k)), " and ")
    reasons = F.array_join(F.transform(F.col("reasons"), lambda r: label(CLOSURE_REASON_LABELS, r)), " or ")
    closed = F.when(F.col("closed_members") == 0, F.lit("none of them closed for IPR reasons")).otherwise(
        F.concat(F.col("closed_members").cast("string"), F.lit(" of them closed for "), reasons,
                 F.lit(" since "), F.col("first_closed_on").cast("string")))
    sentence = F.concat(F.lit("one of "), F.col("network_size").cast("string"), F.lit(" stores sharing "), kinds,
                        F.lit(" (network "), F.col("network_id"), F.lit("); "), closed)
    return members.join(per_network.select("network_id", sentence.alias("network_reason")), on="network_id",
                        how="inner").select("merchant_id", "network_id", "network_reason")


def with_network_reasons(candidates: DataFrame, reasons: DataFrame) -> DataFrame:
    """The candidates with their network's sentence appended to `reasons` (a store in no network is unchanged).

    Args:
        candidates: closure candidates (any columns, among them merchant_id and reasons).
        reasons: `network_reasons` rows.

    Returns:
        The candidates' columns, in their order.
    """
    joined = candidates.join(reasons.select("merchant_id", "network_reason"), on="merchant_id", how="left")
    appended = F.when(F.col("network_reason").isNull(), F.col("reasons")).otherwise(
        F.concat(F.col("reasons"), F.array(F.col("network_reason"))))
    return joined.select(*[appended.alias(c) if c == "reasons" else F.col(c) for c in candidates.columns])
