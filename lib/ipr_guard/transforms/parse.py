"""Parsing landing lines against the contract, without coercion, in Spark.

Each line is parsed as a VARIANT (`try_parse_json`), so the JSON type of every field is known exactly:
a string where a number is expected, or an object where a string is expected, is a bad record rather
than a silently cast value. PII fields are pseudonymised here, before anything is written.
"""
from __future__ import annotations

from typing import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from ipr_guard.schema import BOOL, INT, NUMBER, STRING, STRING_ARRAY, TIMESTAMP, Field, Table

ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
INT_TYPES = ("TINYINT", "SMALLINT", "INT", "BIGINT")
LINE_COLUMNS = ("source_file", "ingest_date", "line_number", "line")
PARSE_META = ("_reason", "_raw")
POSITION = ("ingest_date", "source_file", "line_number")

Pseudonymise = Callable[[Column], Column]


def _sub(field: Field) -> Column:
    return F.try_variant_get(F.col("_v"), f"$.{field.name}", "variant")


def _json_type(field: Field) -> Column:
    # SQL NULL when the field is missing, 'VOID' for a JSON null.
    return F.schema_of_variant(_sub(field))


def _type_ok(field: Field, jtype: Column) -> Column:
    if field.kind in (STRING, TIMESTAMP):
        return jtype == "STRING"
    if field.kind == INT:
        return jtype.isin(*INT_TYPES)
    if field.kind == NUMBER:
        return jtype.isin(*INT_TYPES, "DOUBLE", "FLOAT") | jtype.startswith("DECIMAL")
    if field.kind == BOOL:
        return jtype == "BOOLEAN"
    if field.kind == STRING_ARRAY:
        return jtype.isin("ARRAY<STRING>", "ARRAY<VOID>")
    raise ValueError(field.kind)


def _typed_value(field: Field) -> Column:
    """The field's value in its Spark type; only meaningful once its JSON type was checked."""
    v = F.col("_v")
    path = f"$.{field.name}"
    if field.kind == TIMESTAMP:
        text = F.try_variant_get(v, path, "string")
        return F.when(text.rlike(ISO_TIMESTAMP), F.try_to_timestamp(text))
    if field.kind == INT:
        return F.try_variant_get(v, path, "int")
    if field.kind == NUMBER:
        return F.try_variant_get(v, path, "double")
    return F.try_variant_get(v, path, field.spark_type.simpleString())


def _domain_problem(field: Field, value: Column) -> Column | None:
    """A reason string when the typed value breaks the field's domain, else NULL."""
    checks: list[tuple[Column, Column]] = []
    if field.allowed is not None:
        checks.append((~value.isin(*field.allowed),
                       F.format_string(f"{field.name}: %s is not one of {', '.join(field.allowed)}",
                                       F.substring(value, 1, 40))))
    if field.pattern is not None:
        checks.append((~value.rlike(field.pattern),
                       F.format_string(f"{field.name}: %s does not match the expected format",
                                       F.substring(value, 1, 40))))
    if field.minimum is not None:
        op = value <= field.minimum if field.exclusive_min else value < field.minimum
        word = "greater than" if field.exclusive_min else "at least"
        checks.append((op, F.format_string(f"{field.name}: %s is not {word} {field.minimum:g}",
                                           value.cast("string"))))
    if field.maximum is not None:
        checks.append((value > field.maximum,
                       F.format_string(f"{field.name}: %s is above {field.maximum:g}", value.cast("string"))))
    if not checks:
        return None
    expr = None
    for cond, msg in checks:
        expr = F.when(value.isNotNull() & cond, msg) if expr is None else expr.when(value.isNotNull() & cond, msg)
    return expr


def _field_problem(field: Field, max_chars: int) -> Column:
    jtype = _json_type(field)
    present = jtype.isNotNull() & (jtype != "VOID")
    value = F.col(f"_t_{field.name}")
    problems = []
    if field.required:
        problems.append((~present, F.lit(f"missing required field {field.name}")))
    problems.append((present & ~_type_ok(field, jtype),
                     F.concat(F.lit(f"{field.name}: expected {field.kind}, got JSON "), F.lower(jtype))))
    if field.kind == TIMESTAMP:
        problems.append((present & value.isNull(),
                         F.lit(f"{field.name}: not an ISO-8601 timestamp with an offset")))
    if field.kind == INT:
        problems.append((present & value.isNull(), F.lit(f"{field.name}: integer out of range")))
    if field.kind in (STRING, STRING_ARRAY):
        length = F.length(value) if field.kind == STRING else F.aggregate(
            value, F.lit(0), lambda acc, x: acc + F.coalesce(F.length(x), F.lit(0)))
        problems.append((length > max_chars, F.lit(f"{field.name}: longer than {max_chars} characters")))
    expr = None
    for cond, msg in problems:
        expr = F.when(cond, msg) if expr is None else expr.when(cond, msg)
    domain = _domain_problem(field, value)
    return expr if domain is None else F.coalesce(expr, domain)


