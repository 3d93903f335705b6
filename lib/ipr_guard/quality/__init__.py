"""Data-quality gate: expectation suites (JSON, GX 1.x), validation of Spark frames, Data Docs.

Typical use in a pipeline::

    suites = load_suites(default_folder())
    report = validate_frames({"silver.orders": orders, ...}, suites, run_id)
    build_data_docs(report, f"{reports}/{run_date}/data_docs")
    if not report.passed:
        raise GateError(report.message())
"""
from ipr_guard.quality.docs import build_data_docs
from ipr_guard.quality.report import RESULTS_SCHEMA, ExpectationResult, QualityReport
from ipr_guard.quality.suites import SuiteError, default_folder, load_suite, load_suites, severity
from ipr_guard.quality.validate import validate_frames
from ipr_guard.quality.volume import volume_problems

__all__ = [
    "RESULTS_SCHEMA", "ExpectationResult", "QualityReport", "SuiteError", "build_data_docs", "default_folder",
    "load_suite", "load_suites", "severity", "validate_frames", "volume_problems",
]
