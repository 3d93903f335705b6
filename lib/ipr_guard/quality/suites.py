"""Expectation suites kept as versioned JSON files (GX 1.x format) and loaded strictly.

A file holds what `ExpectationSuite.to_json_dict()` writes: {"name", "expectations": [{"type", "kwargs",
"meta": {"severity": "critical" | "warning"}}], "meta": {"version": ...}}. GX logs and drops an
expectation of an unknown type while building a suite; a gate that silently checks less than its file
says is worse than no gate, so loading here fails instead.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

SEVERITIES = ("critical", "warning")
DEFAULT_SEVERITY = "critical"


class SuiteError(ValueError):
    """A suite file that cannot be loaded exactly as written."""


def severity(expectation: Any) -> str:
    """The gate severity of an expectation, read from its meta.

    Args:
        expectation: a GX `Expectation`, an `ExpectationConfiguration` or a suite-file dict.

    Returns:
        "critical" (fails the run) or "warning" (reported only); "critical" when meta names none.
    """
    meta = expectation.get("meta") if isinstance(expectation, dict) else getattr(expectation, "meta", None)
    return str((meta or {}).get("severity") or DEFAULT_SEVERITY)


def _check_item(path: Path, index: int, item: Any) -> dict:
    """Builds one expectation alone so that an invalid one is named, not just counted."""
    where = f"{path.name}: expectation #{index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SuiteError(f"{where} has no 'type'")
    where += f" ({item['type']})"
    level = severity(item)
    if level not in SEVERITIES:
        raise SuiteError(f"{where}: meta.severity {level!r} is not one of {', '.join(SEVERITIES)}")
    # Mirror the gate severity into GX's own field so Data Docs show the same level.
    item = {**item, "severity": level}
    try:
        ExpectationConfiguration(**item).to_domain_obj()
    except Exception as e:  # GX raises pydantic, GX and type errors alike for a bad configuration
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SuiteError(f"{where} is not valid: {first}") from e
    return item


def load_suite(path: str | Path) -> gx.ExpectationSuite:
    """Reads one suite file and builds the GX suite, refusing anything GX would drop.

    Args:
        path: a JSON file in the GX 1.x suite format.

    Returns:
        The suite, not attached to any Data Context.

    Raises:
        SuiteError: the file is not valid JSON, misses its name or version, holds an invalid
            expectation or severity, or the built suite holds another number of expectations
            than the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SuiteError(f"{path}: cannot read the suite: {e}") from e
    if not isinstance(data, dict) or not data.get("name"):
        raise SuiteError(f"{path.name}: a suite needs a 'name'")
    meta = data.get("meta") or {}
    if "version" not in meta:
        raise SuiteError(f"{path.name}: meta.version is missing (suites are versioned)")
    items = data.get("expectations") or []
    checked = [_check_item(path, i, item) for i, item in enumerate(items)]
    suite = gx.ExpectationSuite(name=data["name"], expectations=checked, meta=dict(meta),
                                notes=data.get("notes"))
    # The guard the per-item checks make redundant today, kept because GX's constructor drops
    # expectations on errors that a future GX version may raise differently.
    if len(suite.expectations) != len(items):
        raise SuiteError(
            f"{path.name}: the file holds {len(items)} expectations but GX built {len(suite.expectations)}"
        )
    return suite


def load_suites(folder: str | Path) -> dict[str, gx.ExpectationSuite]:
    """Loads every `*.json` suite in a folder.

    Args:
        folder: the expectations folder (e.g. `expectations/`).

    Returns:
        Suites by suite name (e.g. "silver.orders", "gold.closure_candidates"), sorted by name.

    Raises:
        SuiteError: a file fails `load_suite`, two files name the same suite, or the folder holds none.
    """
    suites: dict[str, gx.ExpectationSuite] = {}
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise SuiteError(f"no expectation suites (*.json) in {folder}")
    for f in files:
        suite = load_suite(f)
        if suite.name in suites:
            raise SuiteError(f"{f.name}: suite {suite.name!r} is defined twice in {folder}")
        suites[suite.name] = suite
    return dict(sorted(suites.items()))


def default_folder() -> Path:
    """The project's `expectations/` folder: the checkout's, or the one bundled in the job zip."""
    from ipr_guard.resources import project_dir
    return project_dir("expectations")
