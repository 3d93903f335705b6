"""The dataset catalog: every table the project writes, named once in conf/base/catalog.yml.

Steps ask the catalog for a table by its name, `<layer>/<name>` (e.g. `gold/closure_candidates`), and get
its path under a lakehouse root and what is declared about it (key, write mode, personal columns,
retention). No other module builds a table path. The catalog is read once per process and checked: an
unknown name, a missing field or a bronze/silver entry that disagrees with the contract schema is an error
that names the table.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from ipr_guard.errors import UsageError
from ipr_guard.schema import TABLES, Table

CATALOG_FILE = "catalog.yml"
LAYERS = ("bronze", "silver", "quarantine", "gold", "meta")
WRITE_MODES = ("replace_by_day", "merge_by_key", "append")
RETENTIONS = ("until_erasure", "kept")
# bronze rows are every accepted line: the contract key plus where the line came from.
BRONZE_LINEAGE = ("_ingest_date", "_source_file", "_line_number")


@dataclass(frozen=True)
class CatalogEntry:
    """One table as the catalog declares it.

    Attributes:
        layer: bronze, silver, quarantine, gold or meta.
        name: the table's name within its layer.
        key: columns that identify a row; empty for a log of observations.
        write: replace_by_day, merge_by_key or append.
        day: the date column a replace_by_day write replaces by (None otherwise).
        partition_by: physical partition columns.
        pii: columns holding personal data (keyed pseudonyms or free text about a person).
        retention: until_erasure or kept.
        run_marker: the table's commits count only once the run's marker is written.
        writer: the module that writes the table.
    """

    layer: str
    name: str
    key: tuple[str, ...]
    write: str
    day: str | None
    partition_by: tuple[str, ...]
    pii: tuple[str, ...]
    retention: str
    run_marker: bool
    writer: str

    @property
    def ref(self) -> str:
        """The table's catalog name, `<layer>/<name>`."""
        return f"{self.layer}/{self.name}"

    def path(self, lakehouse: str) -> str:
        """`<lakehouse>/<layer>/<name>`, the contract's layout for path-based tables."""
        return f"{lakehouse.rstrip('/')}/{self.layer}/{self.name}"


@dataclass(frozen=True)
class DatasetCatalog:
    """The declared tables, by catalog name, in the file's order."""

    entries: Mapping[str, CatalogEntry]

    def entry(self, ref: str) -> CatalogEntry:
        """The entry named `ref` (`<layer>/<name>`).

        Raises:
            KeyError: `ref` is not in the catalog; the message lists the layer's tables.
        """
        try:
            return self.entries[ref]
        except KeyError:
            layer = ref.split("/", 1)[0]
            known = ", ".join(e.name for e in self.layer(layer)) or "none"
            raise KeyError(f"table {ref!r} is not in the dataset catalog ({layer} tables: {known})") from None

    def path(self, lakehouse: str, ref: str) -> str:
        """The path of table `ref` under the lakehouse root."""
        return self.entry(ref).path(lakehouse)

    def layer(self, layer: str) -> tuple[CatalogEntry, ...]:
        """The entries of one layer, in the file's order."""
        return tuple(e for e in self.entries.values() if e.layer == layer)

    def run_marked(self) -> tuple[CatalogEntry, ...]:
        """The tables whose commits a killed run's recovery rolls back."""
        return tuple(e for e in self.entries.values() if e.run_marker)


def _entry(ref: str, spec: object) -> CatalogEntry:
    where = f"dataset catalog: {ref}"
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: expected a mapping of fields, got {spec!r}")
    unknown = set(spec) - {"key", "write", "day", "partition_by", "pii", "retention", "run_marker", "writer"}
    if unknown:
        raise UsageError(f"{where}: unknown fields {sorted(unknown)}")
    layer, _, name = ref.partition("/")
    if layer not in LAYERS or not name or "/" in name:
        raise UsageError(f"{where}: a table is named <layer>/<name> with layer one of {', '.join(LAYERS)}")
    write = spec.get("write")
    if write not in WRITE_MODES:
        raise UsageError(f"{where}: write must be one of {', '.join(WRITE_MODES)}, got {write!r}")
    day = spec.get("day")
    if (write == "replace_by_day") != (day is not None):
        raise UsageError(f"{where}: `day` names the column a replace_by_day write replaces by, and only then")
    retention = spec.get("retention")
    if retention not in RETENTIONS:
        raise UsageError(f"{where}: retention must be one of {', '.join(RETENTIONS)}, got {retention!r}")
    pii = tuple(spec.get("pii") or ())
    if pii and retention != "until_erasure":
        raise UsageError(f"{where}: a table with personal columns is kept until_erasure")
    if not spec.get("writer"):
        raise UsageError(f"{where}: `writer` names the module that writes the table")
    return CatalogEntry(layer, name, tuple(spec.get("key") or ()), write, day, tuple(spec.get("partition_by") or ()),
                        pii, retention, bool(spec.get("run_marker", False)), str(spec["writer"]))