def parse_lines(lines: DataFrame, table: Table, pseudonymise: Pseudonymise, max_field_chars: int,
                max_raw_chars: int) -> DataFrame:
    """Parses landing lines into the table's typed fields, a reason for bad records and a safe raw copy.

    Args:
        lines: columns source_file, ingest_date, line_number, line (one row per non-empty line).
        table: the contract table the lines belong to.
        pseudonymise: maps a raw string column to its keyed pseudonym.
        max_field_chars: a longer string value makes the record bad.
        max_raw_chars: the raw copy kept for a bad record is cut to this length.

    Returns:
        One row per input line: the contract fields (typed, PII pseudonymised; NULL where bad),
        `_reason` (NULL for a good record) and `_raw` (for bad records: the line, or for tables with
        PII a JSON object of the fields with PII pseudonymised, or NULL when the line is not JSON),
        then the line's source_file, ingest_date and line_number.
    """
    parsed = lines.withColumn("_v", F.try_parse_json(F.col("line")))
    parsed = parsed.select(
        *LINE_COLUMNS, "_v",
        *[_typed_value(f).alias(f"_t_{f.name}") for f in table.fields],
    )
    field_problems = [_field_problem(f, max_field_chars) for f in table.fields]
    reason = (
        F.when(F.col("line").contains("\ufffd"), F.lit("not valid UTF-8"))
        .when(F.col("_v").isNull(), F.lit("not valid JSON (or a field given twice)"))
        .when(~F.schema_of_variant(F.col("_v")).startswith("OBJECT"), F.lit("not a JSON object"))
        .otherwise(F.coalesce(*field_problems))
    )
    good = reason.isNull()
    fields = []
    for f in table.fields:
        value = F.col(f"_t_{f.name}")
        if f.pii:
            value = pseudonymise(value)
        elif f.pii_if:
            other, values = f.pii_if
            value = F.when(F.col(f"_t_{other}").isin(*values), pseudonymise(value)).otherwise(value)
        fields.append(F.when(good, value).alias(f.name))
    return parsed.withColumn("_reason", reason).select(
        *fields,
        F.col("_reason"),
        F.when(~good, _raw_copy(table, pseudonymise, max_raw_chars)).alias("_raw"),
        "source_file", "ingest_date", "line_number",
    )


def _raw_copy(table: Table, pseudonymise: Pseudonymise, max_chars: int) -> Column:
    """What the quarantine may keep of a bad line: never a raw PII value."""
    if not table.pii_fields:
        return F.substring(F.col("line"), 1, max_chars)
    entries = []
    for f in table.fields:
        text = F.to_json(_sub(f))
        # A PII field keeps only the pseudonym of its value (of its JSON text when not a string).
        if f.pii or f.pii_if:
            text = pseudonymise(F.coalesce(F.try_variant_get(F.col("_v"), f"$.{f.name}", "string"), text))
        entries += [F.lit(f.name), text]
    as_json = F.to_json(F.map_from_arrays(
        F.array(*entries[0::2]), F.array(*[F.substring(e, 1, max_chars) for e in entries[1::2]])))
    return F.when(F.schema_of_variant(F.col("_v")).startswith("OBJECT"), F.substring(as_json, 1, max_chars))


def mark_duplicates(parsed: DataFrame, table: Table) -> DataFrame:
    """Adds `_duplicate` and `_key_conflict` to the rows of `parse_lines`.

    Several versions of a key on one delivery day are ordinary change-data-capture (a complaint delivered
    `pending`, then `upheld` with a later updated_at): the contract resolves them by updated_at, then
    delivery day, file name and line, and they are neither duplicates nor conflicts.

    Args:
        parsed: the output of `parse_lines` for `table` (one batch of delivery days).
        table: the contract table.

    Returns:
        `parsed` plus two BOOLEAN columns:
        `_duplicate`: a good record identical in every contract field to a later one of the batch (by
        delivery day, file name, line). The last copy is the one kept, so that it holds its place in the
        contract's order: of pending A, upheld B, pending A at one updated_at, A (the last line) wins.
        `_key_conflict`: a good, kept record whose key appears on the same delivery day with other content
        at the same updated_at (in a table without updated_at: with any other content). The contract
        still resolves it, by position, but many of them mean a broken feed (a key generator gone wrong,
        a day re-extracted with changes), so they are counted.
    """
    content = F.sha2(F.to_json(F.struct(*[F.col(c) for c in table.field_names])), 256)
    copies = Window.partitionBy("_content").orderBy(*[F.col(c).desc() for c in POSITION])
    marked = (parsed.withColumn("_content", F.when(F.col("_reason").isNull(), content))
              .withColumn("_duplicate", F.col("_content").isNotNull() & (F.row_number().over(copies) > 1)))
    same_version = ["ingest_date", *table.key] + (["updated_at"] if table.has_updated_at else [])
    versions = F.size(F.collect_set(F.when(~F.col("_duplicate"), F.col("_content")))
                      .over(Window.partitionBy(*same_version)))
    conflict = F.col("_content").isNotNull() & ~F.col("_duplicate") & (versions > 1)
    return marked.select(*parsed.columns, "_duplicate", conflict.alias("_key_conflict"))
