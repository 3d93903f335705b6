"""The reviewers' report: one self-contained HTML page (inline CSS, charts as data URIs, no script, no network)."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from ipr_guard import charts
from ipr_guard.reports.review_csv import EVIDENCE_COLUMNS, cell

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#eee;text-align:left}td.num{text-align:right}ul{margin:0;padding-left:1.2em}
.evidence-card{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;margin:1em 0}
.evidence-card h3{margin:.2em 0}.muted{color:#777}.flag{color:#b03a2e;font-weight:bold}
img.chart{display:block;max-width:100%;margin:.5em 0}"""


def _frame() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass
class ReportData:
    """What the report shows for one run date; every frame is small (aggregated before it left Spark).

    Attributes:
        run_date: D.
        candidates: gold closure_candidates rows of D in rank order.
        kpis: gold enforcement_kpis rows of the KPI window, by kpi_date.
        run_id: the run publishing the report.
        previous_date: the latest earlier run date in gold closure_candidates (None: first list).
        previous_ids: the merchant ids listed on `previous_date`.
        validation: the champion's validation predictions per score: score, positives, negatives.
        score_bins: group, bin, stores (validation by label and tonight's open stores).
        drift: feature, psi, threshold, flagged for this run (empty: not measured).
        quality: per suite: table, expectations, passed, critical_failed, warnings_failed.
        quality_failures: one sentence per failed expectation.
        model: "name vN" of the champion that scored D (None: policy rules only).
        model_status: one sentence: the model that scored D and its validation figures, or "policy rules
            only" and why (`model.status.describe`); empty when unknown.
        threshold: the operating threshold to mark on the model charts.
        targets: KPI target shares by KPI column name.
    """

    run_date: dt.date
    candidates: pd.DataFrame
    kpis: pd.DataFrame
    run_id: str = ""
    previous_date: dt.date | None = None
    previous_ids: frozenset[str] = frozenset()
    validation: pd.DataFrame = field(default_factory=_frame)
    score_bins: pd.DataFrame = field(default_factory=_frame)
    drift: pd.DataFrame = field(default_factory=_frame)
    quality: pd.DataFrame = field(default_factory=_frame)
    quality_failures: list[str] = field(default_factory=list)
    model: str | None = None
    model_status: str = ""
    threshold: float | None = None
    targets: dict[str, float] = field(default_factory=dict)


def _e(value) -> str:
    return html.escape(cell(value))


def _img(fig, alt: str) -> str:
    return f'<img class="chart" alt="{html.escape(alt)}" src="{charts.data_uri(fig)}">'


def _items(values) -> str:
    values = [] if values is None else list(values)
    return "<ul>" + "".join(f"<li>{html.escape(str(v))}</li>" for v in values) + "</ul>" if values else \
        '<span class="muted">none</span>'


def _scored_by(d: ReportData, anchor: str = "") -> str:
    # Said in the summary and again above the model charts: a rules-only list must never look scored.
    text = d.model_status or d.model or "policy rules only"
    attr = f' id="{anchor}"' if anchor else ""
    return f"<p{attr}>Scored by: {html.escape(text)}.</p>"


def _summary(d: ReportData) -> str:
    ids = set(d.candidates["merchant_id"]) if not d.candidates.empty else set()
    by_action = d.candidates["recommended_action"].value_counts() if not d.candidates.empty else pd.Series(dtype=int)
    actions = "".join(f"<tr><td>{html.escape(str(a))}</td><td class=num>{n}</td></tr>"
                      for a, n in sorted(by_action.items()))
    out = [f"<p>{len(ids)} candidates for {d.run_date} (run {html.escape(d.run_id or 'unknown')}).</p>",
           _scored_by(d, "scored-by"),
           f'<table id="by-action"><thead><tr><th>action</th><th>stores</th></tr></thead><tbody>{actions}</tbody></table>']
    if d.previous_date is None:
        out.append("<p>No earlier published list: every candidate is new.</p>")
    else:
        prev = set(d.previous_ids)
        dropped = sorted(prev - ids)
        out.append(f'<table id="changes"><thead><tr><th>compared with {d.previous_date}</th><th>stores</th></tr></thead>'
                   f"<tbody><tr><td>new</td><td class=num>{len(ids - prev)}</td></tr>"
                   f"<tr><td>still listed</td><td class=num>{len(ids & prev)}</td></tr>"
                   f"<tr><td>dropped</td><td class=num>{len(dropped)}</td></tr></tbody></table>")
        if dropped:
            out.append("<p>Dropped: " + ", ".join(html.escape(m) for m in dropped) + "</p>")
    return "\n".join(out)


