"""The landing contract as code: tables, keys, field types, PII flags and domains.

This module is the project's source of truth for `../shared/contract/README.md` ("Landing zone").
Ingest parses and checks every landing row against it; silver tables carry exactly these fields
(typed) plus the lineage columns in `LINEAGE_COLUMNS`.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

STRING, INT, NUMBER, TIMESTAMP, BOOL, STRING_ARRAY = "string", "int", "number", "timestamp", "bool", "string_array"

SPARK_TYPES = {
    STRING: T.StringType(),
    INT: T.IntegerType(),
    NUMBER: T.DoubleType(),
    TIMESTAMP: T.TimestampType(),
    BOOL: T.BooleanType(),
    STRING_ARRAY: T.ArrayType(T.StringType()),
}

ISO2 = r"^[A-Z]{2}$"


@dataclass(frozen=True)
class Field:
    """One field of a landing table.

    Attributes:
        name: column name.
        kind: one of STRING, INT, NUMBER, TIMESTAMP, BOOL, STRING_ARRAY.
        required: a null or missing value makes the row a bad record.
        pii: personal data; replaced by a keyed pseudonym before the first write.
        allowed: the closed set of allowed values (strings), if any.
        pattern: a regular expression the value must match, if any.
        minimum: the smallest allowed number, if any.
        maximum: the largest allowed number, if any.
        exclusive_min: True when `minimum` itself is not allowed (price > 0).
        pii_if: (other field, values): the field is PII only on rows where that field has one of
            those values (a privacy request's subject_id is PII for buyers and reporters).
    """

    name: str
    kind: str
    required: bool = False
    pii: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    pii_if: tuple[str, tuple[str, ...]] | None = None

    @property
    def spark_type(self) -> T.DataType:
        return SPARK_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """A landing table: its key, its fields and the field that orders versions of a key."""

    name: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    daily_feed: bool = False

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def pii_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.pii or f.pii_if]

    @property
    def has_updated_at(self) -> bool:
        return "updated_at" in self.field_names

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def spark_schema(self) -> T.StructType:
        return T.StructType([T.StructField(f.name, f.spark_type, True) for f in self.fields])


def _req(name: str, kind: str = STRING, **kw) -> Field:
    return Field(name, kind, required=True, **kw)


TABLES: dict[str, Table] = {t.name: t for t in [
    Table("merchants", ("merchant_id",), (
        _req("merchant_id"), _req("store_name"),
        Field("legal_name", STRING, pii=True), Field("contact_email", STRING, pii=True),
        Field("contact_phone", STRING, pii=True), Field("id_document_number", STRING, pii=True),
        Field("bank_account", STRING, pii=True),
        _req("registered_at", TIMESTAMP),
        Field("country", STRING, pattern=ISO2),
        Field("business_type", STRING, allowed=("individual", "enterprise")),
        Field("verification_level", INT, minimum=0, maximum=3),
        Field("deposit_amount", NUMBER, minimum=0),
        Field("status", STRING, allowed=("active", "suspended", "closed")),
        _req("updated_at", TIMESTAMP),
    )),
    Table("brands", ("brand_id",), (
        _req("brand_id"), _req("brand_name"), Field("rights_holder", STRING), Field("category", STRING),
        Field("reference_price", NUMBER, minimum=0, exclusive_min=True),
        Field("aliases", STRING_ARRAY),
        _req("updated_at", TIMESTAMP),
    )),
    Table("authorized_sellers", ("brand_id", "merchant_id"), (
        _req("brand_id"), _req("merchant_id"), _req("authorized_from", TIMESTAMP),
        Field("authorized_to", TIMESTAMP), _req("updated_at", TIMESTAMP),
    )),
    Table("listings", ("listing_id",), (
        _req("listing_id"), _req("merchant_id"), _req("title"), Field("description", STRING),
        Field("brand_id", STRING), _req("category"),
        _req("price", NUMBER, minimum=0, exclusive_min=True),
        Field("currency", STRING, allowed=("CNY",)),
        Field("quantity", INT, minimum=0),
        Field("image_hash", STRING, pattern=r"^[0-9a-fA-F]{16}$"),
        Field("ships_from", STRING, pattern=ISO2),
        _req("created_at", TIMESTAMP), _req("updated_at", TIMESTAMP),
        Field("status", STRING, allowed=("active", "removed", "sold_out")),
    ), daily_feed=True),
    Table("orders", ("order_id",), (
        _req("order_id"), _req("listing_id"), _req("merchant_id"), Field("buyer_id", STRING, pii=True),
        Field("quantity", INT, minimum=1), Field("amount", NUMBER, minimum=0),
        _req("created_at", TIMESTAMP),
        Field("status", STRING, allowed=("paid", "refunded", "cancelled")),
        _req("updated_at", TIMESTAMP),
    ), daily_feed=True),
    Table("complaints", ("complaint_id",), (
        _req("complaint_id"),
        Field("source", STRING, allowed=("rights_holder", "consumer", "platform")),
        Field("complaint_type", STRING,
              allowed=("counterfeit", "trademark", "copyright", "patent", "misrepresentation", "other")),
        Field("brand_id", STRING), Field("listing_id", STRING), _req("merchant_id"),
        Field("reporter_id", STRING, pii=True),
        _req("submitted_at", TIMESTAMP), Field("processed_at", TIMESTAMP),
        Field("outcome", STRING, allowed=("upheld", "rejected", "pending")),
        _req("updated_at", TIMESTAMP),
    )),
    Table("takedowns", ("takedown_id",), (
        _req("takedown_id"), _req("listing_id"), _req("merchant_id"),
        Field("origin", STRING, allowed=("proactive", "notice")),
        Field("complaint_id", STRING),
        Field("reason", STRING, allowed=("counterfeit", "trademark", "copyright", "patent", "other")),
        _req("taken_down_at", TIMESTAMP),
    )),
    Table("test_buys", ("test_buy_id",), (
        _req("test_buy_id"), _req("listing_id"), _req("merchant_id"), _req("brand_id"),
        _req("purchased_at", TIMESTAMP),
        Field("verdict", STRING, allowed=("genuine", "counterfeit", "inconclusive")),
        _req("verdict_at", TIMESTAMP),
    )),
    Table("enforcement_actions", ("action_id",), (
        _req("action_id"), _req("merchant_id"),
        Field("action", STRING, allowed=("warning", "suspension", "closure")),
        Field("reason", STRING, allowed=("counterfeit", "ipr_infringement", "fraud", "other")),
        _req("decided_at", TIMESTAMP), Field("reversed", BOOL), _req("updated_at", TIMESTAMP),
    )),
    Table("privacy_requests", ("request_id",), (
        _req("request_id"),
        Field("subject_type", STRING, allowed=("buyer", "merchant", "reporter")),
        # Pseudonymised like buyer_id / reporter_id so that it still matches them; a merchant_id is
        # not personal data and stays as it is.
        _req("subject_id", pii_if=("subject_type", ("buyer", "reporter"))),
        Field("request_type", STRING, allowed=("opt_out_analytics", "erasure")),
        _req("received_at", TIMESTAMP),
    )),
]}

# Columns every bronze and silver row carries besides its contract fields.
LINEAGE_COLUMNS = ("_ingest_date", "_source_file", "_line_number", "_ingest_run_id")


def silver_schema(table: Table) -> T.StructType:
    """Schema of a silver table: the contract fields, typed, then the lineage columns."""
    lineage = [
        T.StructField("_ingest_date", T.DateType(), False),
        T.StructField("_source_file", T.StringType(), False),
        T.StructField("_line_number", T.LongType(), False),
        T.StructField("_ingest_run_id", T.StringType(), False),
    ]
    return T.StructType(table.spark_schema().fields + lineage)
