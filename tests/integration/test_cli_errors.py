"""Bad input at the command line: one clear error line, a non-zero exit, published tables unchanged."""
from __future__ import annotations

import pytest

from ipr_guard import catalog
from ipr_guard.cli import main
from ipr_guard.io import delta
from tests.landing import build_landing
from tests.landing import order, write_day

GOLD = ("closure_candidates", "listing_risk", "enforcement_kpis")


def _run(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if "error" in line]
    return code, errors


def _versions(spark, lake):
    return {n: delta.version(spark, catalog.table_path(str(lake), f"gold/{n}")) for n in GOLD}


@pytest.fixture(scope="module")
def published(spark, tmp_path_factory):
    """A lakehouse with one published run, shared by the tests that must leave it unchanged."""
    root = tmp_path_factory.mktemp("published")
    build_landing(root / "landing")
    mp = pytest.MonkeyPatch()
    mp.setenv("IPR_GUARD_HMAC_KEY", "test-hmac-key-0123456789abcdef")
    assert main(["nightly", "--date", "2026-10-02", "--landing", str(root / "landing"),
                 "--lakehouse", str(root / "lake")]) == 0
    mp.undo()
    return root


def test_missing_landing(capsys, tmp_path, hmac_key, spark):
    code, errors = _run(capsys, "nightly", "--date", "2026-10-02", "--landing", str(tmp_path / "nope"),
                        "--lakehouse", str(tmp_path / "lake"))
    assert code == 2 and errors == [f"ipr-guard: error: landing folder {tmp_path / 'nope'} does not exist"]


def test_empty_landing(capsys, tmp_path, hmac_key, spark):
    (tmp_path / "landing").mkdir()
    code, errors = _run(capsys, "nightly", "--date", "2026-10-02", "--landing", str(tmp_path / "landing"),
                        "--lakehouse", str(tmp_path / "lake"))
    assert code == 3 and len(errors) == 1 and "holds no table folders" in errors[0]


def test_malformed_date(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["nightly", "--date", "2026-13-40", "--landing", str(tmp_path), "--lakehouse", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "not a date (YYYY-MM-DD): '2026-13-40'" in err[0]


def test_unwritable_lakehouse(capsys, tmp_path, hmac_key, spark):
    build_landing(tmp_path / "landing")
    (tmp_path / "a-file").write_text("x")
    code, errors = _run(capsys, "nightly", "--date", "2026-10-02", "--landing", str(tmp_path / "landing"),
                        "--lakehouse", str(tmp_path / "a-file" / "lake"))
    assert code == 2 and len(errors) == 1 and "cannot be written" in errors[0]


def test_unknown_table_folder_leaves_gold_unchanged(capsys, published, hmac_key, spark):
    before = _versions(spark, published / "lake")
    (published / "landing" / "oders" / "ingest_date=2026-10-03").mkdir(parents=True)
    try:
        code, errors = _run(capsys, "nightly", "--date", "2026-10-03", "--landing", str(published / "landing"),
                            "--lakehouse", str(published / "lake"))
    finally:
        (published / "landing" / "oders" / "ingest_date=2026-10-03").rmdir()
        (published / "landing" / "oders").rmdir()
    assert code == 3 and len(errors) == 1 and "oders" in errors[0]
    assert _versions(spark, published / "lake") == before


def test_missing_key_leaves_gold_unchanged(capsys, published, monkeypatch, spark):
    monkeypatch.delenv("IPR_GUARD_HMAC_KEY", raising=False)
    before = _versions(spark, published / "lake")
    code, errors = _run(capsys, "nightly", "--date", "2026-10-03", "--landing", str(published / "landing"),
                        "--lakehouse", str(published / "lake"))
    assert code == 2 and len(errors) == 1 and "no HMAC key" in errors[0]
    assert _versions(spark, published / "lake") == before


def test_broken_feed_stops_publish_and_quarantines(capsys, published, hmac_key, spark):
    before = _versions(spark, published / "lake")
    landing = published / "landing"
    good = [order(f"O{i}", "2026-10-03T10:00:00+08:00") for i in range(100, 140)]
    write_day(landing, "orders", "2026-10-03", good + ["{broken"] * 12)
    code, errors = _run(capsys, "nightly", "--date", "2026-10-03", "--landing", str(landing),
                        "--lakehouse", str(published / "lake"))
    assert code == 4 and len(errors) == 1
    assert "orders: 12 bad records of 52 rows read" in errors[0] and "bad_record_share" in errors[0]
    assert _versions(spark, published / "lake") == before
    q = delta.read(spark, catalog.table_path(str(published / "lake"), "quarantine/records"))
    assert q.where("table = 'orders' AND ingest_date = DATE'2026-10-03'").count() == 12


def test_a_second_run_on_a_locked_lakehouse_stops(capsys, published, hmac_key, spark):
    import json
    import os
    import socket
    lock = published / "lake" / "_lock"
    # A live holder (this very process) makes the second run stop; a dead one is taken over.
    lock.write_text(json.dumps({"run_id": "other-run", "host": socket.gethostname(), "pid": os.getpid()}))
    try:
        code, errors = _run(capsys, "nightly", "--date", "2026-10-02", "--landing", str(published / "landing"),
                            "--lakehouse", str(published / "lake"))
    finally:
        lock.unlink()
    assert code == 2 and len(errors) == 1 and "another run (other-run" in errors[0]
    lock.write_text(json.dumps({"run_id": "dead-run", "host": socket.gethostname(), "pid": 2 ** 22 + 12345}))
    code, _ = _run(capsys, "nightly", "--date", "2026-10-02", "--landing", str(published / "landing"),
                   "--lakehouse", str(published / "lake"))
    assert code == 0 and not lock.exists()
