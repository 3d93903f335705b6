"""The data-quality gate: suite files, validation of Spark frames, the report, Data Docs, volume."""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from pyspark.sql import types as T

from ipr_guard.quality import (
    RESULTS_SCHEMA, SuiteError, build_data_docs, default_folder, load_suite, load_suites, severity,
    validate_frames, volume_problems,
)
from tests.unit.builders import silver_df

SUITE_FILES = sorted(default_folder().glob("*.json"))
PSEUDONYM = "ab" * 32  # the shape of an HMAC-SHA256 pseudonym
RUN = "test-quality-run"
RAW_EMAIL = "alice@example.com"

CANDIDATES_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()), T.StructField("merchant_id", T.StringType()),
    T.StructField("store_name", T.StringType()), T.StructField("risk_score", T.DoubleType()),
    T.StructField("rank", T.IntegerType()), T.StructField("recommended_action", T.StringType()),
    T.StructField("reasons", T.ArrayType(T.StringType())),
    T.StructField("counterfeit_test_buys", T.LongType()), T.StructField("upheld_notices_30d", T.LongType()),
    T.StructField("linked_closed_stores", T.LongType()), T.StructField("rules_fired", T.ArrayType(T.StringType())),
    T.StructField("model_name", T.StringType()), T.StructField("model_version", T.StringType()),
])


def order(i: int, **over) -> dict:
    row = dict(order_id=f"O{i}", listing_id=f"L{i % 3}", merchant_id="M1", buyer_id=PSEUDONYM, quantity=1,
               amount=99.0, created_at="2026-10-30T02:00:00Z", status="paid", updated_at="2026-10-30T03:00:00Z")
    return {**row, **over}


def listing(i: int, **over) -> dict:
    row = dict(listing_id=f"L{i}", merchant_id="M1", title="bag", category="bags", price=120.0, currency="CNY",
               quantity=3, image_hash="0123456789abcdef", ships_from="CN", created_at="2026-10-30T02:00:00Z",
               updated_at="2026-10-30T02:00:00Z", status="active")
    return {**row, **over}


def candidate(rank: int, score: float, store: str | None = "Shop") -> tuple:
    return (datetime.date(2026, 10, 31), f"M{rank}", store, score, rank, "close", ["1 test buy judged counterfeit"],
            1, 0, 0, ["counterfeit_test_buy"], None, None)


@pytest.fixture(scope="module")
def suites():
    return load_suites(default_folder())


@pytest.fixture(scope="module", params=["spark", "pandas"])
def report(request, spark, suites):
    """One GX run over every scenario: GX on Spark costs seconds per table, so tests share it.

    Every test of the report runs twice: once with GX's Spark engine (driver_max_rows 0) and once with
    the small-batch path that collects each frame and checks it with GX's pandas engine; the expected
    values are the same, so the two engines must agree on every scenario.

    Each scenario is its own frame, validated against the suite its name says (aliases of one
    suite are allowed: the table name is the key of `frames`).
    """
    aliases = {
        "clean.orders": "silver.orders", "silver.orders": "silver.orders",
        "bad_status.orders": "silver.orders", "bad_price.listings": "silver.listings",
        "gold.closure_candidates": "gold.closure_candidates", "silver.takedowns": "silver.takedowns",
        "raw_pii.orders": "silver.orders", "no_status.orders": "silver.orders",
    }
    frames = {
        "clean.orders": silver_df(spark, "orders", [order(i) for i in range(20)]),
        # O17 and O18 arrive twice: the key is no longer unique.
        "silver.orders": silver_df(spark, "orders", [order(i) for i in range(20)] + [order(17), order(18)]),
        "bad_status.orders": silver_df(spark, "orders", [order(1), order(2, status="shipped")]),
        "bad_price.listings": silver_df(spark, "listings", [listing(1), listing(2, price=0.0),
                                                            listing(3, price=-5.0)]),
        "gold.closure_candidates": spark.createDataFrame(
            [candidate(1, 1.2), candidate(2, 0.9, store=None), candidate(3, 0.8)], CANDIDATES_SCHEMA),
        # A notice takedown without its complaint: a warning, not a reason to stop the run.
        "silver.takedowns": silver_df(spark, "takedowns", [
            dict(takedown_id="T1", listing_id="L1", merchant_id="M1", origin="notice", complaint_id=None,
                 reason="counterfeit", taken_down_at="2026-10-30T05:00:00Z"),
            dict(takedown_id="T2", listing_id="L2", merchant_id="M1", origin="proactive", complaint_id=None,
                 reason="trademark", taken_down_at="2026-10-30T06:00:00Z"),
        ]),
        # A raw e-mail address where only its pseudonym may be: caught, and never repeated.
        "raw_pii.orders": silver_df(spark, "orders", [order(1), order(2, buyer_id=RAW_EMAIL)]),
        "no_status.orders": silver_df(spark, "orders", [order(1)]).drop("status"),
    }
    # Three tables at once, as the nightly does: the tests below then also check that threads keep
    # every table's results apart.
    return validate_frames(frames, {name: suites[s] for name, s in aliases.items()}, RUN, parallel=3,
                           driver_max_rows=0 if request.param == "spark" else 1000)


