"""`ipr-guard dossier` on a small hand-built lakehouse: figures by hand, the hash, a self-contained page, a
PDF that renders page by page, no personal data, and one clear line for each bad request."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ipr_guard import catalog, cli
from ipr_guard.io import delta
from ipr_guard.pipelines.nightly import RUNS_SCHEMA
from ipr_guard.pipelines.review import DECISIONS_SCHEMA
from ipr_guard.pipelines.ingest import INGEST_LOG_SCHEMA
from tests.unit.builders import silver_df, ts

D30, D31 = dt.date(2026, 10, 30), dt.date(2026, 10, 31)
PERIOD = ["--start", "2026-10-01", "--end", "2026-10-31"]
# Stand-ins for the pseudonyms silver holds in personal columns; none may appear in a dossier file.
PERSONAL = ("legal-M", "email-M", "phone-M", "iddoc-M", "bank-M", "buyer-pseudonym", "reporter-pseudonym",
            "reviewer-pseudonym", "note naming a person")


def _merchant(mid, name, status="active"):
    return {"merchant_id": mid, "store_name": name, "legal_name": f"legal-{mid}", "contact_email": f"email-{mid}",
            "contact_phone": f"phone-{mid}", "id_document_number": f"iddoc-{mid}", "bank_account": f"bank-{mid}",
            "registered_at": "2026-03-01T02:00:00Z", "country": "CN", "business_type": "enterprise",
            "verification_level": 2, "deposit_amount": 5000.0, "status": status, "updated_at": "2026-10-01T00:00:00Z"}


def _listing(lid, brand, merchant="M1"):
    return {"listing_id": lid, "merchant_id": merchant, "title": f"{lid} sneakers", "brand_id": brand,
            "category": "shoes", "price": 99.0, "created_at": "2026-09-20T00:00:00Z",
            "updated_at": "2026-09-20T00:00:00Z"}


def _order(oid, lid, created, status="paid", amount=10.0):
    return {"order_id": oid, "listing_id": lid, "merchant_id": "M1", "buyer_id": f"buyer-pseudonym-{oid}",
            "quantity": 1, "amount": amount, "created_at": created, "status": status, "updated_at": created}


SILVER = {
    "merchants": [_merchant("M1", "耐克高仿店"), _merchant("M2", "Shop Two", status="closed"),
                  _merchant("M3", "Quiet")],
    "brands": [{"brand_id": "B1", "brand_name": "Nike", "updated_at": "2026-01-01T00:00:00Z"},
               {"brand_id": "B2", "brand_name": "Adidas", "updated_at": "2026-01-01T00:00:00Z"}],
    "listings": [_listing("L1", "B1"), _listing("L2", "B2"), _listing("L3", "B1")],
    "orders": [
        _order("O1", "L1", "2026-10-05T02:00:00Z", amount=100.0),
        _order("O2", "L1", "2026-10-06T02:00:00Z", status="refunded", amount=50.0),
        _order("O3", "L2", "2026-10-07T02:00:00Z", status="cancelled", amount=30.0),
        _order("O4", "L2", "2026-10-31T15:00:00Z", amount=45.5),    # 23:00 on 31 October in Shanghai: in
        _order("O5", "L1", "2026-10-31T17:30:00Z", amount=30.0),    # 01:30 on 1 November there: out
        _order("O6", "L3", "2026-10-08T02:00:00Z", amount=999.0),   # L3's test buy was genuine: not infringing
    ],
    "takedowns": [{"takedown_id": "T1", "listing_id": "L1", "merchant_id": "M1", "origin": "proactive",
                   "reason": "counterfeit", "taken_down_at": "2026-10-10T02:00:00Z"}],
    "test_buys": [
        {"test_buy_id": "TB1", "listing_id": "L2", "merchant_id": "M1", "brand_id": "B2",
         "purchased_at": "2026-10-01T02:00:00Z", "verdict": "counterfeit", "verdict_at": "2026-10-03T02:00:00Z"},
        {"test_buy_id": "TB2", "listing_id": "L3", "merchant_id": "M1", "brand_id": "B1",
         "purchased_at": "2026-10-01T02:00:00Z", "verdict": "genuine", "verdict_at": "2026-10-04T02:00:00Z"}],
    "complaints": [{"complaint_id": "C1", "source": "rights_holder", "complaint_type": "counterfeit", "brand_id": "B2",
                    "listing_id": "L2", "merchant_id": "M1", "reporter_id": "reporter-pseudonym-1",
                    "submitted_at": "2026-10-02T02:00:00Z", "processed_at": "2026-10-02T08:00:00Z",
                    "outcome": "upheld", "updated_at": "2026-10-02T08:00:00Z"}],
    "enforcement_actions": [{"action_id": "A1", "merchant_id": "M1", "action": "warning", "reason": "counterfeit",
                             "decided_at": "2026-10-12T02:00:00Z", "reversed": False,
                             "updated_at": "2026-10-12T02:00:00Z"}],
}
CANDIDATES = ("run_date date, merchant_id string, store_name string, risk_score double, rank int, "
              "recommended_action string, reasons array<string>")


def _runs(spark, rows):
    t = dt.datetime(2026, 11, 1)
    return spark.createDataFrame([(rid, d, "published", t, t + dt.timedelta(minutes=i), None, "{}", json.dumps(v))
                                  for i, (rid, d, v) in enumerate(rows)], RUNS_SCHEMA)


def _build(spark, root: str) -> None:
    path = lambda ref: catalog.table_path(root, ref)  # noqa: E731
    for name, rows in SILVER.items():
        delta.create(silver_df(spark, name, rows), path(f"silver/{name}"))
    gold = path("gold/closure_candidates")
    delta.create(spark.createDataFrame([(D30, "M1", "耐克高仿店", 0.81, 2, "suspend", ["1 upheld notice"]),
                                        (D30, "M9", "x", 0.9, 1, "close", ["y"])], CANDIDATES), gold)        # v0
    delta.append(_runs(spark, [("run-1", D30, {"closure_candidates": 0})]), path("meta/runs"))
    # A later whole overwrite changes D30's rows; its run recorded v0, so the dossier must say rank 2.
    delta.create(spark.createDataFrame([(D30, "M1", "耐克高仿店", 0.5, 7, "review", ["changed"]),
                                        (D31, "M1", "耐克高仿店", 0.95, 1, "close", ["counterfeit test buy"])],
                                       CANDIDATES), gold)                                                     # v1
    delta.create(spark.createDataFrame([
        (D30, "M1", "N-20261020-M1", 2, 1, D30, ["bank_account"]), (D30, "M2", "N-20261020-M1", 2, 1, D30,
                                                                    ["bank_account"]),
        (dt.date(2026, 11, 5), "M1", "N-later", 2, 0, D30, ["contact_phone"]),
        (dt.date(2026, 11, 5), "M3", "N-later", 2, 0, D30, ["contact_phone"])],
        "run_date date, merchant_id string, network_id string, network_size bigint, closed_members bigint, "
        "first_seen date, link_kinds array<string>"), path("gold/store_networks"))
    delta.append(_runs(spark, [("run-2", D31, {"closure_candidates": 1, "store_networks": 0})]), path("meta/runs"))
    delta.create(spark.createDataFrame([
        ("orders", dt.date(2026, 10, 1), "f", 1, 1, 1, 0, 0, "run-1", D30),
        ("orders", dt.date(2026, 10, 31), "f", 1, 1, 1, 0, 0, "run-2", D31),
        ("orders", dt.date(2026, 9, 1), "f", 1, 1, 1, 0, 0, "run-killed", D30)],   # no marker: does not count
        INGEST_LOG_SCHEMA), path("meta/ingest_log"))
    decision = [(D30, "M1", "confirm", "reviewer-pseudonym-7", "note naming a person", "imp-1",
                 ts("2026-10-30T12:00:00Z"), "sha", 0, 1, 0, 0, 0, 0, ["notices"])]
    delta.create(spark.createDataFrame(decision, DECISIONS_SCHEMA), path("meta/review_decisions"))


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("dossier") / "lake")
    _build(spark, root)
    return root


@pytest.fixture(scope="module")
def written(lake):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["dossier", "--merchant", "M1", *PERIOD, "--lakehouse", lake])
    assert code == 0
    folder = Path(catalog.dossier_path(lake, "M1_2026-10-01_2026-10-31"))
    return folder, out.getvalue()


def test_the_figures_are_those_computed_by_hand(written):
    folder, printed = written
    assert sorted(p.name for p in folder.iterdir()) == ["dossier.html", "dossier.json", "dossier.pdf"]
    d = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    # GMV: O1 (100.0) + O4 (45.5); O2 refunded, O3 cancelled, O5 on 1 November in Shanghai, O6 not infringing.
    assert (d["infringing_gmv"], d["paid_orders_on_infringing_listings"]) == (145.5, 2)
    assert d["orders_on_infringing_listings"] == {"paid": {"orders": 2, "amount": 145.5},
                                                  "refunded": {"orders": 1, "amount": 50.0},
                                                  "cancelled": {"orders": 1, "amount": 30.0}}
    assert d["infringing_gmv_by_month"] == [{"month": "2026-10", "paid_orders": 2, "infringing_gmv": 145.5}]
    assert d["infringing_gmv_by_brand"] == [
        {"brand_id": "B1", "brand_name": "Nike", "paid_orders": 1, "infringing_gmv": 100.0},
        {"brand_id": "B2", "brand_name": "Adidas", "paid_orders": 1, "infringing_gmv": 45.5}]
    listings = d["infringing_listings"]
    assert listings["count"] == 2 and [x["listing_id"] for x in listings["listings"]] == ["L1", "L2"]
    assert [(e["kind"], e["evidence_id"], e["on"]) for e in listings["listings"][1]["evidence"]] == [
        ("notice", "C1", "2026-10-02"), ("test_buy", "TB1", "2026-10-03")]
    assert listings["listings"][1]["evidence_kinds"] == ["notice", "test_buy"]
    # Candidate history as each run published it: D30 from v0 (rank 2), not the later overwrite's rank 7.
    assert [(h["run_date"], h["run_id"], h["rank"], h["risk_score"]) for h in d["candidate_history"]] == [
        ("2026-10-30", "run-1", 2, 0.81), ("2026-10-31", "run-2", 1, 0.95)]
    # The network of the latest run date on or before the period's end (not 5 November's).
    assert d["network_id"] == "N-20261020-M1"
    assert d["linked_merchants"] == [{"merchant_id": "M2", "store_name": "Shop Two", "status": "closed",
                                      "link_kinds": ["bank_account"]}]
    assert [e["kind"] for e in d["timeline"]] == ["registration", "notice", "test_buy", "test_buy", "takedown",
                                                  "enforcement", "review_decision"]
    assert d["profile"] == {"merchant_id": "M1", "store_name": "耐克高仿店", "country": "CN",
                            "business_type": "enterprise", "verification_level": 2,
                            "registered_at": "2026-03-01T02:00:00Z", "registered_on": "2026-03-01", "status": "active"}
    assert d["provenance"]["tables"] == {
        "gold/closure_candidates": [0, 1], "gold/store_networks": 0, "meta/ingest_log": 0, "meta/review_decisions": 0,
        "meta/runs": 1, **{f"silver/{name}": 0 for name in SILVER}}
    assert d["provenance"]["runs"] == [
        {"run_date": "2026-10-30", "run_id": "run-1", "closure_candidates_version": 0},
        {"run_date": "2026-10-31", "run_id": "run-2", "closure_candidates_version": 1}]
    assert "infringing GMV 145.50 CNY from 2 paid orders on 2 infringing listings" in printed


def test_the_hash_in_the_page_is_the_files_and_the_page_loads_nothing(written):
    folder, printed = written
    data = (folder / "dossier.json").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    # Sorted keys: the file is its own canonical form.
    assert data.decode("utf-8") == json.dumps(json.loads(data), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    page = (folder / "dossier.html").read_text(encoding="utf-8")
    assert re.search(r'<code id="sha256">([0-9a-f]{64})</code>', page).group(1) == sha
    assert f"sha256 {sha}" in printed
    assert "http://" not in page and "https://" not in page
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    assert page.count('src="data:image/png;base64,') == 2


def test_the_pdf_has_its_fixed_pages_and_every_page_renders(written, tmp_path):
    folder, _ = written
    pdf = folder / "dossier.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    # Summary, GMV charts, then one page each: listings, timeline, candidate history, runs read.
    assert re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1) == "6"
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 6
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"))
        assert (pixels < 200).mean() > 0.002, page.name   # ink on the page, not a blank sheet
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert hashlib.sha256((folder / "dossier.json").read_bytes()).hexdigest() in text


def test_no_personal_data_in_any_file(written):
    folder, _ = written
    pdf_text = subprocess.run(["pdftotext", str(folder / "dossier.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
    for text in ((folder / "dossier.json").read_text(encoding="utf-8"),
                 (folder / "dossier.html").read_text(encoding="utf-8"), pdf_text):
        assert [p for p in PERSONAL if p in text] == []
    keys = re.findall(r'"([a-z_]+)":', (folder / "dossier.json").read_text(encoding="utf-8"))
    assert not set(keys) & {"legal_name", "contact_email", "contact_phone", "id_document_number", "bank_account",
                            "buyer_id", "reporter_id", "reviewer", "note"}


@pytest.mark.parametrize("args, message", [
    (["--merchant", "M404", *PERIOD], "unknown store M404: not in silver/merchants of {lake}"),
    (["--merchant", "M3", *PERIOD], "nothing recorded for store M3 between 2026-10-01 and 2026-10-31"),
    (["--merchant", "M1", "--start", "2026-09-01", "--end", "2026-10-31"],
     "the period starts on 2026-09-01, before the first delivery day (2026-10-01) of {lake}"),
    (["--merchant", "M1", "--start", "2026-10-31", "--end", "2026-10-01"], "--end 2026-10-01 is before --start"),
])
def test_a_bad_request_is_one_clear_line(lake, capsys, args, message):
    code = cli.main(["dossier", *args, "--lakehouse", lake])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ipr-guard:")]
    assert code != 0 and len(err) == 1 and err[0].startswith("ipr-guard: error: " + message.format(lake=lake)), err


def test_a_lakehouse_without_a_published_run_is_one_clear_line(spark, tmp_path, capsys):
    empty = str(tmp_path / "lake")
    delta.create(silver_df(spark, "merchants", SILVER["merchants"][:1]), catalog.table_path(empty, "silver/merchants"))
    assert cli.main(["dossier", "--merchant", "M1", *PERIOD, "--lakehouse", empty]) != 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ipr-guard:")]
    assert err == [f"ipr-guard: error: no published run in {empty}: run the nightly first"]