def _check_contract(entries: Mapping[str, CatalogEntry], tables: Mapping[str, Table]) -> None:
    """bronze and silver hold one table per contract table, with the schema's key and PII fields."""
    for layer in ("bronze", "silver"):
        declared = {e.name for e in entries.values() if e.layer == layer}
        if declared != set(tables):
            missing, extra = sorted(set(tables) - declared), sorted(declared - set(tables))
            raise UsageError(f"dataset catalog: {layer} must list every contract table "
                             f"(missing {missing or 'none'}, not in the contract {extra or 'none'})")
        for t in tables.values():
            e = entries[f"{layer}/{t.name}"]
            key = t.key + (BRONZE_LINEAGE if layer == "bronze" else ())
            if e.key != key or set(e.pii) != set(t.pii_fields):
                raise UsageError(f"dataset catalog: {e.ref} declares key {list(e.key)} and pii {list(e.pii)}; "
                                 f"the contract schema has {list(key)} and {t.pii_fields}")


def parse_catalog(raw: object, tables: Mapping[str, Table] = TABLES) -> DatasetCatalog:
    """Validates the catalog file's content (`{"tables": {ref: fields}}`) into a `DatasetCatalog`.

    Raises:
        UsageError: a malformed entry, or bronze/silver disagreeing with the contract schema.
    """
    specs = raw.get("tables") if isinstance(raw, dict) else None
    if not isinstance(specs, dict) or not specs:
        raise UsageError("dataset catalog: expected a top-level `tables:` mapping of <layer>/<name> to fields")
    entries = {str(ref): _entry(str(ref), spec) for ref, spec in specs.items()}
    _check_contract(entries, tables)
    return DatasetCatalog(entries)


@functools.lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> DatasetCatalog:
    """Reads and validates the catalog file, once per process (default: `<conf>/base/catalog.yml`)."""
    if path is None:
        from ipr_guard.config import default_conf_dir
        path = default_conf_dir() / "base" / CATALOG_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no dataset catalog at {path}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"dataset catalog {path} is not valid YAML: {e}".splitlines()[0]) from e
    return parse_catalog(raw)


def entry(ref: str) -> CatalogEntry:
    """The project catalog's entry for `ref` (`<layer>/<name>`)."""
    return load_catalog().entry(ref)


def table_path(lakehouse: str, ref: str) -> str:
    """The path of the project catalog's table `ref` under the lakehouse root."""
    return load_catalog().path(lakehouse, ref)


# Files for people (reports, dossiers) live beside the tables, in one folder of the lakehouse.
REPORTS_FOLDER = "reports"
DOSSIERS_FOLDER = "dossiers"
BRAND_REPORTS_FOLDER = "brands"


def reports_path(lakehouse: str, *parts: str) -> str:
    """`<lakehouse>/reports/<parts...>`: where files for people are written beside the tables."""
    return "/".join([lakehouse.rstrip("/"), REPORTS_FOLDER, *(p.strip("/") for p in parts)])


def dossier_path(lakehouse: str, name: str) -> str:
    """`<lakehouse>/reports/dossiers/<name>`: one store's evidence dossier folder (`M_D1_D2`)."""
    return reports_path(lakehouse, DOSSIERS_FOLDER, name)


def brand_report_path(lakehouse: str, name: str) -> str:
    """`<lakehouse>/reports/brands/<name>`: one brand's report folder for rights holders (`B_D1_D2`)."""
    return reports_path(lakehouse, BRAND_REPORTS_FOLDER, name)