def failed(report, table: str, severity: str | None = "critical") -> set[tuple[str, str | None]]:
    return {(r.expectation_type, r.column) for r in report.failures(severity) if r.table == table}


# --- suite files -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.name)
def test_every_suite_file_loads_with_all_its_expectations(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    suite = load_suite(path)
    assert suite.name == path.stem
    assert len(suite.expectations) == len(data["expectations"]) > 0
    assert data["meta"]["version"] >= 1
    assert {severity(e) for e in suite.expectations} <= {"critical", "warning"}


def test_every_table_has_a_suite():
    names = {p.stem for p in SUITE_FILES}
    from ipr_guard.schema import TABLES
    assert {f"silver.{t}" for t in TABLES} | {"gold.closure_candidates", "gold.listing_risk",
                                              "gold.enforcement_kpis", "gold.merchant_features"} == names


@pytest.mark.parametrize("item, error", [
    ({"type": "expect_column_values_to_be_uniqeu", "kwargs": {"column": "a"}}, "not valid"),
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {}}, "not valid"),
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"severity": "fatal"}},
     "severity"),
])
def test_a_suite_gx_would_shorten_is_refused(tmp_path: Path, item: dict, error: str):
    path = tmp_path / "silver.x.json"
    ok = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "b"}}
    path.write_text(json.dumps({"name": "silver.x", "expectations": [ok, item], "meta": {"version": 1}}))
    with pytest.raises(SuiteError, match=error) as e:
        load_suite(path)
    assert "#2" in str(e.value)


def test_severity_defaults_to_critical():
    assert severity({"type": "x", "kwargs": {}}) == "critical"
    assert severity({"type": "x", "kwargs": {}, "meta": {"severity": "warning"}}) == "warning"


# --- validation --------------------------------------------------------------------------------------

def test_clean_orders_pass(report):
    rows = [r for r in report.results if r.table == "clean.orders"]
    assert len(rows) == len(load_suite(default_folder() / "silver.orders.json").expectations)
    assert all(r.success for r in rows), [r.describe() for r in rows if not r.success]


def test_duplicated_keys_fail_the_critical_uniqueness_check_and_the_message_names_them(report):
    assert failed(report, "silver.orders") == {("expect_column_values_to_be_unique", "order_id")}
    dup = report.failures()[[r.table for r in report.failures()].index("silver.orders")]
    assert (dup.unexpected_count, dup.element_count) == (4, 22)
    assert set(dup.example_values) == {"O17", "O18"}
    message = report.message()
    assert "\n" not in message
    assert "silver.orders: expect_column_values_to_be_unique(order_id) failed: 4 unexpected of 22" in message
    assert "O17" in message and "O18" in message
    assert not report.passed


def test_out_of_domain_status_fails(report):
    assert failed(report, "bad_status.orders") == {("expect_column_values_to_be_in_set", "status")}
    row = next(r for r in report.failures() if r.table == "bad_status.orders")
    assert row.example_values == ("shipped",)


def test_price_not_above_zero_fails(report):
    assert failed(report, "bad_price.listings") == {("expect_column_values_to_be_between", "price")}
    row = next(r for r in report.failures() if r.table == "bad_price.listings")
    assert row.unexpected_count == 2 and set(row.example_values) == {"0.0", "-5.0"}


def test_risk_score_above_one_fails_in_gold(report):
    assert failed(report, "gold.closure_candidates") == {("expect_column_values_to_be_between", "risk_score")}
    assert "gold.closure_candidates: expect_column_values_to_be_between(risk_score)" in report.message()


def test_warning_failures_are_reported_but_do_not_fail_the_gate(report):
    assert failed(report, "silver.takedowns") == set()
    assert failed(report, "silver.takedowns", "warning") == {("expect_column_values_to_not_be_null", "complaint_id")}
    assert ("expect_column_values_to_not_be_null", "store_name") in failed(report, "gold.closure_candidates", "warning")
    rows = report.to_rows()
    warned = [r for r in rows if r[1] == "silver.takedowns" and r[4] == "warning" and r[5] is False]
    assert len(warned) == 1
    assert "complaint_id" not in report.message()


