"""The README's demo, as a user runs it: the real command line, then the contract's own checker on its output."""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard import cli
from ipr_guard.io import delta
from ipr_guard.pii import load_hmac_key
from ipr_guard.pipelines.demo import LAKEHOUSE_CONF, record_key_file
from ipr_guard.pipelines.quality_gate import REFERENCE_EXPECTATION
from ipr_guard.reports import CSV_COLUMNS
from tests.contract_check import check_outputs
from tests.browser import ARTIFACTS, open_data_docs, open_report
from tests.pii_scan import find_raw_values, raw_pii_values


def report_folders(lake: Path) -> list[Path]:
    """The per-run-date report folders, oldest first: not the `kpis` command's, nor dossiers or brand reports."""
    return sorted(p for p in (lake / "reports").iterdir() if p.is_dir() and _is_date(p.name))


def _is_date(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return True


def assert_reviewer_files(spark, lake: Path, stdout: str, tmp_path: Path) -> None:
    """The demo's reports/D: the CSV (BOM, header, a row per candidate) and the report in a real Chromium."""
    folder = report_folders(lake)[-1]
    day = dt.date.fromisoformat(folder.name)
    assert f"review list: {folder / 'closure_candidates.csv'}" in stdout and f"report:      {folder / 'report.html'}" in stdout
    published = delta.read(spark, catalog.table_path(str(lake), "gold/closure_candidates")).where(
        F.col("run_date") == F.lit(day)).select("merchant_id", "rank").toPandas().sort_values("rank")
    assert len(published) > 0
    data = (folder / "closure_candidates.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [r[1] for r in rows[1:]] == list(published["merchant_id"])
    seen = open_report(folder / "report.html", tmp_path / "demo_report.png")
    assert seen["errors"] == [] and seen["blank_charts"] == 0 and seen["charts"] >= 6
    assert seen["rows"] == seen["cards"] == len(published)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "demo_report.png", ARTIFACTS / "report_demo.png")


def assert_data_docs_work_offline(spark, lake: Path, day: dt.date, tmp_path: Path) -> None:
    """The night's Data Docs, copied elsewhere, in a Chromium without network: every suite and its expectations."""
    copy = tmp_path / "copied" / "data_docs"
    shutil.copytree(lake / "reports" / str(day) / "data_docs", copy)
    results = delta.read(spark, catalog.table_path(str(lake), "meta/quality_results")).where(
        (F.col("run_date") == F.lit(day)) & (F.col("expectation_type") != REFERENCE_EXPECTATION))
    suites = sorted(r["table"] for r in results.select("table").distinct().collect())
    assert len(suites) >= 10 and "silver.orders" in suites and "gold.closure_candidates" in suites
    orders = results.where(F.col("table") == "silver.orders").count()
    (page,) = (copy / "validations" / "silver" / "orders").rglob("*.html")
    seen = open_data_docs(copy / "index.html", page, tmp_path / "data_docs_shots")
    assert seen["errors"] == []
    assert seen["info"] == f"Showing 1 to {min(10, len(suites))} of {len(suites)} rows"
    assert sorted(seen["suites"]) == suites and seen["icons_drawn"]
    assert seen["suite"].startswith("Validations / silver.orders / ")
    assert seen["expectations"] == seen["evaluated"] == orders > 0
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("index", "validation"):
        shutil.copy(tmp_path / "data_docs_shots" / f"{name}.png", ARTIFACTS / f"data_docs_demo_{name}.png")


def assert_investigation_files(spark, lake: Path, stdout: str, before: dt.date, day: dt.date) -> None:
    """The networks job after each night, the last night's reasons naming the networks of the night before,
    the top candidate's dossier over the whole period and the brand report of its top brand."""
    assert f"store networks for {before} (full)" in stdout and f"store networks for {day} (incremental)" in stdout
    networks = delta.read(spark, catalog.table_path(str(lake), "gold/store_networks")).where(
        F.col("run_date") == F.lit(before)).select("merchant_id", "network_id", "network_size")
    candidates = delta.read(spark, catalog.table_path(str(lake), "gold/closure_candidates")).where(
        F.col("run_date") == F.lit(day)).select("merchant_id", "rank", "reasons")
    rows = candidates.join(networks, on="merchant_id", how="left").collect()
    networked = [r for r in rows if r["network_id"]]
    assert networked, "no candidate of the demo's last night is in a store network"
    for r in rows:
        named = [x for x in r["reasons"] if x.startswith("one of ")]
        if r["network_id"]:
            assert len(named) == 1 and named[0].startswith(f"one of {r['network_size']} stores sharing ") \
                and f" (network {r['network_id']}); " in named[0], (r["merchant_id"], r["reasons"])
        else:
            assert named == [], (r["merchant_id"], r["reasons"])
    top = min(rows, key=lambda r: r["rank"])["merchant_id"]
    first_day = delta.read(spark, catalog.table_path(str(lake), "meta/ingest_log")).agg(
        F.min("ingest_date")).first()[0]
    folder = lake / "reports" / "dossiers" / f"{top}_{first_day}_{day}"
    data = (folder / "dossier.json").read_bytes()
    content = json.loads(data)
    assert (content["merchant_id"], content["period_start"], content["period_end"]) == (
        top, str(first_day), str(day))
    sha256 = hashlib.sha256(data).hexdigest()
    assert f"written to {folder}: dossier.json (sha256 {sha256})" in stdout
    assert sha256 in (folder / "dossier.html").read_text(encoding="utf-8")
    assert (folder / "dossier.pdf").read_bytes().startswith(b"%PDF-")
    by_gmv = [b["brand_id"] for b in content["infringing_gmv_by_brand"] if b["brand_id"]]
    brand = (by_gmv or [x["brand_id"] for x in content["infringing_listings"]["listings"] if x["brand_id"]])[0]
    report = lake / "reports" / "brands" / f"{brand}_{first_day}_{day}"
    brand_content = json.loads((report / "brand_report.json").read_bytes())
    assert brand_content["brand_id"] == brand
    assert top in [store["merchant_id"] for store in brand_content["stores"]]
    assert f"brand report: {report}" in stdout


def run_next_commands(stdout: str, lake: Path, day: dt.date, published: int, env: dict) -> None:
    """Every command the demo prints as next, run as printed (after a reviewer filled in one row)."""
    head, _, tail = stdout.partition("\nnext commands (")
    assert tail, stdout[-2000:]
    commands = re.findall(r"^  (ipr-guard .+)$", tail, flags=re.MULTILINE)
    assert [c.split()[1] for c in commands] == ["review", "candidates", "kpis", "share"], commands
    review_csv = lake / "reports" / str(day) / "closure_candidates.csv"
    rows = list(csv.DictReader(io.StringIO(review_csv.read_text(encoding="utf-8-sig"))))
    rows[0] |= {"decision": "confirm", "reviewer": "demo reviewer", "note": "test buys match"}
    with review_csv.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    # As a user types them: `ipr-guard` from the virtualenv on PATH, no key in the environment.
    env = env | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                 "PYSPARK_SUBMIT_ARGS": "--driver-memory 2g pyspark-shell"}
    expected = {
        "review": [f"imported 1 decisions on the closure candidates of {day} (confirm 1, ",
                   f"skipped {published - 1} unreviewed rows"],
        "candidates": [f"candidates for {day} as published by run ", f"\n{published} candidates"],
        "kpis": ["\n7 days; charts in "],
        "share": ["view logistics__closure_candidates: columns run_date, merchant_id, recommended_action, risk_band"],
    }
    # The first as a user types it, in a shell of its own: the console script, and the key file found
    # through the lakehouse. The others in this process (the caller removed the key from the
    # environment here too): the same parser and code, without paying a JVM start-up each.
    first, *rest = commands
    proc = subprocess.run(shlex.split(first), capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, f"{first}\n{proc.stderr[-3000:]}"
    outputs = [(first, proc.stdout)]
    for command in rest:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = cli.main(shlex.split(command)[1:])
        assert code == 0, f"{command}\n{printed.getvalue()[-3000:]}"
        outputs.append((command, printed.getvalue()))
    for command, stdout in outputs:
        for text in expected[command.split()[1]]:
            assert text in stdout, f"{command}\n{stdout[-3000:]}"


def test_a_lakehouse_records_its_key_file_for_the_next_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("IPR_GUARD_HMAC_KEY", raising=False)
    key_file = tmp_path / "keys" / "demo.key"
    key_file.parent.mkdir()
    key_file.write_text("k" * 40 + "\n", encoding="utf-8")
    lake = tmp_path / "lakehouse"
    settings = record_key_file(lake, key_file)
    assert settings == lake / LAKEHOUSE_CONF and "k" * 16 not in settings.read_text(encoding="utf-8")
    args = cli.build_parser().parse_args(["candidates", "--date", "2026-10-31", "--lakehouse", str(lake)])
    cfg = cli._load(args)
    assert cfg.lakehouse == str(lake) and cfg.privacy.hmac_key_file == str(key_file)
    assert load_hmac_key(cfg.privacy) == b"k" * 40
    # --set still wins over what the lakehouse recorded; another lakehouse records nothing.
    args = cli.build_parser().parse_args(["review", "import", "f.csv", "--date", "2026-10-31", "--lakehouse",
                                          str(lake), "--set", "privacy.hmac_key_file=/elsewhere/k"])
    assert cli._load(args).privacy.hmac_key_file == "/elsewhere/k"
    args = cli.build_parser().parse_args(["kpis", "--start", "2026-10-01", "--end", "2026-10-31",
                                          "--lakehouse", str(tmp_path / "other")])
    assert cli._load(args).privacy.hmac_key_file is None


@pytest.mark.slow
def test_demo_publishes_outputs_that_pass_the_contract_check(tmp_path, spark, monkeypatch):
    out = tmp_path / "demo"
    # The demo trains on 400 stores: 3 GB rather than the tests' 2 GB (see conftest).
    env = {k: v for k, v in os.environ.items() if k != "IPR_GUARD_HMAC_KEY"} | {
        "PYSPARK_SUBMIT_ARGS": "--driver-memory 3g pyspark-shell"}
    proc = subprocess.run([sys.executable, "-m", "ipr_guard.cli", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=1500, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "published closure_candidates" in proc.stdout and "demo finished in" in proc.stdout
    # The schedule's order on a fresh lakehouse: a rules-only night, the train job registers v1 as
    # challenger, the promote job makes it champion, and it scores the last night.
    first, last = report_folders(lake := out / "lakehouse")
    before, day = dt.date.fromisoformat(first.name), dt.date.fromisoformat(last.name)
    assert day - before == dt.timedelta(days=1)
    nights = proc.stdout.split("\nrun ")
    assert len(nights) == 3 and "scored by: policy rules only: no champion registered yet" in nights[1]
    assert f"training for {before} (requested): model ipr_guard_counterfeit_seller v1 is challenger; the gate " \
           "passes: promote it" in proc.stdout, proc.stdout[-3000:]
    assert "promotion: model ipr_guard_counterfeit_seller v1 is champion: no champion yet" in proc.stdout
    assert f" for {day}: published" in nights[2] and "scored by: ipr_guard_counterfeit_seller v1" in nights[2]
    code, output = check_outputs(str(lake))
    assert code == 0 and "0 finding(s)" in output, output
    assert (lake / "reports").is_dir() and any((lake / "reports").glob("*/data_docs/index.html"))
    assert_reviewer_files(spark, lake, proc.stdout, tmp_path)
    # No raw personal data anywhere the run wrote, nor in what it printed; the scan covers quarantined
    # records too (the demo's landing has bad ones) and looks for something real.
    assert delta.read(spark, catalog.table_path(str(lake), "quarantine/records")).count() > 0
    values = raw_pii_values(out / "landing")
    assert len(values) > 200
    # Everything the demo wrote besides its input (landing) and the generator's answer key (truth): the
    # lakehouse with its MLflow store, reports and logs, and any file it put beside them.
    written = [p for p in out.iterdir() if p.name not in ("landing", "truth")]
    assert lake in written
    assert [hit for p in written for hit in (find_raw_values(p, values) if p.is_dir() else [])] == []
    printed = proc.stdout + proc.stderr
    assert not [v for v in values if v in printed]
    key_file = Path("~/.config/ipr-guard/demo-hmac.key").expanduser()
    key = key_file.read_text().strip()
    assert key not in printed and find_raw_values(lake, {key}) == []
    # The lakehouse names its key file (the path, not the key) for the commands the demo prints next.
    assert f"hmac_key_file: {key_file}" in (lake / "ipr-guard.yml").read_text(encoding="utf-8")
    assert_data_docs_work_offline(spark, lake, day, tmp_path)
    assert_investigation_files(spark, lake, proc.stdout, before, day)
    published = delta.read(spark, catalog.table_path(str(lake), "gold/closure_candidates")).where(
        F.col("run_date") == F.lit(day)).count()
    monkeypatch.delenv("IPR_GUARD_HMAC_KEY", raising=False)
    run_next_commands(proc.stdout, lake, day, published, env)
