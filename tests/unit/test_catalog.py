"""The dataset catalog: the project's file, its checks, and that lib/ asks it for every table it names."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ipr_guard import catalog
from ipr_guard.errors import UsageError
from ipr_guard.schema import Field, Table

LIB = Path(catalog.__file__).resolve().parent
LAYERS = ("bronze", "silver", "quarantine", "gold", "meta")
# Two tiny contract tables, so that a catalog can be written out by hand in a test.
SHOPS = Table("shops", ("shop_id",), (Field("shop_id", "string", required=True), Field("phone", "string", pii=True)))
TAGS = Table("tags", ("tag",), (Field("tag", "string", required=True),))
CONTRACT = {"shops": SHOPS, "tags": TAGS}


def _tables(**changes) -> dict:
    tables = {
        "bronze/shops": {"key": ["shop_id", "_ingest_date", "_source_file", "_line_number"], "write": "replace_by_day",
                         "day": "_ingest_date", "pii": ["phone"], "retention": "until_erasure", "writer": "w"},
        "bronze/tags": {"key": ["tag", "_ingest_date", "_source_file", "_line_number"], "write": "replace_by_day",
                        "day": "_ingest_date", "retention": "kept", "writer": "w"},
        "silver/shops": {"key": ["shop_id"], "write": "merge_by_key", "pii": ["phone"], "retention": "until_erasure",
                         "writer": "w"},
        "silver/tags": {"key": ["tag"], "write": "merge_by_key", "retention": "kept", "writer": "w"},
        "meta/runs": {"key": ["run_id"], "write": "append", "retention": "kept", "writer": "w"},
        "gold/shop_scores": {"key": ["run_date", "shop_id"], "write": "replace_by_day", "day": "run_date",
                             "retention": "kept", "run_marker": True, "writer": "w"},
    }
    for ref, spec in changes.items():
        ref = ref.replace("__", "/")
        if spec is None:
            tables.pop(ref)
        else:
            tables[ref] = {**tables.get(ref, {}), **spec}
    return {"tables": tables}


def test_a_hand_written_catalog_gives_paths_and_declarations():
    c = catalog.parse_catalog(_tables(), CONTRACT)
    assert list(c.entries) == ["bronze/shops", "bronze/tags", "silver/shops", "silver/tags", "meta/runs",
                               "gold/shop_scores"]
    assert c.path("s3://bucket/lake/", "gold/shop_scores") == "s3://bucket/lake/gold/shop_scores"
    scores = c.entry("gold/shop_scores")
    assert (scores.layer, scores.name, scores.key, scores.day, scores.run_marker) == \
        ("gold", "shop_scores", ("run_date", "shop_id"), "run_date", True)
    assert c.entry("meta/runs").run_marker is False and c.entry("meta/runs").pii == ()
    assert [e.ref for e in c.run_marked()] == ["gold/shop_scores"]
    assert [e.name for e in c.layer("silver")] == ["shops", "tags"]


def test_an_unknown_table_is_an_error_that_lists_the_layer():
    c = catalog.parse_catalog(_tables(), CONTRACT)
    with pytest.raises(KeyError, match=r"'gold/shop_score' is not in the dataset catalog \(gold tables: shop_scores\)"):
        c.entry("gold/shop_score")


@pytest.mark.parametrize("changes, message", [
    ({"gold__x": {"write": "upsert", "retention": "kept", "writer": "w"}}, "gold/x: write must be one of"),
    ({"gold__x": {"write": "replace_by_day", "retention": "kept", "writer": "w"}}, "gold/x: `day` names the column"),
    ({"gold__x": {"write": "append", "day": "d", "retention": "kept", "writer": "w"}}, "gold/x: `day` names"),
    ({"gold__x": {"write": "append", "retention": "forever", "writer": "w"}}, "gold/x: retention must be one of"),
    ({"gold__x": {"write": "append", "pii": ["phone"], "retention": "kept", "writer": "w"}},
     "gold/x: a table with personal columns is kept until_erasure"),
    ({"gold__x": {"write": "append", "retention": "kept"}}, "gold/x: `writer` names the module"),
    ({"gold__x": {"write": "append", "retention": "kept", "writer": "w", "owner": "me"}},
     r"gold/x: unknown fields \['owner'\]"),
    ({"platinum__x": {"write": "append", "retention": "kept", "writer": "w"}}, "platinum/x: a table is named"),
    ({"silver__tags": None}, r"silver must list every contract table \(missing \['tags'\]"),
    ({"silver__shops": {"pii": []}}, r"silver/shops declares key \['shop_id'\] and pii \[\]"),
    ({"bronze__tags": {"key": ["tag"]}}, r"bronze/tags declares key \['tag'\]"),
])
def test_a_malformed_entry_names_the_table_and_the_field(changes, message):
    with pytest.raises(UsageError, match=message):
        catalog.parse_catalog(_tables(**changes), CONTRACT)


def test_the_project_catalog_declares_the_contract_layout():
    c = catalog.load_catalog()
    assert {e.layer for e in c.entries.values()} == set(LAYERS)
    assert c.path("/lake", "meta/ingest_log") == "/lake/meta/ingest_log"
    # The published tables the contract names are under the run marker.
    assert {e.ref for e in c.run_marked()} == {"gold/closure_candidates", "gold/listing_risk", "gold/enforcement_kpis",
                                               "gold/merchant_features", "meta/drift"}
    assert c.entry("silver/merchants").pii == ("legal_name", "contact_email", "contact_phone", "id_document_number",
                                              "bank_account")
    assert c.entry("quarantine/records").pii == ("raw_line",)
    # Every writer named is a module of the package.
    for e in c.entries.values():
        assert (LIB / (e.writer.replace(".", "/") + ".py")).is_file(), e.ref


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(LIB.rglob("*.py"))
            if p.name != "catalog.py"]


def test_no_module_but_the_catalog_builds_a_table_path():
    # A path built by hand has "/<layer>/" (or ends in "/<layer>") in a string literal, or divides a Path
    # by a layer name. Docstrings may describe the layout.
    marks = tuple("/" + layer + end for layer in LAYERS for end in ("/", "\0"))
    found = []
    for path, tree in _sources():
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            where = f"{path.relative_to(LIB)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if any(m in node.value + "\0" for m in marks):
                    found.append(f"{where}: {node.value!r}")
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant)
                    and node.right.value in LAYERS):
                found.append(f"{where}: {ast.unparse(node)}")
    assert found == []


def test_every_table_named_in_lib_is_in_the_catalog():
    known = catalog.load_catalog().entries
    named, unknown = 0, []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("table_path", "entry") and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "catalog"):
                continue
            ref = node.args[-1]
            if isinstance(ref, ast.Constant):
                named += 1
                if ref.value not in known:
                    unknown.append(f"{path.relative_to(LIB)}:{node.lineno}: {ref.value}")
            elif isinstance(ref, ast.JoinedStr) and isinstance(ref.values[0], ast.Constant):
                named += 1
                if ref.values[0].value.rstrip("/") not in LAYERS:
                    unknown.append(f"{path.relative_to(LIB)}:{node.lineno}: {ast.unparse(ref)}")
    assert unknown == []
    assert named >= 30  # the scan sees the calls (it would pass vacuously if they were renamed)
