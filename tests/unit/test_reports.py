"""The reviewers' files from small hand-built frames: the CSV round trip and the report page's structure."""
from __future__ import annotations

import csv
import io
import re

import pandas as pd

from ipr_guard.reports import CSV_COLUMNS, candidates_csv, render_report
from ipr_guard.charts import pr_points
from tests.fixtures import sample_candidates, sample_report




def test_csv_starts_with_bom_and_round_trips_chinese_names():
    data = candidates_csv(sample_candidates())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["merchant_id"] for r in rows] == ["m-aaa", "m-bbb", "m-ccc"]
    assert [r["store_name"] for r in rows] == ["耐克高仿专卖店", "Shop, \"Quoted\"", "小店"]
    first = rows[0]
    assert first["reasons"] == "counterfeit test buy on 2026-10-20 | 3 upheld notices"
    assert (first["rank"], first["risk_score"], first["model_score"], first["run_date"]) == ("1", "0.9500", "0.9100",
                                                                                           "2026-10-31")
    assert (first["counterfeit_test_buys"], first["upheld_notices_30d"], first["low_price_listings"]) == ("1", "3", "4")
    assert (first["model_name"], first["model_version"]) == ("ipr_guard_counterfeit_seller", "3")
    # No model score and no reasons: empty cells, not "nan"; the review columns are left to reviewers.
    assert rows[2]["model_score"] == "" and rows[2]["reasons"] == ""
    assert all(r["decision"] == r["reviewer"] == r["note"] == "" for r in rows)


def test_csv_of_an_empty_list_is_the_header_alone():
    data = candidates_csv(pd.DataFrame(columns=["rank", "merchant_id"]))
    assert data.decode("utf-8-sig").splitlines() == [",".join(CSV_COLUMNS)]


def test_pr_points_from_counts_per_score():
    counts = pd.DataFrame({"score": [0.1, 0.9, 0.5], "positives": [0, 2, 1], "negatives": [5, 0, 1]})
    precision, recall = pr_points(counts)
    # Thresholds 0.9, 0.5, 0.1: (tp, fp) = (2, 0), (3, 1), (3, 6) of 3 positives.
    assert list(recall) == [0.0, 2 / 3, 1.0, 1.0]
    assert list(precision) == [1.0, 1.0, 0.75, 3 / 9]


def test_report_page_has_summary_table_cards_and_embedded_charts():
    page = render_report(sample_report())
    body = page.split('<table id="candidates">', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr>") == 4  # header + 3 candidates
    for mid in ("m-aaa", "m-bbb", "m-ccc"):
        assert f'<section class="evidence-card" id="card-{mid}">' in page
    changes = re.sub(r"\s+", "", page.split('<table id="changes">', 1)[1].split("</table>", 1)[0])
    assert "<td>new</td><tdclass=num>2</td>" in changes and "<td>stilllisted</td><tdclass=num>1</td>" in changes
    assert "<td>dropped</td><tdclass=num>1</td>" in changes and "Dropped: m-old" in page
    assert "耐克高仿专卖店" in page and "Shop, &quot;Quoted&quot;" in page
    charts = re.findall(r'<img class="chart" alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+">', page)
    assert len(charts) == 6  # PR curve, score distribution, drift, three KPI charts
    assert "Drift flagged on 1 of 2" in page and "score" in page
    assert "13 expectations on 2 tables; 0 critical failures; 1 warnings" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_report_without_model_drift_or_history_says_so():
    d = sample_report()
    d.validation, d.score_bins, d.drift, d.quality = (pd.DataFrame(),) * 4
    d.previous_date, d.previous_ids, d.model = None, frozenset(), None
    page = render_report(d)
    assert "No model yet" in page and "No drift measured" in page and "every candidate is new" in page
    assert "No data-quality results recorded" in page and page.count('class="chart"') == 6
