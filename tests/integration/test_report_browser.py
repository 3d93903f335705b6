"""The report page in a real headless Chromium (Debian's package, driven by Playwright)."""
from __future__ import annotations

import shutil

from ipr_guard.reports import render_report
from tests.browser import ARTIFACTS, open_report
from tests.fixtures import sample_report


def test_report_renders_in_chromium_without_errors(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(render_report(sample_report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    seen = open_report(report, shot)
    assert seen["errors"] == []
    assert seen["rows"] == 3 and seen["cards"] == 3
    assert seen["charts"] == 6 and seen["blank_charts"] == 0
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report_sample.png")
