"""GX Data Docs (static HTML) for the validation results of a run, written to a local folder."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

import great_expectations as gx
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from ipr_guard.quality.report import QualityReport
from ipr_guard.quality.validate import new_context
from ipr_guard.quality.vendor import vendor_data_docs

SITE = "run_site"


def _results(source: Any) -> list[tuple[str, Any]]:
    """(table, GX suite validation result) pairs from the accepted input shapes."""
    if isinstance(source, QualityReport):
        return list(source.gx_results.items())
    if isinstance(source, dict):
        return list(source.items())
    pairs: list[tuple[str, Any]] = []
    for item in source:
        if isinstance(item, QualityReport):  # e.g. the silver and the gold gate of one run
            pairs.extend(item.gx_results.items())
        else:
            pairs.append((item.suite_name, item))
    return pairs


def _suite_from(evr: Any) -> gx.ExpectationSuite:
    # Rebuilt from the results themselves, so the docs show exactly what was checked.
    expectations = [
        {k: v for k, v in r.expectation_config.to_json_dict().items() if k not in ("id", "rendered_content")}
        for r in evr.results
    ]
    return gx.ExpectationSuite(name=evr.suite_name, expectations=expectations)


def build_data_docs(results: QualityReport | Iterable[Any] | dict[str, Any], folder: str | Path) -> Path:
    """Renders GX Data Docs for a run's validation results into `folder`.

    The site is built in a fresh ephemeral context holding only these results, in a sibling
    temporary folder that then replaces `folder`: a rerun leaves no pages of an earlier run behind.
    The scripts, stylesheets and fonts GX's pages load from CDNs are copied in under `static/vendor/`
    (from the local asset cache, see `quality.vendor`) and the pages point at them, so the folder
    works offline and wherever it is copied.

    Args:
        results: a `QualityReport`, several reports (e.g. the silver and the gold gate of one run),
            a dict of table -> GX `ExpectationSuiteValidationResult`, or an iterable of those results.
        folder: a local folder, e.g. `<reports>/YYYY-MM-DD/data_docs`.

    Returns:
        The path of the site's index.html.

    Raises:
        ValueError: there are no results to render.
        RuntimeError: GX did not write an index.html naming every suite, or a page still loads a
            script, stylesheet, font or image over http(s).
        IprGuardError: the web assets are not cached and cannot be fetched (or fail their checksums).
    """
    pairs = _results(results)
    if not pairs:
        raise ValueError("no validation results to render")
    folder = Path(folder).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        context = new_context()
        context.add_data_docs_site(SITE, {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        for table, evr in pairs:
            if evr.suite_name not in {s.name for s in context.suites.all()}:
                context.suites.add(_suite_from(evr))
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=evr.suite_name),
                run_id=evr.meta["run_id"],
                batch_identifier=table,
            )
            context.validation_results_store.set(key, evr)
        context.build_data_docs(site_names=[SITE])
        index = staging / "index.html"
        html = index.read_text(encoding="utf-8") if index.is_file() else ""
        missing = sorted({evr.suite_name for _, evr in pairs if evr.suite_name not in html})
        if not html or missing:
            raise RuntimeError(f"GX Data Docs in {folder} miss an index.html naming {', '.join(missing) or 'the suites'}")
        vendor_data_docs(staging)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder / "index.html"
