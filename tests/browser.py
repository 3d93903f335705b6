"""A real headless Chromium (Debian's package, driven by Playwright) opening the project's pages offline.

Shared by the report's browser test and the demo's test: each opens its pages here and checks what it saw.
"""
from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


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


# No network for the browser: every request that is not a file goes to a closed local port and is
# aborted by the route below, and is recorded as an error either way.
OFFLINE_ARGS = ["--no-sandbox", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

INDEX_JS = """() => {
    const table = document.querySelector('table.ge-index-page-validation-results-table');
    const info = (document.querySelector('.pagination-info') || {textContent: ''}).textContent.trim();
    // Every row on one page (GX's table shows 10 a page), as a reader switching pagination off sees it;
    // without its scripts the table stays empty.
    if (window.jQuery && table) jQuery(table).bootstrapTable('togglePagination');
    const rows = table ? [...table.querySelectorAll(':scope > tbody > tr')] : [];
    return {info, suites: rows.map(r => r.querySelector('td:last-child').textContent.trim()),
            icons_drawn: [...document.fonts].some(f => f.family.includes('Font Awesome 6 Free') && f.status === 'loaded')};
}"""

VALIDATION_JS = """() => {
    const tables = [...document.querySelectorAll('table')].filter(t =>
        [...t.querySelectorAll(':scope > thead th')].some(th => th.textContent.trim() === 'Expectation'));
    const cell = [...document.querySelectorAll('td')].find(td => td.textContent.trim() === 'Evaluated Expectations');
    return {expectations: tables.reduce((n, t) => n + t.querySelectorAll(':scope > tbody > tr').length, 0),
            evaluated: cell ? Number(cell.nextElementSibling.textContent.trim()) : null,
            suite: (document.querySelector('.ge-breadcrumbs-item.active') || {textContent: ''}).textContent.trim()};
}"""


def open_data_docs(index: Path, validation_page: Path, screenshots: Path) -> dict:
    """Opens a run's Data Docs index and one validation page in headless Chromium without network.

    Returns:
        errors (console errors, page errors, failed loads, any non-file request), info (the index
        table's "Showing 1 to n of N rows"), suites (the Expectation Suite cell of every row of the
        validation results table), icons_drawn (Font Awesome's solid font loaded), expectations (rows
        of the validation page's expectation tables), evaluated (its "Evaluated Expectations" number)
        and suite (its breadcrumb); screenshots index.png and validation.png go to `screenshots`.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    errors: list[str] = []
    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=OFFLINE_ARGS)
        try:
            context = browser.new_context()
            context.route(lambda url: not url.startswith(LOCAL_SCHEMES),
                          lambda route: (errors.append(f"network: {route.request.url}"), route.abort()))
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}")
                    if r.url.startswith(LOCAL_SCHEMES) else None)
            page.goto(index.resolve().as_uri(), wait_until="load")
            page.evaluate("() => document.fonts.ready")
            seen = page.evaluate(INDEX_JS)
            page.screenshot(path=str(screenshots / "index.png"), full_page=True)
            page.goto(validation_page.resolve().as_uri(), wait_until="load")
            seen |= page.evaluate(VALIDATION_JS)
            page.screenshot(path=str(screenshots / "validation.png"), full_page=True)
        finally:
            browser.close()
    return {**seen, "errors": errors}
