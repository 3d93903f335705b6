"""The synthetic marketplace generator: layout, determinism, contract validity, mess rates, planted patterns.

The contract checks below are written by hand from shared/contract/README.md on purpose, so that they
test the generator's output rather than restating its code.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ipr_guard.generate.marketplace import generate_marketplace

STORES, DAYS, SEED = 80, 12, 11
END = dt.date(2026, 10, 31)
START = END - dt.timedelta(days=DAYS - 1)
TABLES = ("merchants", "brands", "authorized_sellers", "listings", "orders", "complaints", "takedowns", "test_buys",
          "enforcement_actions", "privacy_requests")
KEYS = {"merchants": ("merchant_id",), "brands": ("brand_id",), "authorized_sellers": ("brand_id", "merchant_id"),
        "listings": ("listing_id",), "orders": ("order_id",), "complaints": ("complaint_id",),
        "takedowns": ("takedown_id",), "test_buys": ("test_buy_id",), "enforcement_actions": ("action_id",),
        "privacy_requests": ("request_id",)}
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ISO2 = r"^[A-Z]{2}$"


def f(kind, required=False, allowed=None, pattern=None, lo=None, hi=None, lo_exclusive=False):
    """One field of the contract, as read off the README's tables."""
    return dict(kind=kind, required=required, allowed=allowed, pattern=pattern, lo=lo, hi=hi, lo_exclusive=lo_exclusive)


S, I, N, T, B, A = "string", "int", "number", "timestamp", "bool", "string_array"
CONTRACT = {
    "merchants": {
        "merchant_id": f(S, True), "store_name": f(S, True), "legal_name": f(S), "contact_email": f(S),
        "contact_phone": f(S), "id_document_number": f(S), "bank_account": f(S), "registered_at": f(T, True),
        "country": f(S, pattern=ISO2), "business_type": f(S, allowed={"individual", "enterprise"}),
        "verification_level": f(I, lo=0, hi=3), "deposit_amount": f(N, lo=0),
        "status": f(S, allowed={"active", "suspended", "closed"}), "updated_at": f(T, True)},
    "brands": {
        "brand_id": f(S, True), "brand_name": f(S, True), "rights_holder": f(S), "category": f(S),
        "reference_price": f(N, lo=0, lo_exclusive=True), "aliases": f(A), "updated_at": f(T, True)},
    "authorized_sellers": {
        "brand_id": f(S, True), "merchant_id": f(S, True), "authorized_from": f(T, True), "authorized_to": f(T),
        "updated_at": f(T, True)},
    "listings": {
        "listing_id": f(S, True), "merchant_id": f(S, True), "title": f(S, True), "description": f(S),
        "brand_id": f(S), "category": f(S, True), "price": f(N, True, lo=0, lo_exclusive=True),
        "currency": f(S, allowed={"CNY"}), "quantity": f(I, lo=0), "image_hash": f(S, pattern=r"^[0-9a-fA-F]{16}$"),
        "ships_from": f(S, pattern=ISO2), "created_at": f(T, True), "updated_at": f(T, True),
        "status": f(S, allowed={"active", "removed", "sold_out"})},
    "orders": {
        "order_id": f(S, True), "listing_id": f(S, True), "merchant_id": f(S, True), "buyer_id": f(S),
        "quantity": f(I, lo=1), "amount": f(N, lo=0), "created_at": f(T, True),
        "status": f(S, allowed={"paid", "refunded", "cancelled"}), "updated_at": f(T, True)},
    "complaints": {
        "complaint_id": f(S, True), "source": f(S, allowed={"rights_holder", "consumer", "platform"}),
        "complaint_type": f(S, allowed={"counterfeit", "trademark", "copyright", "patent", "misrepresentation",
                                        "other"}),
        "brand_id": f(S), "listing_id": f(S), "merchant_id": f(S, True), "reporter_id": f(S),
        "submitted_at": f(T, True), "processed_at": f(T), "outcome": f(S, allowed={"upheld", "rejected", "pending"}),
        "updated_at": f(T, True)},
    "takedowns": {
        "takedown_id": f(S, True), "listing_id": f(S, True), "merchant_id": f(S, True),
        "origin": f(S, allowed={"proactive", "notice"}), "complaint_id": f(S),
        "reason": f(S, allowed={"counterfeit", "trademark", "copyright", "patent", "other"}),
        "taken_down_at": f(T, True)},
    "test_buys": {
        "test_buy_id": f(S, True), "listing_id": f(S, True), "merchant_id": f(S, True), "brand_id": f(S, True),
        "purchased_at": f(T, True), "verdict": f(S, allowed={"genuine", "counterfeit", "inconclusive"}),
        "verdict_at": f(T, True)},
    "enforcement_actions": {
        "action_id": f(S, True), "merchant_id": f(S, True),
        "action": f(S, allowed={"warning", "suspension", "closure"}),
        "reason": f(S, allowed={"counterfeit", "ipr_infringement", "fraud", "other"}), "decided_at": f(T, True),
        "reversed": f(B), "updated_at": f(T, True)},
    "privacy_requests": {
        "request_id": f(S, True), "subject_type": f(S, allowed={"buyer", "merchant", "reporter"}),
        "subject_id": f(S, True), "request_type": f(S, allowed={"opt_out_analytics", "erasure"}),
        "received_at": f(T, True)},
}


