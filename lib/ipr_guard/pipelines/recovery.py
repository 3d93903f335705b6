"""Run-level atomic publishing: a run's gold commits count only once its run marker is written.

A nightly publishes one Delta commit per gold table, then its ingest log entries, then its row in
`meta/runs` (the marker, written last). Every gold commit carries the run id as Delta commit metadata
(`userMetadata`). A run killed between those commits leaves gold tables whose latest commit belongs to a
run without a marker; the next run, under the lakehouse lock and before anything else, restores each such
table to the version the last published run recorded (Delta RESTORE), so the latest versions again hold
only completed runs. Ingest log entries of a run without a marker are ignored, so the days it read are
read again. Readers that must never see a mix, even while a run is publishing, read the versions recorded
in the marker (`published_versions`).

Run-keyed meta tables (the catalog's other `run_marker` entries, e.g. meta/drift) follow the same rule: their commits carry the run
id, the marker records their versions under `meta/<name>`, and an incomplete run's commit is undone.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ipr_guard import catalog
from ipr_guard.io import delta
from ipr_guard.io.files import hadoop_fs

log = logging.getLogger(__name__)

def gold_tables() -> tuple[str, ...]:
    """The gold tables under the run marker (the catalog's `run_marker: true` gold entries), by name."""
    return tuple(e.name for e in catalog.load_catalog().run_marked() if e.layer == "gold")


def marker_key(entry: catalog.CatalogEntry) -> str:
    """How the run marker's `gold_versions` names a table: a gold table by its name, others as `<layer>/<name>`."""
    return entry.name if entry.layer == "gold" else entry.ref


def meta_versions(spark: SparkSession, lakehouse: str) -> dict[str, int]:
    """The run-keyed meta tables' current versions, keyed as the run marker records them."""
    out = {}
    for entry in catalog.load_catalog().run_marked():
        if entry.layer == "gold":
            continue
        v = delta.version(spark, entry.path(lakehouse))
        if v is not None:
            out[marker_key(entry)] = v
    return out


def published_runs(spark: SparkSession, lakehouse: str) -> DataFrame | None:
    """The run markers: meta/runs' rows with status published, or None before the first run."""
    path = catalog.table_path(lakehouse, "meta/runs")
    if not delta.exists(spark, path):
        return None
    return delta.read(spark, path).where(F.col("status") == "published")


def published_dates(spark: SparkSession, lakehouse: str) -> set[dt.date]:
    """Run dates with a marker."""
    runs = published_runs(spark, lakehouse)
    return set() if runs is None else {r[0] for r in runs.select("run_date").distinct().collect()}


def marker_versions(gold_versions: str | None) -> dict[str, int]:
    """A run marker's `gold_versions` JSON as {table: version}, leaving out tables it recorded as absent."""
    return {k: int(v) for k, v in json.loads(gold_versions).items() if v is not None} if gold_versions else {}


def _published_state(spark: SparkSession, lakehouse: str) -> tuple[set[str], dict[str, int]]:
    """The run ids with a marker, and each table's version as of the latest of them (last finished,
    then largest run id), from one read of the markers (a row per run)."""
    runs = published_runs(spark, lakehouse)
    rows = [] if runs is None else runs.select("run_id", "finished_at", "gold_versions").collect()
    last = max(rows, key=lambda r: (r["finished_at"], r["run_id"]), default=None)
    return {r["run_id"] for r in rows}, marker_versions(last["gold_versions"]) if last else {}


def published_versions(spark: SparkSession, lakehouse: str) -> dict[str, int]:
    """Each gold table's version as of the latest published run ({} before any)."""
    return _published_state(spark, lakehouse)[1]


def roll_back_incomplete(spark: SparkSession, lakehouse: str) -> list[str]:
    """Restores gold and run-keyed meta tables whose latest commit belongs to a run without a marker.

    Returns:
        One line per table rolled back (empty when the last run completed).
    """
    done, versions = _published_state(spark, lakehouse)
    actions = []
    for entry in catalog.load_catalog().run_marked():
        layer, name, key, path = entry.layer, entry.name, marker_key(entry), entry.path(lakehouse)
        commit = delta.latest_commit(spark, path)
        if commit is None:
            continue
        latest, run_id = commit
        if run_id is None or run_id in done or run_id.startswith("restore:"):
            continue
        target = versions.get(key)
        if target is None:
            # Created by a run that never completed: no published state to go back to.
            fs, jpath = hadoop_fs(spark, path)
            fs.delete(jpath, True)
            actions.append(f"removed {layer}/{name}: created by run {run_id}, which did not complete")
        else:
            spark.conf.set("spark.databricks.delta.commitInfo.userMetadata", f"restore:{run_id}")
            try:
                DeltaTable.forPath(spark, path).restoreToVersion(target)
            finally:
                spark.conf.unset("spark.databricks.delta.commitInfo.userMetadata")
            actions.append(f"restored {layer}/{name} from v{latest} to v{target}: run {run_id} did not complete")
    for line in actions:
        log.warning(line)
    return actions
