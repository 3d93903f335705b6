"""Identity links between stores: a store sharing an identity value with a store closed for IPR reasons.

The identity fields (phone, email, ID document, bank account) hold keyed pseudonyms, so equal raw values
still match; the links are reported with the linked store's merchant_id, the kind of value shared and the
closure, never the pseudonym itself. Used by the policy rule in `candidates` (one run date) and by the
merchant features (any number of as-of dates), which must word a link the same way.
"""
from __future__ import annotations

from typing import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ipr_guard.transforms.columns import market_date, standing_closure

# How a reviewer reads each identity field; never the value itself, which is personal data.
IDENTITY_LABELS = {
    "contact_phone": "a phone number",
    "contact_email": "an email address",
    "id_document_number": "an ID document",
    "bank_account": "a bank account",
    "legal_name": "a legal name",
}

CLOSURE_REASON_LABELS = {
    "counterfeit": "counterfeit",
    "ipr_infringement": "IPR infringement",
    "fraud": "fraud",
    "other": "other reasons",
}


def label(mapping: Mapping[str, str], col: Column) -> Column:
    """Maps a code column to reviewer wording; an unmapped code is shown as is."""
    out = None
    for code, text in mapping.items():
        out = F.when(col == code, F.lit(text)) if out is None else out.when(col == code, F.lit(text))
    return col if out is None else out.otherwise(col)


def identity_pairs(merchants: DataFrame, fields: tuple[str, ...]) -> DataFrame:
    """(merchant_id, field, value) for every non-null identity value: the join keys of a link.

    Args:
        merchants: silver merchants (or any frame with merchant_id and the `fields`).
        fields: the identity fields to link on.

    Returns:
        merchant_id, field, value (the pseudonym as a string).
    """
    if not fields:
        return merchants.select(
            "merchant_id", F.lit(None).cast("string").alias("field"), F.lit(None).cast("string").alias("value")
        ).where(F.lit(False))
    pairs = F.explode(F.array(*[
        F.struct(F.lit(f).alias("field"), F.col(f).cast("string").alias("value")) for f in fields
    ]))
    return (
        merchants.select("merchant_id", pairs.alias("p"))
        .select("merchant_id", F.col("p.field").alias("field"), F.col("p.value").alias("value"))
        .where(F.col("value").isNotNull())
    )


def link_sentence(kinds: Column, closed_merchant_id: Column, closed_reason: Column, closed_on: Column) -> Column:
    """"shares a bank account with store M1000123, closed for counterfeit on 2026-09-03".

    Args:
        kinds: ARRAY<STRING> of reviewer labels of the shared fields (see `IDENTITY_LABELS`).
        closed_merchant_id: the linked closed store.
        closed_reason: the closure's reason code.
        closed_on: the closure's market day (DATE).
    """
    return F.concat(
        F.lit("shares "), F.array_join(kinds, " and "),
        F.lit(" with store "), closed_merchant_id,
        F.lit(", closed for "), label(CLOSURE_REASON_LABELS, closed_reason),
        F.lit(" on "), closed_on.cast("string"),
    )


def identity_links(
    as_of: DataFrame,
    merchants: DataFrame,
    enforcement_actions: DataFrame,
    tz: str,
    identity_fields: tuple[str, ...],
    closure_reasons: tuple[str, ...],
) -> DataFrame:
    """Per store and as-of date D, the other stores closed by D that it shares an identity value with.

    A linked store counts when it was registered by the end of D and has a non-reversed `closure` for one
    of `closure_reasons` decided by the end of D (market days in `tz`); the sentence quotes its first such
    closure by D, as the closure-candidate rule does. The linking store itself is not checked against D:
    callers keep the (store, date) rows they need (e.g. the stores registered by D).

    Args:
        as_of: one column as_of_date (DATE).
        merchants: silver merchants.
        enforcement_actions: silver enforcement_actions.
        tz: the marketplace time zone.
        identity_fields: the merchant identity fields to link on (pseudonymised strings).
        closure_reasons: the closure reasons that make a linked store count.

    Returns:
        One row per (merchant_id, as_of_date) with at least one link: merchant_id, as_of_date,
        linked_closed_stores (BIGINT), identity_link_reasons (ARRAY<STRING>, ordered by linked store id).
    """
    registered = merchants.select("merchant_id", market_date(F.col("registered_at"), tz).alias("registered_day"))
    closures = (
        enforcement_actions.where(standing_closure() & F.col("reason").isin(*closure_reasons))
        .select("merchant_id", "decided_at", "reason", market_date(F.col("decided_at"), tz).alias("closed_day"))
        .where(F.col("closed_day").isNotNull())
    )
    # Links are static (identity values have no history); only the closures they point to depend on D.
    # Pairing only with stores ever closed keeps the self-join small even for a common value.
    pairs = identity_pairs(merchants, tuple(identity_fields))
    closed_pairs = pairs.join(closures.select("merchant_id").distinct(), on="merchant_id", how="left_semi").select(
        F.col("merchant_id").alias("closed_merchant_id"), "field", "value"
    )
    links = (
        pairs.join(closed_pairs, on=["field", "value"], how="inner")
        .where(F.col("merchant_id") != F.col("closed_merchant_id"))
        .groupBy("merchant_id", "closed_merchant_id")
        .agg(F.array_sort(F.collect_set(label(IDENTITY_LABELS, F.col("field")))).alias("kinds"))
    )
    # Per closed store and D: its first qualifying closure decided by D (earliest decision; ties by reason).
    closed_by_d = (
        closures.join(registered, on="merchant_id", how="inner")
        .join(F.broadcast(as_of), (F.col("closed_day") <= F.col("as_of_date"))
              & (F.col("registered_day") <= F.col("as_of_date")), how="inner")
        .groupBy("merchant_id", "as_of_date")
        .agg(F.min(F.struct(F.col("decided_at"), F.col("reason"))).alias("first"))
        .select(
            F.col("merchant_id").alias("closed_merchant_id"), "as_of_date",
            market_date(F.col("first.decided_at"), tz).alias("closed_on"),
            F.col("first.reason").alias("closed_reason"),
        )
    )
    sentence = link_sentence(F.col("kinds"), F.col("closed_merchant_id"), F.col("closed_reason"), F.col("closed_on"))
    return (
        links.join(closed_by_d, on="closed_merchant_id", how="inner")
        .groupBy("merchant_id", "as_of_date")
        .agg(
            F.count(F.lit(1)).alias("linked_closed_stores"),
            # Sorted by the linked store's id so the reasons come out in the same order on every run.
            F.array_sort(F.collect_list(F.struct(F.col("closed_merchant_id"), sentence.alias("s")))).alias("links"),
        )
        .select(
            F.col("merchant_id"),
            F.col("as_of_date"),
            F.col("linked_closed_stores"),
            F.transform(F.col("links"), lambda x: x["s"]).alias("identity_link_reasons"),
        )
    )
