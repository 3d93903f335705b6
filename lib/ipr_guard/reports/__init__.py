"""The reviewers' files: the candidate CSV and a self-contained HTML report with embedded charts."""
from ipr_guard.reports.page import ReportData, render_report
from ipr_guard.reports.review_csv import CSV_COLUMNS, REVIEW_COLUMNS, candidates_csv

__all__ = ["CSV_COLUMNS", "REVIEW_COLUMNS", "ReportData", "candidates_csv", "render_report"]