def _candidate_table(d: ReportData) -> str:
    prev = set(d.previous_ids)
    rows = []
    for r in d.candidates.to_dict("records"):
        mid = str(r["merchant_id"])
        since = "new" if d.previous_date is None or mid not in prev else f"listed {d.previous_date}"
        rows.append(f'<tr><td class=num>{_e(r["rank"])}</td><td><a href="#card-{html.escape(mid)}">{html.escape(mid)}'
                    f'</a></td><td>{_e(r.get("store_name"))}</td><td class=num>{_e(r.get("risk_score"))}</td>'
                    f'<td>{_e(r.get("recommended_action"))}</td><td class=num>{_e(r.get("model_score"))}</td>'
                    f"<td>{since}</td><td>{_items(r.get('reasons'))}</td></tr>")
    return ('<table id="candidates"><thead><tr><th>rank</th><th>merchant</th><th>store</th><th>risk score</th>'
            "<th>action</th><th>model score</th><th>since</th><th>reasons</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _evidence_cards(d: ReportData) -> str:
    cards = []
    for r in d.candidates.to_dict("records"):
        mid = html.escape(str(r["merchant_id"]))
        counts = "".join(f"<tr><td>{c.replace('_', ' ')}</td><td class=num>{_e(r.get(c))}</td></tr>"
                         for c in EVIDENCE_COLUMNS if c in r)
        version = f"{cell(r.get('model_name'))} v{cell(r.get('model_version'))}" if cell(r.get("model_name")) \
            else "none (policy rules only)"
        cards.append(
            f'<section class="evidence-card" id="card-{mid}"><h3>#{_e(r["rank"])} {_e(r.get("store_name"))} '
            f'<span class="muted">{mid}</span></h3>'
            f"<p>Recommended: <b>{_e(r.get('recommended_action'))}</b>; risk score {_e(r.get('risk_score'))}; "
            f"model score {_e(r.get('model_score')) or 'n/a'}; model {html.escape(version)}.</p>"
            f"<p>Reasons:</p>{_items(r.get('reasons'))}<p>Rules fired:</p>{_items(r.get('rules_fired'))}"
            f"<table><thead><tr><th>evidence</th><th>count</th></tr></thead><tbody>{counts}</tbody></table></section>")
    return "\n".join(cards) or '<p class="muted">No candidates.</p>'


def _model_quality(d: ReportData) -> str:
    out = [_scored_by(d)]
    if d.validation.empty:
        out.append("<p>No model yet: no validation predictions of a registered champion.</p>")
    out.append(_img(charts.pr_curve_figure(d.validation, d.threshold), "precision-recall curve"))
    out.append(_img(charts.score_distribution_figure(d.score_bins, d.threshold), "score distribution"))
    if d.drift.empty:
        out.append("<p>No drift measured for this run.</p>")
    else:
        flagged = d.drift[d.drift["flagged"].astype(bool)]
        line = (f'<p class="flag">Drift flagged on {len(flagged)} of {len(d.drift)} measures: '
                + ", ".join(html.escape(str(f)) for f in flagged["feature"]) + "</p>") if len(flagged) else \
            f"<p>No drift past its threshold on {len(d.drift)} measures.</p>"
        rows = "".join(f"<tr><td>{_e(r['feature'])}</td><td class=num>{_e(float(r['psi']))}</td>"
                       f"<td class=num>{_e(r['threshold'])}</td><td>{'yes' if r['flagged'] else 'no'}</td></tr>"
                       for r in d.drift.to_dict("records"))
        out += [line, '<table id="drift"><thead><tr><th>feature</th><th>PSI</th><th>threshold</th><th>flagged</th>'
                f"</tr></thead><tbody>{rows}</tbody></table>"]
    out.append(_img(charts.drift_figure(d.drift), "drift against training"))
    return "\n".join(out)


def _quality(d: ReportData) -> str:
    if d.quality.empty:
        return '<p class="muted">No data-quality results recorded for this run.</p>'
    rows = "".join(f"<tr><td>{_e(r['table'])}</td>" + "".join(
        f"<td class=num>{int(r[c])}</td>" for c in ("expectations", "passed", "critical_failed", "warnings_failed"))
        + "</tr>" for r in d.quality.to_dict("records"))
    total = int(d.quality["expectations"].sum())
    failed = int(d.quality["critical_failed"].sum())
    head = f"<p>{total} expectations on {len(d.quality)} tables; {failed} critical failures; " \
           f"{int(d.quality['warnings_failed'].sum())} warnings. Details: data_docs/index.html beside this file.</p>"
    table = ('<table id="quality"><thead><tr><th>table</th><th>expectations</th><th>passed</th>'
             f"<th>critical failed</th><th>warnings</th></tr></thead><tbody>{rows}</tbody></table>")
    return head + table + ("<p>Failed:</p>" + _items(d.quality_failures) if d.quality_failures else "")


def _kpis(d: ReportData) -> str:
    k = d.kpis
    n = len(k)
    shares = (("proactive_before_first_sale_share", "Share of proactive takedowns before the first sale"),
              ("notice_processed_within_24h_share", "Share of rights-holder notices processed within 24 h"))
    span = f" from {k['kpi_date'].iloc[0]} to {k['kpi_date'].iloc[-1]}" if n else ""
    out = [f"<p>{n} days{span}.</p>",
           _img(charts.stores_closed_figure(k), "stores closed per day")]
    for column, title in shares:
        out.append(_img(charts.share_figure(k, column, title, d.targets.get(column)), title))
    return "\n".join(out)


def render_report(data: ReportData) -> str:
    """The report page for one run date, as HTML text.

    Sections: summary (by action; new, still listed, dropped), candidate table (`table#candidates`), one
    evidence card per candidate (`section.evidence-card#card-<merchant_id>`), model quality, data quality
    and the KPI charts; every chart is an `img.chart` with an embedded PNG.
    """
    d = data
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>IPR Guard report {d.run_date}</title>
<style>{STYLE}</style></head>
<body><h1>IPR Guard: store-closure candidates for {d.run_date}</h1>
<h2 id="summary">Summary</h2>
{_summary(d)}
<h2>Candidates</h2>
<p>Decide in closure_candidates.csv beside this page: fill in decision (confirm, reject or
needs_more_evidence), reviewer and note, and send the file back.</p>
{_candidate_table(d)}
<h2 id="evidence">Evidence</h2>
{_evidence_cards(d)}
<h2 id="model-quality">Model quality</h2>
{_model_quality(d)}
<h2 id="data-quality">Data quality</h2>
{_quality(d)}
<h2 id="kpis">Enforcement KPIs</h2>
{_kpis(d)}
</body></html>
"""
