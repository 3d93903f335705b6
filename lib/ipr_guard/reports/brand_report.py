"""A brand report as one self-contained HTML page: inline CSS, no script, no image, nothing loaded.

Rendered from the report's JSON content (`pipelines/brand_report.py` builds it), it shows the granted
columns only, in grant order, and states the SHA-256 of brand_report.json so that a reader can check that
the page and the file say the same thing.
"""
from __future__ import annotations

import html

from ipr_guard.reports.page import STYLE

LABELS = {
    "stores": "Infringing stores",
    "merchant_id": "Merchant id",
    "store_name": "Store name",
    "store_status": "Store status",
    "infringing_listings": "Infringing listings",
    "paid_orders": "Paid orders",
    "infringing_gmv": "Infringing GMV (CNY)",
    "takedowns": "Takedowns",
    "notices": "Notices",
    "notices_upheld": "Upheld",
    "notices_rejected": "Rejected",
    "notices_pending": "Pending",
    "median_response_hours": "Median response (hours)",
    "notices_within_24h": "Answered within 24 h",
    "test_buys": "Test buys",
    "test_buys_counterfeit": "Counterfeit",
    "test_buys_genuine": "Genuine",
    "first_evidence_on": "First evidence",
    "last_evidence_on": "Last evidence",
}
NUMERIC = {"stores", "infringing_listings", "paid_orders", "infringing_gmv", "takedowns", "notices", "notices_upheld",
           "notices_rejected", "notices_pending", "median_response_hours", "notices_within_24h", "test_buys",
           "test_buys_counterfeit", "test_buys_genuine"}


def cell(column: str, value) -> str:
    """A value as the page shows it: money with cents, empty for null, the rest as text."""
    if value is None:
        return ""
    if column == "infringing_gmv":
        return f"{float(value):,.2f}"
    return str(value)


def _td(column: str, value) -> str:
    cls = ' class="num"' if column in NUMERIC else ""
    return f"<td{cls}>{html.escape(cell(column, value))}</td>"


def render_html(d: dict, sha256: str) -> str:
    """The brand report page.

    Sections (ids): summary (period, brand, totals), stores (`table#stores-table`, or `p#stores-table`
    saying there is none), provenance; the hash of brand_report.json is in `code#sha256`.
    """
    columns = d["columns"]
    title = f"Brand report: {d['brand_name']} ({d['brand_id']}), {d['period_start']} to {d['period_end']}"
    summary = [("Rights holder", d.get("rights_holder") or ""),
               ("Period", f"{d['period_start']} to {d['period_end']} (calendar days in {d['timezone']})")]
    summary += [(LABELS.get(k, k), cell(k, v)) for k, v in sorted(
        d["totals"].items(), key=lambda kv: (kv[0] != "stores", columns.index(kv[0]) if kv[0] in columns else 0))]
    pairs = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary)
    if d["stores"]:
        head = "".join(f"<th>{html.escape(LABELS.get(c, c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(_td(c, s.get(c)) for c in columns) + "</tr>" for s in d["stores"])
        stores = f'<table id="stores-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    else:
        stores = (f'<p class="muted" id="stores-table">No infringing store of {html.escape(d["brand_name"])} in '
                  "this period: its listings had activity, but no store had an infringing listing of the brand "
                  "with a sale or a piece of evidence in the period.</p>")
    versions = "".join(f"<tr><td>{html.escape(ref)}</td><td>{html.escape('absent' if v is None else str(v))}</td></tr>"
                       for ref, v in sorted(d["provenance"]["tables"].items()))
    runs = "".join(f"<tr><td>{html.escape(r['run_date'])}</td><td>{html.escape(r['run_id'])}</td></tr>"
                   for r in d["provenance"]["runs"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>The stores that sold, or were found with, infringing listings of this brand in the period, from the
platform's tables as recorded below. No personal data: no names of people, contacts, identity documents,
bank accounts, buyers, reporters or reviewers.</p>
<h2 id="summary">Summary</h2>
<table id="summary-table"><tbody>{pairs}</tbody></table>
<h2 id="stores">Infringing stores</h2>
{stores}
<h2 id="provenance">Provenance</h2>
<p>SHA-256 of brand_report.json: <code id="sha256">{html.escape(sha256)}</code></p>
<table id="versions-table"><thead><tr><th>table</th><th>Delta version read</th></tr></thead>
<tbody>{versions}</tbody></table>
<table id="runs-table"><thead><tr><th>run date</th><th>published run</th></tr></thead><tbody>{runs}</tbody></table>
</body></html>
"""
