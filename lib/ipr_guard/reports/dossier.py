"""A store's evidence dossier as a self-contained HTML page and as a PDF with a fixed page layout.

Both are rendered from the dossier's JSON content (`pipelines/dossier.py` builds it) and state the SHA-256
of dossier.json, so that a reader can check that the page and the file say the same thing. Neither holds
anything the JSON does not: no personal data.

PDF layout (A4 portrait): page 1 summary, store profile and provenance (with the SHA-256); page 2 the GMV
charts; then the infringing listings with their evidence, the timeline, the candidate history and the
published runs read, each as a text table starting on a new page and continued on as many pages as it
needs. Every page's footer names the store, the period, the hash and "page i of n".
"""
from __future__ import annotations

import contextlib
import html
import io
import textwrap
import unicodedata
import warnings
from dataclasses import dataclass

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ipr_guard import charts
from ipr_guard.reports.page import STYLE

A4 = (8.27, 11.69)
STATUS_ORDER = ("paid", "refunded", "cancelled")

LINES_PER_PAGE = 48
# Table columns are laid out in characters of the monospaced font; the page is this many wide.
PAGE_CHARS = 118
TOP, LINE, LEFT = 0.93, 0.0165, 0.05
MONO, FONT_SIZE = "DejaVu Sans Mono", 7.5


@contextlib.contextmanager
def _quiet():
    """Silences matplotlib's missing-glyph warnings (Chinese text without a CJK font: drawn as boxes)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        yield


def gmv_frames(dossier: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The small frames the GMV charts take: (month, infringing_gmv) and (brand label, infringing_gmv)."""
    months = pd.DataFrame(dossier["infringing_gmv_by_month"], columns=["month", "paid_orders", "infringing_gmv"])
    brands = pd.DataFrame([{"brand": brand_label(b), "infringing_gmv": b["infringing_gmv"]}
                           for b in dossier["infringing_gmv_by_brand"]], columns=["brand", "infringing_gmv"])
    return months, brands


def brand_label(brand: dict) -> str:
    """`name (id)`, the id alone without a name, "no brand" for a listing matched to none."""
    if brand.get("brand_id") is None:
        return "no brand"
    return f"{brand['brand_name']} ({brand['brand_id']})" if brand.get("brand_name") else str(brand["brand_id"])


def figures(dossier: dict) -> dict[str, Figure]:
    """The dossier's charts: `gmv_by_month`, `gmv_by_brand` (for the page) and `gmv_page` (the PDF's page 2)."""
    months, brands = gmv_frames(dossier)
    title = f"Infringing GMV of {dossier['merchant_id']}, {dossier['period_start']} to {dossier['period_end']}"
    return {"gmv_by_month": charts.gmv_by_month_figure(months), "gmv_by_brand": charts.gmv_by_brand_figure(brands),
            "gmv_page": charts.gmv_page_figure(months, brands, title, A4)}


def _money(value) -> str:
    return f"{float(value or 0):,.2f}"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def summary_lines(d: dict) -> list[tuple[str, str]]:
    """The summary as (label, value) pairs, the same on the page and in the PDF."""
    statuses = d["orders_on_infringing_listings"]
    network = d.get("network")
    return [
        ("Period", f"{d['period_start']} to {d['period_end']} (calendar days in {d['timezone']})"),
        ("Infringing GMV", f"{_money(d['infringing_gmv'])} CNY"),
        ("Paid orders on infringing listings", str(d["paid_orders_on_infringing_listings"])),
        ("Infringing listings", str(d["infringing_listings"]["count"])),
        ("Orders on infringing listings by status", ", ".join(
            f"{s} {statuses[s]['orders']} ({_money(statuses[s]['amount'])} CNY)"
            for s in sorted(statuses, key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else 9, s)))),
        ("Store network", f"{d['network_id']} ({network['network_size']} stores, {network['closed_members']} closed; "
                          f"as of {network['run_date']})" if network else "none"),
        ("Linked stores", ", ".join(m["merchant_id"] for m in d["linked_merchants"]) or "none"),
        ("Closure-candidate flags", str(len(d["candidate_history"]))),
        ("Activity in the period", ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in
                                             sorted(d["activity_in_period"].items()))),
    ]


