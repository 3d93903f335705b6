"""The report page in a real headless Chromium (Debian's package, driven by Playwright)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ipr_guard.reports import render_report
from tests.unit.test_reports import sample_report

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def open_report(path: Path, screenshot: Path) -> dict:
    """Opens `path` in headless Chromium and reports what a reader would see.

    Returns:
        errors (console errors and page errors), rows (of #candidates tbody), cards, charts (img.chart
        count) and blank_charts (those with naturalWidth 0); a full-page screenshot is saved to `screenshot`.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            # Any request leaving the file would be a broken promise of a self-contained page.
            page.on("request", lambda r: errors.append(f"network: {r.url}") if not r.url.startswith(("file:", "data:"))
                    else None)
            page.goto(path.resolve().as_uri(), wait_until="load")
            seen = page.evaluate("""() => ({
                rows: document.querySelectorAll('#candidates tbody tr').length,
                cards: document.querySelectorAll('section.evidence-card').length,
                charts: document.querySelectorAll('img.chart').length,
                blank_charts: [...document.querySelectorAll('img.chart')].filter(
                    i => !i.complete || i.naturalWidth === 0).length})""")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**seen, "errors": errors}


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
