"""`ipr-guard brand-report` on a small hand-built lakehouse (the dossier test's, with two more stores and a
brand): figures by hand, only the granted columns, the hash, a self-contained page, no personal data, the
access log, and one clear line for each bad request."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog, cli
from ipr_guard.io import delta
from ipr_guard.pipelines.ingest import INGEST_LOG_SCHEMA
from tests.integration.test_dossier import PERSONAL, SILVER, _listing, _order, _runs
from tests.unit.builders import silver_df

D31 = dt.date(2026, 10, 31)
OCTOBER = ["--start", "2026-10-01", "--end", "2026-10-31"]
GRANTED = ["merchant_id", "store_name", "store_status", "infringing_listings", "paid_orders", "infringing_gmv",
           "takedowns", "notices", "notices_upheld", "notices_rejected", "notices_pending", "median_response_hours",
           "notices_within_24h", "test_buys", "test_buys_counterfeit", "test_buys_genuine", "first_evidence_on",
           "last_evidence_on"]


def _notice(cid, lid, merchant, outcome, submitted, processed, ctype="counterfeit"):
    return {"complaint_id": cid, "source": "rights_holder", "complaint_type": ctype, "listing_id": lid,
            "merchant_id": merchant, "reporter_id": f"reporter-pseudonym-{cid}", "submitted_at": submitted,
            "processed_at": processed, "outcome": outcome, "updated_at": submitted}


# The dossier's silver, and: M2 sells B1 on L4, which an upheld notice found infringing (30 hours to answer);
# brand B3's only listing, M3's L6, had a notice that was rejected (activity, but no infringing store).
TABLES = {
    **SILVER,
    "brands": SILVER["brands"] + [{"brand_id": "B3", "brand_name": "Puma", "rights_holder": "Puma SE",
                                   "updated_at": "2026-01-01T00:00:00Z"}],
    "listings": SILVER["listings"] + [_listing("L4", "B1", merchant="M2"), _listing("L6", "B3", merchant="M3")],
    "orders": SILVER["orders"] + [{**_order("O7", "L4", "2026-10-21T02:00:00Z", amount=12.5), "merchant_id": "M2"}],
    "complaints": SILVER["complaints"] + [
        _notice("C2", "L4", "M2", "upheld", "2026-10-20T00:00:00Z", "2026-10-21T06:00:00Z", ctype="trademark"),
        _notice("C3", "L6", "M3", "rejected", "2026-10-15T00:00:00Z", "2026-10-15T05:00:00Z")],
}


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("brand_report") / "lake")
    for name in ("merchants", "brands", "listings", "orders", "complaints", "takedowns", "test_buys"):
        delta.create(silver_df(spark, name, TABLES[name]), catalog.table_path(root, f"silver/{name}"))
    delta.create(_runs(spark, [("run-1", D31, {})]), catalog.table_path(root, "meta/runs"))
    delta.create(spark.createDataFrame([("orders", dt.date(2026, 10, 1), "f", 1, 1, 1, 0, 0, "run-1", D31)],
                                       INGEST_LOG_SCHEMA), catalog.table_path(root, "meta/ingest_log"))
    return root


def _main(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["brand-report", *args])
    return code, out.getvalue()


def _access_log(spark, lake: str) -> list[dict]:
    return [r.asDict() for r in delta.read(spark, catalog.table_path(lake, "meta/share_access_log"))
            .where(F.col("table") == "brand_report").collect()]


@pytest.fixture(scope="module")
def written(lake):
    code, printed = _main(["--brand", "B1", *OCTOBER, "--lakehouse", lake])
    assert code == 0
    return Path(catalog.brand_report_path(lake, "B1_2026-10-01_2026-10-31")), printed


def test_the_figures_are_those_computed_by_hand(written):
    folder, printed = written
    assert sorted(p.name for p in folder.iterdir()) == ["brand_report.html", "brand_report.json"]
    d = json.loads((folder / "brand_report.json").read_text(encoding="utf-8"))
    assert (d["brand_id"], d["brand_name"], d["rights_holder"], d["period_start"], d["period_end"], d["timezone"]) \
        == ("B1", "Nike", None, "2026-10-01", "2026-10-31", "Asia/Shanghai")
    assert d["columns"] == GRANTED
    assert d["stores"] == [
        # O1 (O2 refunded, O5 on 1 November in Shanghai, O6 on L3, whose test buy was genuine); T1; TB2.
        {"merchant_id": "M1", "store_name": "耐克高仿店", "store_status": "active", "infringing_listings": 1,
         "paid_orders": 1, "infringing_gmv": 100.0, "takedowns": 1, "notices": 0, "notices_upheld": 0,
         "notices_rejected": 0, "notices_pending": 0, "median_response_hours": None, "notices_within_24h": 0,
         "test_buys": 1, "test_buys_counterfeit": 0, "test_buys_genuine": 1, "first_evidence_on": "2026-10-10",
         "last_evidence_on": "2026-10-10"},
        # O7; C2 answered in 30 hours, on 21 October (14:00 in Shanghai).
        {"merchant_id": "M2", "store_name": "Shop Two", "store_status": "closed", "infringing_listings": 1,
         "paid_orders": 1, "infringing_gmv": 12.5, "takedowns": 0, "notices": 1, "notices_upheld": 1,
         "notices_rejected": 0, "notices_pending": 0, "median_response_hours": 30.0, "notices_within_24h": 0,
         "test_buys": 0, "test_buys_counterfeit": 0, "test_buys_genuine": 0, "first_evidence_on": "2026-10-21",
         "last_evidence_on": "2026-10-21"}]
    assert d["totals"] == {"stores": 2, "infringing_listings": 2, "paid_orders": 2, "infringing_gmv": 112.5,
                           "takedowns": 1, "notices": 1, "notices_upheld": 1, "notices_rejected": 0,
                           "notices_pending": 0, "median_response_hours": 30.0, "notices_within_24h": 0,
                           "test_buys": 1, "test_buys_counterfeit": 0, "test_buys_genuine": 1,
                           "first_evidence_on": "2026-10-10", "last_evidence_on": "2026-10-21"}
    assert d["provenance"] == {
        "tables": {"meta/ingest_log": 0, "meta/runs": 0,
                   **{f"silver/{n}": 0 for n in ("brands", "complaints", "listings", "merchants", "orders",
                                                 "takedowns", "test_buys")}},
        "runs": [{"run_date": "2026-10-31", "run_id": "run-1"}]}
    assert "2 infringing stores, infringing GMV 112.50 CNY from 2 paid orders" in printed


def test_the_hash_is_printed_and_in_the_page_and_the_page_loads_nothing(written):
    folder, printed = written
    data = (folder / "brand_report.json").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert data.decode("utf-8") == json.dumps(json.loads(data), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert f"written to {folder}: brand_report.json (sha256 {sha})" in printed
    page = (folder / "brand_report.html").read_text(encoding="utf-8")
    assert re.search(r'<code id="sha256">([0-9a-f]{64})</code>', page).group(1) == sha
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert not re.search(r'(src|href)="', page)
    header = re.search(r'<table id="stores-table"><thead><tr>(.*?)</tr>', page).group(1)
    assert re.findall(r"<th>(.*?)</th>", header)[:3] == ["Merchant id", "Store name", "Store status"]
    assert page.count("<tr><td") == 2 + 9 + 1   # two stores, nine table versions, one run


def test_no_personal_data_in_either_file(written):
    folder, _ = written
    for name in ("brand_report.json", "brand_report.html"):
        text = (folder / name).read_text(encoding="utf-8")
        assert [p for p in PERSONAL if p in text] == [], name
    keys = re.findall(r'"([a-z_0-9]+)":', (folder / "brand_report.json").read_text(encoding="utf-8"))
    assert not set(keys) & {"legal_name", "contact_email", "contact_phone", "id_document_number", "bank_account",
                            "buyer_id", "reporter_id", "reviewer", "note"}


def test_the_access_is_logged_once_with_the_granted_columns(spark, lake, written):
    _, printed = written
    run_id = re.search(r"access (brand-report-[0-9a-f]{8}) logged", printed).group(1)
    rows = [r for r in _access_log(spark, lake) if r["run_id"] == run_id]
    assert [(r["affiliate"], r["columns"], r["granted"]) for r in rows] == [("rights_holder:B1", GRANTED, True)]


def test_a_narrower_grant_shows_only_its_columns_in_its_order(lake):
    code, _ = _main(["--brand", "B2", *OCTOBER, "--lakehouse", lake,
                     "--set", "sharing.rights_holders.brand_report=[infringing_gmv, merchant_id]"])
    assert code == 0
    d = json.loads((Path(catalog.brand_report_path(lake, "B2_2026-10-01_2026-10-31")) / "brand_report.json")
                   .read_text(encoding="utf-8"))
    # O4 at 23:00 on 31 October in Shanghai; O3 was cancelled.
    assert (d["columns"], d["stores"], d["totals"]) == (
        ["infringing_gmv", "merchant_id"], [{"infringing_gmv": 45.5, "merchant_id": "M1"}],
        {"stores": 1, "infringing_gmv": 45.5})


def test_a_period_with_activity_but_no_infringing_store_is_a_report_saying_so(lake):
    code, printed = _main(["--brand", "B3", *OCTOBER, "--lakehouse", lake])
    assert code == 0 and "0 infringing stores" in printed
    folder = Path(catalog.brand_report_path(lake, "B3_2026-10-01_2026-10-31"))
    d = json.loads((folder / "brand_report.json").read_text(encoding="utf-8"))
    assert (d["rights_holder"], d["stores"], d["totals"]["stores"]) == ("Puma SE", [], 0)
    assert "No infringing store of Puma in this period" in (folder / "brand_report.html").read_text(encoding="utf-8")


def test_without_a_grant_the_request_is_refused_in_one_line_and_logged(spark, lake, capsys):
    code = cli.main(["brand-report", "--brand", "B1", *OCTOBER, "--lakehouse", lake,
                     "--set", "sharing.rights_holders=null"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ipr-guard:")]
    assert code == 5 and err == ["ipr-guard: error: rights holders are granted no brand report column "
                                 "(sharing.rights_holders.brand_report in conf): no brand report for B1"]
    refused = [r for r in _access_log(spark, lake) if not r["granted"]]
    assert [(r["affiliate"], r["columns"]) for r in refused] == [("rights_holder:B1", [])]
    assert refused[0]["run_id"].startswith("brand-report-")


@pytest.mark.parametrize("args, message", [
    (["--brand", "B404", *OCTOBER], "unknown brand B404: not in silver/brands of {lake}"),
    (["--brand", "B1", "--start", "2026-11-10", "--end", "2026-11-20"],
     "nothing recorded for brand B1 between 2026-11-10 and 2026-11-20"),
    (["--brand", "B1", "--start", "2026-09-01", "--end", "2026-10-31"],
     "the period starts on 2026-09-01, before the first delivery day (2026-10-01) of {lake}"),
    (["--brand", "B1", "--start", "2026-10-31", "--end", "2026-10-01"], "--end 2026-10-01 is before --start"),
])
def test_a_bad_request_is_one_clear_line_and_writes_nothing(lake, capsys, args, message):
    reports = Path(catalog.reports_path(lake, "brands"))
    before = sorted(reports.glob("*"))
    code = cli.main(["brand-report", *args, "--lakehouse", lake])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ipr-guard:")]
    assert code != 0 and len(err) == 1 and err[0].startswith("ipr-guard: error: " + message.format(lake=lake)), err
    assert sorted(reports.glob("*")) == before