def contract_error(row, table: str) -> str | None:
    """Why a parsed row is not a valid row of `table`, or None when it is."""
    if not isinstance(row, dict):
        return "not a JSON object"
    for name, spec in CONTRACT[table].items():
        value = row.get(name)
        if value is None:
            if spec["required"]:
                return f"{name} missing"
            continue
        kind = spec["kind"]
        ok = {
            S: isinstance(value, str),
            I: isinstance(value, int) and not isinstance(value, bool),
            N: isinstance(value, (int, float)) and not isinstance(value, bool),
            T: isinstance(value, str) and bool(ISO_TS.match(value)),
            B: isinstance(value, bool),
            A: isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            return f"{name} has the wrong type: {value!r}"
        if kind == T:
            try:
                _instant(value)
            except ValueError:
                return f"{name} is not a date and time: {value!r}"
        if spec["allowed"] and value not in spec["allowed"]:
            return f"{name} not allowed: {value!r}"
        if spec["pattern"] and not re.match(spec["pattern"], value):
            return f"{name} does not match: {value!r}"
        if spec["lo"] is not None and (value < spec["lo"] or (spec["lo_exclusive"] and value == spec["lo"])):
            return f"{name} too small: {value!r}"
        if spec["hi"] is not None and value > spec["hi"]:
            return f"{name} too large: {value!r}"
    return None


def parse_line(line: bytes):
    """The parsed JSON of a line, or None when it is not JSON at all."""
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class Landing:
    """Every line and row of a generated landing folder, good ones parsed, with their delivery day."""

    def __init__(self, root: Path):
        self.root = root
        self.good: dict[str, list[tuple[dt.date, dict]]] = defaultdict(list)
        self.bad: Counter = Counter()
        self.lines: Counter = Counter()
        self.duplicates: Counter = Counter()
        self.days: dict[str, Counter] = defaultdict(Counter)
        self.unterminated = 0
        for table in TABLES:
            seen = set()
            for folder in sorted((root / "landing" / table).glob("ingest_date=*")):
                day = dt.date.fromisoformat(folder.name.split("=")[1])
                for path in sorted(folder.iterdir()):
                    rows = []
                    if path.suffix == ".parquet":
                        rows = [(None, r) for r in pq.read_table(path).to_pylist()]
                    else:
                        data = path.read_bytes()
                        self.unterminated += not data.endswith(b"\n")
                        rows = [(line, parse_line(line)) for line in data.split(b"\n") if line]
                    for line, row in rows:
                        self.lines[table] += 1
                        self.days[table][day] += 1
                        if row is None or contract_error(row, table):
                            self.bad[table] += 1
                            continue
                        if line is not None:
                            self.duplicates[table] += line in seen
                            seen.add(line)
                        self.good[table].append((day, row))

    def latest(self, table: str) -> dict:
        """The winning version of each key: latest updated_at, then latest delivery."""
        best = {}
        for day, row in self.good[table]:
            key = tuple(row[k] for k in KEYS[table])
            rank = (_instant(row["updated_at"]) if "updated_at" in row else None, day)
            if key not in best or rank >= best[key][0]:
                best[key] = (rank, row)
        return {k: v[1] for k, v in best.items()}


def _instant(text: str) -> dt.datetime:
    """An aware datetime from contract timestamp text ("Z" is accepted on every Python version)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("market")
    summary = generate_marketplace(out, stores=STORES, days=DAYS, seed=SEED, end_date=END)
    return out, summary, Landing(out)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(generated, tmp_path):
    out, _, _ = generated
    again = generate_marketplace(tmp_path / "again", stores=STORES, days=DAYS, seed=SEED, end_date=END)
    assert tree_hashes(tmp_path / "again") == tree_hashes(out)
    assert again.rows == generated[1].rows
    other = tree_hashes(generate_marketplace(tmp_path / "other", stores=STORES, days=DAYS, seed=SEED + 1,
                                             end_date=END).out)
    assert other != tree_hashes(out)


def test_landing_layout_has_every_table_and_only_delivery_day_folders(generated):
    out, summary, _ = generated
    assert (summary.start_date, summary.end_date) == (START, END)
    assert sorted(p.name for p in (out / "landing").iterdir()) == sorted(TABLES)
    for table in TABLES:
        folders = list((out / "landing" / table).iterdir())
        assert folders, table
        for folder in folders:
            assert re.fullmatch(r"ingest_date=\d{4}-\d{2}-\d{2}", folder.name)
            assert START <= dt.date.fromisoformat(folder.name[12:]) <= END
            files = [p.name for p in folder.iterdir()]
            assert files and all(re.fullmatch(r"part-\d{5}\.(jsonl|parquet)", name) for name in files)
    assert list((out / "landing" / "listings").rglob("*.parquet")), "some listings arrive as Parquet"


def test_daily_feeds_deliver_every_day_near_their_trailing_average(generated):
    _, _, landing = generated
    for table in ("orders", "listings"):
        volumes = [landing.days[table][START + dt.timedelta(days=i)] for i in range(DAYS)]
        assert all(v > 0 for v in volumes), (table, volumes)
        for i in range(1, DAYS):
            trailing = volumes[max(0, i - 7):i]
            assert volumes[i] >= 0.5 * sum(trailing) / len(trailing), (table, i, volumes)


def test_lines_follow_the_contract_except_a_few_bad_ones(generated):
    _, summary, landing = generated
    assert sum(landing.bad.values()) > 0
    assert landing.unterminated >= 1, "a file ends with a line cut mid-way"
    for table in TABLES:
        assert landing.bad[table] == summary.bad_lines[table], table
        assert landing.lines[table] == summary.rows[table], table
        assert landing.bad[table] < 0.005 * landing.lines[table] or landing.bad[table] == 0, table
        assert landing.duplicates[table] == summary.duplicate_lines[table], table
    assert sum(landing.duplicates.values()) > 0


def test_a_key_has_one_state_per_delivery_day(generated):
    _, _, landing = generated
    for table in TABLES:
        states = defaultdict(set)
        for day, row in landing.good[table]:
            key = tuple(row[k] for k in KEYS[table])
            states[key, day].add(json.dumps({k: row.get(k) for k in CONTRACT[table]}, sort_keys=True))
        assert all(len(s) == 1 for s in states.values()), table


def test_rows_look_like_a_marketplace(generated):
    _, _, landing = generated
    timestamps = [row["created_at"] for _, row in landing.good["orders"]]
    assert any(t.endswith("Z") for t in timestamps) and any(t.endswith("+08:00") for t in timestamps)
    assert any("_debug" in row or "source_system" in row for _, row in landing.good["orders"])
    listings = landing.latest("listings")
    assert any(re.search(r"[\u4e00-\u9fff]", row["title"]) for row in listings.values())
    null_brand = sum(row.get("brand_id") is None for row in listings.values()) / len(listings)
    assert 0.25 < null_brand < 0.55
    for row in landing.latest("merchants").values():
        if row.get("contact_phone"):
            assert re.fullmatch(r"\+86 1\d{10}", row["contact_phone"])
        assert re.fullmatch(r"[a-z]+\d+@[a-z.]*example\.(cn|com)", row["contact_email"])
    orders = landing.latest("orders")
    assert {row["status"] for row in orders.values()} == {"paid", "refunded", "cancelled"}
    assert all(re.fullmatch(r"B\d+", row["buyer_id"]) for row in orders.values())
    late = [row for day, row in landing.good["orders"] if _instant(row["created_at"]).astimezone(
        dt.timezone(dt.timedelta(hours=8))).date() < day and row["status"] == "paid"]
    assert late, "some orders arrive a day or two late"


def test_reregistered_stores_share_identity_with_a_closed_store(generated):
    out, _, landing = generated
    truth = pd.read_csv(out / "truth" / "merchants.csv", dtype=str, keep_default_na=False)
    merchants = {k[0]: row for k, row in landing.latest("merchants").items()}
    closed = [row for row in merchants.values() if row["status"] == "closed"]
    reregistered = truth[truth.kind == "reregistered"].merchant_id
    assert len(reregistered) > 0
    operator = dict(zip(truth.merchant_id, truth.operator_id))
    for merchant_id in reregistered:
        row = merchants[merchant_id]
        twins = [c for c in closed if c["merchant_id"] != merchant_id and any(
            row.get(k) and row.get(k) == c.get(k) for k in ("contact_phone", "bank_account", "id_document_number"))]
        assert twins, merchant_id
        assert any(operator[t["merchant_id"]] == operator[merchant_id] for t in twins)


def test_personal_data_is_unique_per_person_except_for_reregistered_operators(generated):
    out, _, landing = generated
    truth = pd.read_csv(out / "truth" / "merchants.csv", dtype=str)
    operator = dict(zip(truth.merchant_id, truth.operator_id))
    for field in ("legal_name", "contact_email", "contact_phone", "id_document_number", "bank_account"):
        owners = defaultdict(set)
        for (merchant_id,), row in landing.latest("merchants").items():
            if row.get(field):
                owners[row[field]].add(operator[merchant_id])
        assert all(len(ops) == 1 for ops in owners.values()), field


def test_privacy_requests_name_subjects_seen_in_the_feeds(generated):
    _, _, landing = generated
    requests = list(landing.latest("privacy_requests").values())
    assert {r["subject_type"] for r in requests} == {"buyer", "merchant", "reporter"}
    assert {r["request_type"] for r in requests} == {"opt_out_analytics", "erasure"}
    known = {"buyer": {r["buyer_id"] for _, r in landing.good["orders"]},
             "merchant": {r["merchant_id"] for _, r in landing.good["merchants"]},
             "reporter": {r["reporter_id"] for _, r in landing.good["complaints"]}}
    assert all(r["subject_id"] in known[r["subject_type"]] for r in requests)


def test_quiet_counterfeiters_reuse_images_of_taken_down_listings(generated):
    out, _, landing = generated
    truth = pd.read_csv(out / "truth" / "merchants.csv", dtype=str)
    quiet = set(truth[truth.kind == "quiet_counterfeiter"].merchant_id)
    listings = landing.latest("listings")
    down = {row["listing_id"] for _, row in landing.good["takedowns"] if row["reason"] == "counterfeit"}
    down_hashes = {(k[0], int(row["image_hash"], 16)) for k, row in listings.items() if k[0] in down}
    near = [(k[0], d) for k, row in listings.items() if row["merchant_id"] in quiet
            for d, h in down_hashes if d != k[0] and bin(int(row["image_hash"], 16) ^ h).count("1") <= 3]
    assert near


def test_notices_some_processed_at_exactly_24h_and_some_never(generated):
    _, _, landing = generated
    notices = [r for r in landing.latest("complaints").values() if r["source"] == "rights_holder"]
    waits = [_instant(r["processed_at"]) - _instant(r["submitted_at"]) for r in notices if r.get("processed_at")]
    assert any(w == dt.timedelta(hours=24) for w in waits)
    assert all(dt.timedelta(hours=1) <= w <= dt.timedelta(hours=72) for w in waits)
    assert any(r.get("processed_at") is None and r["outcome"] == "pending" for r in notices)
    assert any(r["outcome"] == "rejected" for r in notices) and any(r["outcome"] == "upheld" for r in notices)


def test_takedowns_point_at_upheld_notices_and_some_come_before_a_first_sale(generated):
    _, _, landing = generated
    complaints = {k[0]: r for k, r in landing.latest("complaints").items()}
    takedowns = [r for _, r in landing.good["takedowns"]]
    for t in takedowns:
        if t["origin"] == "notice":
            assert complaints[t["complaint_id"]]["outcome"] == "upheld"
        else:
            assert t.get("complaint_id") is None
    first_sale = {}
    for r in landing.latest("orders").values():
        if r["status"] != "cancelled":
            at = _instant(r["created_at"])
            first_sale[r["listing_id"]] = min(at, first_sale.get(r["listing_id"], at))
    proactive = [t for t in takedowns if t["origin"] == "proactive"]
    before = [t for t in proactive if t["listing_id"] not in first_sale
              or first_sale[t["listing_id"]] > _instant(t["taken_down_at"])]
    assert len(before) > len(proactive) / 3


def test_some_closures_are_reversed_and_closed_stores_are_redelivered(generated):
    _, _, landing = generated
    actions = landing.latest("enforcement_actions").values()
    closures = [a for a in actions if a["action"] == "closure"]
    assert any(a["reversed"] for a in closures) and not all(a["reversed"] for a in closures)
    merchants = {k[0]: r for k, r in landing.latest("merchants").items()}
    for a in closures:
        assert merchants[a["merchant_id"]]["status"] == ("active" if a["reversed"] else "closed")


def test_truth_matches_the_landing_ids(generated):
    out, _, landing = generated
    merchants = pd.read_csv(out / "truth" / "merchants.csv", dtype=str, keep_default_na=False)
    listings = pd.read_csv(out / "truth" / "listings.csv", dtype=str)
    assert list(merchants.columns) == ["merchant_id", "kind", "is_counterfeiter", "operator_id", "closed_on"]
    assert list(listings.columns) == ["listing_id", "merchant_id", "is_counterfeit"]
    assert set(merchants.merchant_id) == {k[0] for k in landing.latest("merchants")}
    assert set(listings.listing_id) == {k[0] for k in landing.latest("listings")}
    assert set(listings.merchant_id) <= set(merchants.merchant_id)
    assert set(merchants.kind) == {"honest", "authorized_reseller", "grey_importer", "loud_counterfeiter",
                                   "quiet_counterfeiter", "reregistered"}
    assert set(merchants[merchants.closed_on != ""].merchant_id) == {
        k[0] for k, r in landing.latest("merchants").items() if r["status"] == "closed"}


def test_summary_reads_as_a_short_report(generated):
    _, summary, _ = generated
    text = str(summary)
    assert str(START) in text and str(END) in text
    assert all(table in text for table in TABLES)
    assert len(text.splitlines()) <= 12


def test_the_cli_generates_the_smallest_marketplace(tmp_path, capsys):
    from ipr_guard.cli import main

    assert main(["generate", "--out", str(tmp_path), "--stores", "10", "--days", "2", "--seed", "3"]) == 0
    assert "orders" in capsys.readouterr().out
    landing = Landing(tmp_path)
    assert all(landing.days[t] for t in ("orders", "listings", "merchants", "brands"))
    assert set(landing.days["orders"]) == {END - dt.timedelta(days=1), END}