def test_raw_personal_data_fails_without_being_repeated(report):
    assert failed(report, "raw_pii.orders") == {("expect_column_values_to_match_regex", "buyer_id")}
    row = next(r for r in report.failures() if r.table == "raw_pii.orders")
    assert row.unexpected_count == 1 and row.example_values == ()
    assert RAW_EMAIL not in report.message()
    assert RAW_EMAIL not in repr(report.to_rows())
    assert RAW_EMAIL not in json.dumps(report.gx_results["raw_pii.orders"].to_json_dict())


def test_a_missing_column_is_named_and_its_checks_fail_rather_than_pass(report):
    assert failed(report, "no_status.orders") == {("expect_table_columns_to_match_set", None),
                                                  ("expect_column_values_to_be_in_set", "status")}
    message = report.message()
    assert "no_status.orders: expect_table_columns_to_match_set() failed: observed missing columns status" in message
    assert "no_status.orders: expect_column_values_to_be_in_set(status) failed with an error:" in message


def test_results_come_in_table_order_then_suite_file_order(report, suites):
    tables = ["bad_price.listings", "bad_status.orders", "clean.orders", "gold.closure_candidates",
              "no_status.orders", "raw_pii.orders", "silver.orders", "silver.takedowns"]
    assert list(report.seconds) == tables
    suite_of = {"bad_price.listings": "silver.listings", "gold.closure_candidates": "gold.closure_candidates",
                "silver.takedowns": "silver.takedowns"}
    expected = [(t, e.expectation_type) for t in tables for e in suites[suite_of.get(t, "silver.orders")].expectations]
    assert [(r.table, r.expectation_type) for r in report.results] == expected


def test_rows_fit_the_results_schema(spark, report):
    df = spark.createDataFrame(report.to_rows(), RESULTS_SCHEMA)
    assert df.count() == len(report.results)
    assert {r.run_id for r in report.results} == {RUN}


def test_a_frame_without_a_suite_is_refused(spark, suites):
    with pytest.raises(KeyError, match="silver.ordres"):
        validate_frames({"silver.ordres": spark.range(1)}, suites, RUN)


# --- Data Docs ---------------------------------------------------------------------------------------

def test_data_docs_index_is_written_and_names_the_suites(report, tmp_path: Path):
    folder = tmp_path / "reports" / "2026-10-31" / "data_docs"
    index = build_data_docs(report, folder)
    assert index == folder / "index.html" and index.is_file()
    html = index.read_text(encoding="utf-8")
    assert "silver.orders" in html and "gold.closure_candidates" in html
    pages = "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.html"))
    assert "O17" in pages and RAW_EMAIL not in pages
    # A rerun replaces the site and leaves no staging folder behind.
    assert build_data_docs(report.gx_results, folder) == index
    assert sorted(p.name for p in folder.parent.iterdir()) == ["data_docs"]


# --- volume ------------------------------------------------------------------------------------------

def test_volume_problems():
    assert volume_problems(100, [100, 120, 80], 0.2) is None
    assert volume_problems(5, [], 0.2) is None
    assert volume_problems(0, [0, 0], 0.2) is None
    problem = volume_problems(12, [400] * 7, 0.2)
    assert problem == "12 rows, 3% of the trailing 7-day average 400 (minimum 20%)"
    assert volume_problems(0, [10], 0.2).startswith("0 rows")
    with pytest.raises(ValueError):
        volume_problems(-1, [1], 0.2)
    with pytest.raises(ValueError):
        volume_problems(1, [1], 1.5)


def test_parallel_tables_comes_from_conf_and_is_checked():
    from ipr_guard.config import load_config
    from ipr_guard.errors import UsageError
    assert load_config("local").quality.parallel_tables == 2
    assert load_config("local").quality.driver_max_rows == 50000
    assert load_config("local", ["quality.driver_max_rows=0"]).quality.driver_max_rows == 0
    with pytest.raises(UsageError, match=r"quality.driver_max_rows=-1 is outside"):
        load_config("local", ["quality.driver_max_rows=-1"])
    assert load_config("local", ["quality.parallel_tables=1"]).quality.parallel_tables == 1
    with pytest.raises(UsageError, match=r"quality.parallel_tables=0 is outside \[1, 16\]"):
        load_config("local", ["quality.parallel_tables=0"])
