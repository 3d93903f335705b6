"""The reviewers' files: the candidate CSV and a self-contained HTML report (charts embedded)."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io

import pandas as pd
from matplotlib.figure import Figure

CSV_COLUMNS = ["run_date", "rank", "merchant_id", "store_name", "risk_score", "recommended_action", "reasons",
               "counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores", "rules_fired",
               "model_name", "model_version"]


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return " | ".join(str(v) for v in list(value))
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def candidates_csv(candidates: pd.DataFrame) -> bytes:
    """The day's candidates as CSV in UTF-8 with a byte-order mark (spreadsheets then keep Chinese intact)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    cols = [c for c in CSV_COLUMNS if c in candidates.columns]
    writer.writerow(cols)
    for row in candidates[cols].itertuples(index=False):
        writer.writerow([_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def kpi_figure(kpis: pd.DataFrame) -> Figure:
    """Stores closed per day and the two shares over the KPI window."""
    fig = Figure(figsize=(10, 5.5))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if not kpis.empty:
        days = pd.to_datetime(kpis["kpi_date"])
        ax1.bar(days, kpis["stores_closed"], color="#b03a2e")
        ax2.plot(days, kpis["proactive_before_first_sale_share"], label="proactive takedowns before first sale")
        ax2.plot(days, kpis["notice_processed_within_24h_share"], label="notices processed within 24 h")
        ax2.legend(loc="lower left", fontsize=8)
    ax1.set_ylabel("stores closed")
    ax2.set_ylabel("share")
    ax2.set_ylim(0, 1.05)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> str:
    """A figure as a base64 PNG data URI (the report needs no network and no side files)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render_report(run_date: dt.date, candidates: pd.DataFrame, kpis: pd.DataFrame) -> str:
    """One self-contained HTML page: summary, candidate table, KPI charts."""
    by_action = candidates["recommended_action"].value_counts().to_dict() if not candidates.empty else {}
    rows = []
    for r in candidates.itertuples(index=False):
        reasons = "".join(f"<li>{html.escape(str(x))}</li>" for x in list(r.reasons))
        rows.append(f"<tr><td>{r.rank}</td><td>{html.escape(r.merchant_id)}</td>"
                    f"<td>{html.escape(str(r.store_name or ''))}</td><td>{r.risk_score:.3f}</td>"
                    f"<td>{html.escape(r.recommended_action)}</td><td><ul>{reasons}</ul></td></tr>")
    last = kpis.iloc[-1].to_dict() if not kpis.empty else {}
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(by_action.items())) or "none"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>IPR Guard report {run_date}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}} th{{background:#eee}}</style></head>
<body><h1>IPR Guard — store-closure candidates for {run_date}</h1>
<h2>Summary</h2><p>{len(candidates)} candidates ({html.escape(summary)}).</p>
<p>On {run_date}: stores closed {last.get('stores_closed', 0)}, proactive takedowns
{last.get('proactive_takedowns', 0)}, rights-holder notices {last.get('notice_requests', 0)}.</p>
<h2>Candidates</h2>
<table id="candidates"><thead><tr><th>rank</th><th>merchant</th><th>store</th><th>score</th><th>action</th>
<th>reasons</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<h2>Enforcement KPIs, last {len(kpis)} days</h2>
<img class="chart" alt="KPI chart" src="{figure_png(kpi_figure(kpis))}">
</body></html>
"""