PROFILE_LABELS = (("merchant_id", "Merchant id"), ("store_name", "Store name"), ("country", "Country"),
                  ("business_type", "Business type"), ("verification_level", "Verification level"),
                  ("registered_at", "Registered at (UTC)"), ("registered_on", "Registered on"), ("status", "Status"))


def provenance_lines(d: dict, sha256: str) -> list[tuple[str, str]]:
    """Provenance as (label, value) pairs: the hash, every table version read and the runs used."""
    p = d["provenance"]
    runs = p["runs"]
    lines = [("dossier.json SHA-256", sha256)]
    lines += [(ref, _text(v) if v is not None else "absent") for ref, v in sorted(p["tables"].items())]
    lines.append(("Published runs read", f"{len(runs)}" + (f", {runs[0]['run_date']} ({runs[0]['run_id']}) to "
                                                           f"{runs[-1]['run_date']} ({runs[-1]['run_id']})"
                                                           if runs else "")))
    return lines


# ---------------------------------------------------------------- HTML

def _table(element_id: str, header: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted" id="{element_id}">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{element_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _pairs(element_id: str, pairs: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in pairs)
    return f'<table id="{element_id}"><tbody>{rows}</tbody></table>'


def _e(value) -> str:
    return html.escape(_text(value))


def _listing_rows(d: dict) -> list[list[str]]:
    rows = []
    for item in d["infringing_listings"]["listings"]:
        evidence = "<ul>" + "".join(f"<li>{_e(e['kind'])} {_e(e['evidence_id'])} on {_e(e['on'])}: {_e(e['detail'])}"
                                    "</li>" for e in item["evidence"]) + "</ul>"
        rows.append([_e(item["listing_id"]), _e(item["brand_id"]), _e(item["title"]), _e(item["paid_orders"]),
                     _money(item["infringing_gmv"]), evidence])
    return rows


def render_html(d: dict, sha256: str) -> str:
    """The dossier page: one self-contained HTML file (inline CSS, charts as PNG data URIs, no script).

    Sections (ids): summary, profile, timeline, listings, gmv (charts and tables), linked, history,
    provenance; the hash of dossier.json is in `code#sha256`.
    """
    p = d["profile"]
    with _quiet():
        figs = figures(d)
        month_chart = charts.data_uri(figs["gmv_by_month"])
        brand_chart = charts.data_uri(figs["gmv_by_brand"])
    timeline = [[_e(e["seq"]), _e(e["on"]), _e(e["at"]), _e(e["kind"]), _e(e["event_id"]), _e(e["listing_id"]),
                 _e(e["detail"])] for e in d["timeline"]]
    months = [[_e(m["month"]), _e(m["paid_orders"]), _money(m["infringing_gmv"])] for m in d["infringing_gmv_by_month"]]
    brands = [[_e(brand_label(b)), _e(b["paid_orders"]), _money(b["infringing_gmv"])]
              for b in d["infringing_gmv_by_brand"]]
    linked = [[_e(m["merchant_id"]), _e(m["store_name"]), _e(m["status"]), _e(m["link_kinds"])]
              for m in d["linked_merchants"]]
    history = [[_e(h["run_date"]), _e(h["run_id"]), _e(h["rank"]), _e(h["risk_score"]), _e(h["recommended_action"]),
                "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in h["reasons"] or []) + "</ul>"]
               for h in d["candidate_history"]]
    runs = [[_e(r["run_date"]), _e(r["run_id"]), _e(r["closure_candidates_version"])] for r in d["provenance"]["runs"]]
    versions = [[_e(ref), _e(v) if v is not None else "absent"] for ref, v in sorted(d["provenance"]["tables"].items())]
    title = f"Evidence dossier: {p['store_name']} ({d['merchant_id']}), {d['period_start']} to {d['period_end']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Infringing listings, sales and events of one store, from the platform's tables as recorded below.
No personal data: no names, contacts, identity documents, bank accounts, buyers, reporters or reviewers.</p>
<h2 id="summary">Summary</h2>
{_pairs("summary-table", summary_lines(d))}
<h2 id="profile">Store profile</h2>
{_pairs("profile-table", [(label, _text(p.get(key))) for key, label in PROFILE_LABELS])}
<h2 id="timeline">Timeline</h2>
{_table("timeline-table", ["#", "day", "at (UTC)", "kind", "id", "listing", "detail"], timeline, "No events.")}
<h2 id="listings">Infringing listings and their evidence</h2>
{_table("listings-table", ["listing", "brand", "title", "paid orders", "infringing GMV (CNY)", "evidence"],
        _listing_rows(d), "No infringing listing.")}
<h2 id="gmv">Infringing GMV per month and per brand</h2>
<img class="chart" alt="infringing GMV per month" src="{month_chart}">
{_table("months-table", ["month", "paid orders", "infringing GMV (CNY)"], months, "No month.")}
<img class="chart" alt="infringing GMV per brand" src="{brand_chart}">
{_table("brands-table", ["brand", "paid orders", "infringing GMV (CNY)"], brands, "No infringing sale.")}
<h2 id="linked">Linked stores</h2>
<p>Network: {html.escape(d["network_id"] or "none")}. Stores linked by shared identity values (the kinds of
value only, never the values).</p>
{_table("linked-table", ["merchant", "store", "status", "shares"], linked, "No linked store.")}
<h2 id="history">Closure-candidate history</h2>
{_table("history-table", ["run date", "run", "rank", "risk score", "action", "reasons"], history,
        "Never on a published closure-candidate list.")}
<h2 id="provenance">Provenance</h2>
<p>SHA-256 of dossier.json: <code id="sha256">{html.escape(sha256)}</code></p>
{_table("versions-table", ["table", "Delta version(s) read"], versions, "No table read.")}
{_table("runs-table", ["run date", "published run", "closure_candidates version"], runs, "No run.")}
</body></html>
"""


# ---------------------------------------------------------------- PDF

def display_width(text: str) -> int:
    """Columns `text` takes in the monospaced layout (wide characters count as two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, width: int) -> str:
    """`text` cut to `width` columns, with an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    out = ""
    for c in text:
        if display_width(out + c) > width - 1:
            break
        out += c
    return out + "…"


@dataclass(frozen=True)
class TextTable:
    """A section printed as a table: column headers and widths (characters); the last column wraps."""

    title: str
    header: tuple[str, ...]
    widths: tuple[int, ...]
    rows: list[tuple]
    empty: str

    def lines(self) -> list[list[tuple]]:
        """Each row as its printed lines (tuples of cells); the last cell may be a list of items."""
        out = []
        for row in self.rows:
            *cells, last = row
            items = last if isinstance(last, list) else [last]
            wrapped = [w for item in items for w in (textwrap.wrap(_text(item), self.widths[-1]) or [""])] or [""]
            out.append([tuple(_text(c) for c in cells) + (wrapped[0],)]
                       + [("",) * len(cells) + (w,) for w in wrapped[1:]])
        return out

    def pages(self, per_page: int = LINES_PER_PAGE) -> list[list[tuple]]:
        """Lines per page: a row is not split unless it is longer than a page; at least one page."""
        pages, page = [], []
        for row in self.lines():
            if page and len(page) + len(row) > per_page:
                pages.append(page)
                page = []
            for line in row:
                if len(page) == per_page:
                    pages.append(page)
                    page = []
                page.append(line)
        return pages + [page] if page or not pages else pages


def sections(d: dict) -> list[TextTable]:
    """The PDF's table sections after the charts page, in order."""
    listing_rows = []
    for item in d["infringing_listings"]["listings"]:
        evidence = [f"{e['kind']} {e['evidence_id']} on {e['on']}: {e['detail']}" for e in item["evidence"]]
        listing_rows.append((item["listing_id"], item["brand_id"], item["title"], item["paid_orders"],
                             _money(item["infringing_gmv"]), evidence))
    return [
        TextTable("Infringing listings and their evidence",
                  ("listing", "brand", "title", "paid", "GMV (CNY)", "evidence"),
                  (12, 8, 28, 5, 12, 47), listing_rows, "No infringing listing."),
        TextTable("Timeline", ("#", "day", "at (UTC)", "kind", "id", "listing", "detail"),
                  (5, 11, 21, 16, 14, 12, 39),
                  [(e["seq"], e["on"], e["at"], e["kind"], e["event_id"], e["listing_id"], e["detail"])
                   for e in d["timeline"]], "No events."),
        TextTable("Closure-candidate history", ("run date", "run", "rank", "risk", "action", "reasons"),
                  (11, 30, 5, 7, 8, 57),
                  [(h["run_date"], h["run_id"], h["rank"], h["risk_score"], h["recommended_action"],
                    list(h["reasons"] or [])) for h in d["candidate_history"]],
                  "Never on a published closure-candidate list."),
        TextTable("Published runs read", ("run date", "published run", "closure_candidates version"),
                  (11, 40, 67), [(r["run_date"], r["run_id"], r["closure_candidates_version"])
                                 for r in d["provenance"]["runs"]], "No run."),
    ]


def page_count(d: dict) -> int:
    """How many pages `render_pdf` writes for `d`: summary, charts, then each section's pages."""
    return 2 + sum(len(s.pages()) for s in sections(d))


def _put(fig: Figure, x: float, y: float, text: str, **kw) -> None:
    # Titles and names are shown as written: a "$" in them must not start matplotlib's math mode.
    fig.text(x, y, text, parse_math=False, **kw)


def _page(title: str) -> Figure:
    fig = Figure(figsize=A4)
    _put(fig, LEFT, 0.965, title, fontsize=13, fontweight="bold", fontfamily=charts.text_families())
    return fig


def _footer(fig: Figure, d: dict, sha256: str, number: int, total: int) -> None:
    _put(fig, LEFT, 0.025, f"{d['merchant_id']}  {d['period_start']} to {d['period_end']}  dossier.json SHA-256 "
                          f"{sha256[:16]}...  page {number} of {total}", fontsize=7, color=charts.GREY,
             fontfamily=MONO)


def _pairs_block(fig: Figure, y: float, heading: str, pairs: list[tuple[str, str]]) -> float:
    _put(fig, LEFT, y, heading, fontsize=10.5, fontweight="bold")
    y -= LINE * 1.4
    for label, value in pairs:
        _put(fig, LEFT, y, label, fontsize=8.5)
        _put(fig, LEFT + 0.33, y, clip(value, 90), fontsize=8.5, fontfamily=charts.text_families())
        y -= LINE
    return y - LINE


def _summary_page(d: dict, sha256: str) -> Figure:
    p = d["profile"]
    fig = _page(clip(f"Evidence dossier: {p['store_name']} ({d['merchant_id']})", 70))
    y = _pairs_block(fig, TOP, "Summary", summary_lines(d))
    profile = [(label, _text(p.get(k))) for k, label in PROFILE_LABELS]
    y = _pairs_block(fig, y, "Store profile (no personal data)", profile)
    _pairs_block(fig, y, "Provenance", provenance_lines(d, sha256))
    return fig


def _table_page(table: TextTable, lines: list[tuple], continued: bool) -> Figure:
    fig = _page(table.title + (" (continued)" if continued else ""))
    xs, x = [], 0
    for w in table.widths:
        xs.append(LEFT + 0.9 * x / PAGE_CHARS)
        x += w + 1
    families = charts.text_families(MONO)

    def line(y: float, cells: tuple, **kw) -> None:
        for cx, w, c in zip(xs, table.widths, cells):
            _put(fig, cx, y, clip(c, w), fontsize=FONT_SIZE, fontfamily=families, **kw)

    line(TOP, table.header, fontweight="bold")
    if not lines:
        _put(fig, LEFT, TOP - LINE * 1.5, table.empty, fontsize=FONT_SIZE, color=charts.GREY)
    for i, cells in enumerate(lines, start=1):
        line(TOP - LINE * (i + 0.5), cells)
    return fig


def render_pdf(d: dict, sha256: str, figs: dict[str, Figure]) -> bytes:
    """The dossier as PDF bytes, in the fixed layout of the module docstring.

    Args:
        d: the dossier's JSON content.
        sha256: the hash of dossier.json.
        figs: `figures(d)` (its `gmv_page` is page 2).
    """
    pages = [_summary_page(d, sha256), figs["gmv_page"]]
    for table in sections(d):
        pages += [_table_page(table, lines, i > 0) for i, lines in enumerate(table.pages())]
    buf = io.BytesIO()
    # No creation date: the same dossier gives the same bytes.
    metadata = {"CreationDate": None, "Title": f"Evidence dossier {d['merchant_id']}"}
    with _quiet(), PdfPages(buf, metadata=metadata) as pdf:
        for number, fig in enumerate(pages, start=1):
            _footer(fig, d, sha256, number, len(pages))
            pdf.savefig(fig)
    return buf.getvalue()
