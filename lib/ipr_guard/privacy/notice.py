"""A plain-language privacy notice and a record of processing, generated from the schema and the config.

Nothing here states a fact by hand. Which fields are personal comes from the schema's PII marks
(`ipr_guard.schema`) and from the dataset catalog's `pii` lists (`conf/base/catalog.yml`); where they
are stored from the dataset catalog too (`lakehouse_catalog`); what an erasure empties from `privacy.erasure.TARGETS`; the
erasure window, the review settings, the identity fields and the affiliates' grants from the validated
`Config`. The wording is in `notice_text` (English and Simplified Chinese).

Generating the notice fails (`NoticeCoverageError`) rather than leaving something out: a personal field
without a kind of person, a label or a purpose, or a granted column without a label, is named in the
error. No Spark session is started: only schema objects and configuration are read.
"""
from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ipr_guard.catalog import DatasetCatalog, load_catalog
from ipr_guard.config import Config
from ipr_guard.privacy import notice_text as txt
from ipr_guard.privacy.erasure import PRIVACY_REQUESTS_TARGET, TARGETS
from ipr_guard.schema import TABLES, Table
from ipr_guard.transforms.features import FEATURE_COLUMNS

# Which kind of person each personal field is about, by (table, field). A personal field missing here
# stops the notice (`NoticeCoverageError`), so a new PII field cannot go unexplained.
PERSON_OF_FIELD: dict[tuple[str, str], tuple[str, ...]] = {
    ("merchants", "legal_name"): ("merchant",),
    ("merchants", "contact_email"): ("merchant",),
    ("merchants", "contact_phone"): ("merchant",),
    ("merchants", "id_document_number"): ("merchant",),
    ("merchants", "bank_account"): ("merchant",),
    ("orders", "buyer_id"): ("buyer",),
    ("complaints", "reporter_id"): ("reporter",),
    # Personal only for these subject types (schema `pii_if`); a merchant's id is a store number.
    ("privacy_requests", "subject_id"): ("buyer", "reporter"),
    ("review_decisions", "reviewer"): ("reviewer",),
    ("review_decisions", "note"): ("reviewer",),
}
PERSON_ORDER = ("merchant", "buyer", "reporter", "reviewer")
# What a table's rows are used for (keys of notice_text.PURPOSES). Merchant fields named in
# rules.identity_fields are used to link stores instead (`field_purposes`).
TABLE_PURPOSES: dict[str, tuple[str, ...]] = {
    "merchants": ("store_record",),
    "orders": ("ipr_enforcement", "kpis", "model_training"),
    "complaints": ("ipr_enforcement", "kpis", "model_training"),
    "privacy_requests": ("privacy_requests",),
    # The decisions themselves become training labels; the reviewer's code and note do not.
    "review_decisions": ("review_record",),
}
# How a field is stored when it is not a keyed code (`notice_text.FORMS`).
FORM_OF_FIELD = {("review_decisions", "note"): "text"}
LAYER_ORDER = ("bronze", "silver", "quarantine", "meta", "gold")
QUARANTINE_COLUMNS = ("table", "ingest_date", "source_file", "line_number", "reason", "raw_line")
# The columns of the meta tables with personal columns (pipelines.review.DECISIONS_SCHEMA) and of the gold
# tables as published (pipelines.publish.CANDIDATE_COLUMNS, the final selects of transforms.kpis,
# transforms.listing_risk and transforms.features), listed here so that privacy/ does not import the
# steps (the publish step loads MLflow); tests/unit/test_privacy_notice.py checks them against the steps.
# A gold table the dataset catalog declares, or a meta table it marks personal, must be listed.
META_COLUMNS: dict[str, tuple[str, ...]] = {
    "review_decisions": ("run_date", "merchant_id", "decision", "reviewer", "note", "import_id", "imported_at",
                         "file_sha256", "counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores",
                         "reused_image_listings", "low_price_listings", "branded_listings", "rules_fired"),
}
GOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "enforcement_kpis": ("kpi_date", "stores_closed", "proactive_takedowns", "proactive_before_first_sale",
                         "proactive_before_first_sale_share", "notice_requests", "notice_processed_within_24h",
                         "notice_processed_within_24h_share"),
    "closure_candidates": ("run_date", "merchant_id", "store_name", "risk_score", "rank", "recommended_action",
                           "reasons", "counterfeit_test_buys", "upheld_notices_30d", "linked_closed_stores",
                           "reused_image_listings", "low_price_listings", "branded_listings", "rules_fired",
                           "model_score", "model_name", "model_version"),
    "listing_risk": ("run_date", "listing_id", "merchant_id", "brand_id", "risk_score", "reasons",
                     "price_ratio", "keyword_hits"),
    "merchant_features": ("merchant_id", "as_of_date", "store_name", "business_type", "is_closed",
                          *FEATURE_COLUMNS, "identity_link_reasons", "reused_image_example", "score",
                          "model_version"),
    "store_networks": ("run_date", "merchant_id", "network_id", "network_size", "closed_members", "first_seen",
                       "link_kinds"),
}
LEGAL_BASIS_PLACEHOLDER = "TO BE CONFIRMED by the legal team"
RECORD_COLUMNS = ("table", "field", "data_subject", "purpose", "legal_basis", "form", "retention",
                  "recipients", "erasure")


class NoticeCoverageError(ValueError):
    """The notice cannot explain some personal data or grant; the message names each gap."""


@dataclass(frozen=True)
class CatalogTable:
    """One lakehouse table as the notice sees it.

    Attributes:
        layer: bronze, silver, quarantine, meta or gold.
        name: the table name under its layer.
        columns: every column (only the personal ones matter to the notice, the rest to the grants).
        personal: personal column -> the (table, field) pairs whose values it holds. A contract table's
            PII field holds itself; the quarantine's raw_line holds a copy of every contract PII field.
    """

    layer: str
    name: str
    columns: tuple[str, ...]
    personal: Mapping[str, tuple[tuple[str, str], ...]]

    @property
    def path(self) -> str:
        return f"{self.layer}/{self.name}"


def lakehouse_catalog(tables: Mapping[str, Table] = TABLES,
                      datasets: DatasetCatalog | None = None) -> tuple[CatalogTable, ...]:
    """The lakehouse tables that matter to the notice, with their personal columns, from the dataset catalog.

    Every bronze, silver and gold table the catalog declares, the quarantine (whose raw_line keeps a copy
    of a bad line with its PII fields as keyed codes), and every meta table the catalog marks as holding
    personal columns (meta/review_decisions: the reviewer's keyed code and note). The columns come from
    the contract schema (bronze, silver), `META_COLUMNS` and `GOLD_COLUMNS`; a gold
    column named like a personal field counts as personal.

    Args:
        tables: the contract tables (default: the schema's).
        datasets: the dataset catalog (default: `conf/base/catalog.yml`).

    Returns:
        The catalog, in layer order.

    Raises:
        NoticeCoverageError: a declared gold table, or a meta table with personal columns, whose columns
            the notice does not know.
    """
    datasets = datasets if datasets is not None else load_catalog()
    copies = tuple((t.name, f) for t in tables.values() for f in t.pii_fields)
    out, gold, gaps = [], {}, []
    for layer in LAYER_ORDER:
        for e in datasets.layer(layer):
            if layer in ("bronze", "silver") and e.name in tables:
                t = tables[e.name]
                out.append(CatalogTable(layer, t.name, tuple(t.field_names), {f: ((t.name, f),) for f in t.pii_fields}))
            elif e.ref == "quarantine/records":
                out.append(CatalogTable("quarantine", "records", QUARANTINE_COLUMNS,
                                        {"raw_line": copies} if copies else {}))
            elif layer == "meta" and e.pii:
                if e.name not in META_COLUMNS:
                    gaps.append(f"{e.ref}: personal columns {list(e.pii)} but no columns in notice.META_COLUMNS")
                    continue
                out.append(CatalogTable("meta", e.name, META_COLUMNS[e.name], {c: ((e.name, c),) for c in e.pii}))
            elif layer == "gold":
                if e.name not in GOLD_COLUMNS:
                    gaps.append(f"{e.ref}: no columns listed in notice.GOLD_COLUMNS")
                    continue
                gold[e.name] = GOLD_COLUMNS[e.name]
    if gaps:
        raise NoticeCoverageError("the privacy notice cannot describe: " + "; ".join(gaps))
    return tuple(out) + tuple(gold_catalog(gold, tables))


def gold_catalog(gold_columns: Mapping[str, tuple[str, ...]],
                 tables: Mapping[str, Table] = TABLES) -> list[CatalogTable]:
    """Gold tables of the catalog; a column named like a contract PII field is personal."""
    pii_names = {f for t in tables.values() for f in t.pii_fields}
    return [CatalogTable("gold", name, cols, {c: ((name, c),) for c in cols if c in pii_names})
            for name, cols in gold_columns.items()]


@dataclass(frozen=True)
class Holding:
    """One personal field and the catalog tables holding it."""

    table: str
    field: str
    persons: tuple[str, ...]
    places: tuple[CatalogTable, ...]


def personal_holdings(catalog: tuple[CatalogTable, ...]) -> list[Holding]:
    """Each personal (table, field) with its kinds of person and where it is kept, in catalog order.

    Raises:
        NoticeCoverageError: a field with no kind of person, or a label, table label or purpose missing
            in a language.
    """
    places: dict[tuple[str, str], list[CatalogTable]] = {}
    for table in catalog:
        for sources in table.personal.values():
            for source in sources:
                places.setdefault(source, [])
                if table not in places[source]:
                    places[source].append(table)
    gaps = []
    for table, field in places:
        persons = PERSON_OF_FIELD.get((table, field))
        if not persons:
            gaps.append(f"{table}.{field}: no kind of person in PERSON_OF_FIELD")
        elif unknown := [p for p in persons if p not in PERSON_ORDER]:
            gaps.append(f"{table}.{field}: unknown kind of person {unknown}")
        if table not in TABLE_PURPOSES:
            gaps.append(f"{table}.{field}: no purpose for table {table} in TABLE_PURPOSES")
        for lang in txt.LANGUAGES:
            if field not in txt.FIELDS[lang]:
                gaps.append(f"{table}.{field}: no {lang} label in notice_text.FIELDS")
            if table not in txt.TABLES[lang]:
                gaps.append(f"{table}.{field}: no {lang} label for table {table} in notice_text.TABLES")
    if gaps:
        raise NoticeCoverageError("the privacy notice does not cover: " + "; ".join(gaps))
    return [Holding(t, f, PERSON_OF_FIELD[(t, f)], tuple(sorted(p, key=lambda c: LAYER_ORDER.index(c.layer))))
            for (t, f), p in places.items()]


def check_grants(cfg: Config, catalog: tuple[CatalogTable, ...]) -> None:
    """Every affiliate's granted table and column must have a label in every language.

    Raises:
        NoticeCoverageError: naming each unlabelled grant.
    """
    gaps = []
    for affiliate, grants in sorted(_affiliates(cfg).items()):
        for table, columns in grants.items():
            for lang in txt.LANGUAGES:
                if table not in txt.TABLES[lang]:
                    gaps.append(f"sharing.affiliates.{affiliate}.{table}: no {lang} label for the table")
                gaps += [f"sharing.affiliates.{affiliate}.{table}.{c}: no {lang} label in notice_text.COLUMNS"
                         for c in columns if c not in txt.COLUMNS[lang]]
    if gaps:
        raise NoticeCoverageError("the privacy notice does not cover: " + "; ".join(gaps))


def field_purposes(cfg: Config, table: str, field: str) -> tuple[str, ...]:
    """Purpose keys of one personal field: identity fields link stores, the rest follow their table."""
    if table == "merchants" and field in cfg.rules.identity_fields:
        return ("identity_links", "model_training")
    return TABLE_PURPOSES[table]


def erased_fields(person: str) -> set[tuple[str, str]]:
    """The (table, field) pairs an erasure request of `person` empties (`privacy.erasure`)."""
    out = set()
    for target in (*TARGETS, PRIVACY_REQUESTS_TARGET):
        if person in target.subject_types:
            out |= {(target.table, c) for c in target.columns}
    return out


def request_subjects(tables: Mapping[str, Table] = TABLES) -> tuple[str, ...]:
    """The kinds of person who can send privacy requests (the schema's subject_type values)."""
    return tables["privacy_requests"].field("subject_type").allowed or ()


Block = tuple[str, object]  # (h1|h2|h3|p|ul, text or list of texts)


def build_notice(cfg: Config, lang: str, catalog: tuple[CatalogTable, ...] | None = None,
                 tables: Mapping[str, Table] = TABLES) -> list[Block]:
    """The notice in one language as a list of blocks (headings, paragraphs, lists).

    Args:
        cfg: the validated configuration (erasure window, review settings, identity fields, grants).
        lang: ``en`` or ``zh``.
        catalog: the lakehouse tables; default `lakehouse_catalog(tables)`.
        tables: the contract tables.

    Raises:
        NoticeCoverageError: personal data or a grant the notice cannot explain.
        ValueError: an unknown language.
    """
    if lang not in txt.LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(txt.LANGUAGES)}")
    catalog = catalog if catalog is not None else lakehouse_catalog(tables)
    holdings = personal_holdings(catalog)
    check_grants(cfg, catalog)
    t = txt.TEXT[lang]
    subjects = request_subjects(tables)
    gaps = [p for p in subjects if p not in t["opt_out"]]
    if gaps:
        raise NoticeCoverageError(f"the privacy notice does not cover: no opt-out text for {gaps}")
    values = _values(cfg, lang)

    blocks: list[Block] = [("h1", t["title"])]
    blocks += [("p", s.format(**values)) for s in t["intro"]]
    blocks += [("h2", t["form_heading"]), ("p", _sentences(lang, *t["form"])), ("p", t["results"])]
    for person in PERSON_ORDER:
        mine = [h for h in holdings if person in h.persons]
        if mine:
            blocks += _person_blocks(cfg, lang, person, mine, person in subjects, values)
    blocks += _share_blocks(cfg, lang, catalog, holdings)
    blocks += [("h2", t["choices_heading"]), ("p", _sentences(lang, t["how_to_ask"], t["when_applied"]))]
    identity = _join(lang, [_code(lang, txt.FIELDS[lang].get(f, f), f) for f in cfg.rules.identity_fields])
    blocks += [("h2", t["settings_heading"]), ("ul", [
        t["setting_window"].format(**values), t["setting_suppress"].format(**values),
        t["setting_note"].format(**values), t["setting_identity"].format(fields=identity or t["none"]),
    ])]
    return blocks


def _values(cfg: Config, lang: str) -> dict[str, object]:
    hours = cfg.privacy.erasure_window_hours
    window = (txt.TEXT[lang]["days"].format(days=hours // 24, hours=hours) if hours % 24 == 0 and hours
              else txt.TEXT[lang]["hours"].format(hours=hours))
    return {"env": cfg.env, "window": window, "suppress_days": cfg.review.suppress_days,
            "note_max_chars": cfg.review.note_max_chars}


def _sentences(lang: str, *sentences: str) -> str:
    return txt.TEXT[lang]["sentence_sep"].join(sentences)


def _code(lang: str, label: str, code: str) -> str:
    """A plain label followed by the column name it stands for."""
    return txt.TEXT[lang]["code"].format(label=label, code=code)


def _join(lang: str, items: list[str]) -> str:
    t = txt.TEXT[lang]
    if len(items) <= 1:
        return "".join(items)
    return t["list_sep"].join(items[:-1]) + t["list_and"] + items[-1]


def _form(lang: str, h: Holding, values: dict) -> str:
    return txt.FORMS[lang][FORM_OF_FIELD.get((h.table, h.field), "code")].format(**values)


def _person_blocks(cfg: Config, lang: str, person: str, mine: list[Holding], can_ask: bool,
                   values: dict) -> list[Block]:
    t, labels = txt.TEXT[lang], txt.FIELDS[lang]
    data = [t["data_item"].format(label=labels[h.field], field=h.field, table=h.table,
                                  table_label=txt.TABLES[lang][h.table], form=_form(lang, h, values),
                                  places=_join(lang, list(dict.fromkeys(txt.LAYERS[lang][c.layer] for c in h.places))))
            for h in mine]
    uses = [t["use_item"].format(label=labels[h.field], purposes=t["purpose_sep"].join(
        txt.PURPOSES[lang][p].format(**values) for p in field_purposes(cfg, h.table, h.field))) for h in mine]
    blocks: list[Block] = [("h2", t["person_heading"].format(person=txt.PERSONS[lang][person])),
                           ("h3", t["data_heading"]), ("ul", data), ("h3", t["use_heading"]), ("ul", uses),
                           ("h3", t["keep_heading"])]
    if not can_ask:
        return blocks + [("p", t["keep_no_request"]), ("p", t["no_request"])]
    blocks += [("p", _sentences(lang, t["keep_until_erased"], t["keep_window"].format(**values))),
               ("h3", t["opt_out_heading"]), ("p", _sentences(lang, *t["opt_out"][person])),
               ("h3", t["erasure_heading"]), ("p", _sentences(lang, *t["erasure"]))]
    erased = erased_fields(person)
    done = [_code(lang, labels[h.field], h.field) for h in mine if (h.table, h.field) in erased]
    gaps = [_code(lang, labels[h.field], h.field) for h in mine if (h.table, h.field) not in erased]
    blocks.append(("p", t["erasure_fields"].format(fields=_join(lang, done) or t["none"])))
    if gaps:
        blocks.append(("p", t["erasure_gaps"].format(fields=_join(lang, gaps))))
    return blocks


def _share_blocks(cfg: Config, lang: str, catalog: tuple[CatalogTable, ...], holdings: list[Holding]) -> list[Block]:
    t = txt.TEXT[lang]
    blocks: list[Block] = [("h2", t["share_heading"]), ("p", t["share_reviewers"])]
    affiliates = _affiliates(cfg)
    if not affiliates:
        return blocks + [("p", t["share_no_affiliate"]), ("p", _rights_holders(cfg, t))]
    personal = {(c.name, col) for c in catalog if c.layer == "gold" for col in c.personal}
    items, seen_personal = [], []
    for affiliate, grants in sorted(affiliates.items()):
        for table, columns in grants.items():
            cols = _join(lang, [_code(lang, txt.COLUMNS[lang][c], c) for c in columns])
            items.append(t["share_affiliate"].format(affiliate=affiliate, table=table,
                                                     table_label=txt.TABLES[lang][table], columns=cols))
            seen_personal += [t["share_affiliate_personal"].format(affiliate=affiliate, field=c,
                                                                   label=txt.FIELDS[lang][c])
                              for c in columns if (table, c) in personal]
    blocks += [("ul", items), ("p", t["share_views"])]
    blocks += [("p", s) for s in seen_personal] or [("p", t["share_no_personal"])]
    return blocks + [("p", _rights_holders(cfg, t))]


def _rights_holders(cfg: Config, t: dict) -> str:
    # A configured brand-report grant sends rights holders figures about stores (never personal data).
    return t["share_rights_holders_report"] if cfg.sharing.rights_holder_columns else t["share_rights_holders"]


def _affiliates(cfg: Config) -> dict[str, dict[str, tuple[str, ...]]]:
    return dict(cfg.sharing.affiliates) if cfg.sharing else {}


def render_markdown(blocks: list[Block]) -> str:
    """The blocks as Markdown (headings, paragraphs, `-` lists), ending with one newline."""
    parts = []
    for kind, body in blocks:
        if kind == "ul":
            parts.append("\n".join(f"- {item}" for item in body))
        elif kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + f" {body}")
        else:
            parts.append(str(body))
    return "\n\n".join(parts) + "\n"


_CODE = re.compile(r"`([^`]+)`")
_STYLE = ("body{font-family:system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;"
          "max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1d1d1f}"
          "h1{font-size:1.8rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}"
          "code{background:#f2f2f2;padding:0 .2rem;border-radius:3px}")


def _inline(text: str) -> str:
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text, quote=False))


def render_html(blocks: list[Block], lang: str) -> str:
    """The blocks as one self-contained HTML page (inline style, nothing fetched), `lang` set."""
    title = next(str(b) for k, b in blocks if k == "h1")
    body = []
    for kind, content in blocks:
        if kind == "ul":
            body.append("<ul>\n" + "\n".join(f"<li>{_inline(i)}</li>" for i in content) + "\n</ul>")
        else:
            body.append(f"<{kind}>{_inline(str(content))}</{kind}>")
    return (f'<!DOCTYPE html>\n<html lang="{txt.HTML_LANG[lang]}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def record_of_processing(cfg: Config, catalog: tuple[CatalogTable, ...] | None = None,
                         tables: Mapping[str, Table] = TABLES) -> list[dict[str, str]]:
    """One row per (lakehouse table, personal field): purpose, legal basis placeholder, form, retention ...

    A column holding copies of several fields (the quarantine's raw_line) gets one row per field.

    Raises:
        NoticeCoverageError: as `build_notice`.
    """
    catalog = catalog if catalog is not None else lakehouse_catalog(tables)
    holdings = {(h.table, h.field): h for h in personal_holdings(catalog)}
    values = _values(cfg, "en")
    subjects = request_subjects(tables)
    rows = []
    for table in catalog:
        for column, sources in table.personal.items():
            for source in sources:
                h = holdings[source]
                can_ask = any(p in subjects for p in h.persons)
                erased = all(source in erased_fields(p) for p in h.persons if p in subjects) and can_ask
                shared = sorted(a for a, g in _affiliates(cfg).items() if column in g.get(table.name, ()))
                rows.append({
                    "table": table.path,
                    "field": column if source == (table.name, column) else f"{column} (copy of {source[0]}.{source[1]})",
                    "data_subject": ", ".join(h.persons),
                    "purpose": "; ".join(txt.PURPOSES["en"][p].format(**values)
                                         for p in (("quality_check",) if table.layer == "quarantine"
                                                   else field_purposes(cfg, *source))),
                    "legal_basis": LEGAL_BASIS_PLACEHOLDER,
                    "form": _form("en", h, values),
                    "retention": (f"until erasure; older table versions deleted after {values['window']}"
                                  if erased else "kept as long as IPR Guard runs"),
                    "recipients": ("IPR Guard jobs and their operators"
                                   + (f"; affiliates: {', '.join(shared)}" if shared else "; no affiliate")),
                    "erasure": "emptied on an erasure request" if erased else "not covered by erasure requests",
                })
    return rows


def render_record_csv(rows: list[dict[str, str]]) -> str:
    """The record of processing as CSV (UTF-8, header row, `\\n` line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RECORD_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def notice_files(cfg: Config, langs: tuple[str, ...] = txt.LANGUAGES) -> dict[str, str]:
    """File name -> content of the published notice files and the record of processing."""
    files = {}
    for lang in langs:
        blocks = build_notice(cfg, lang)
        files[f"privacy-notice.{lang}.md"] = render_markdown(blocks)
        files[f"privacy-notice.{lang}.html"] = render_html(blocks, lang)
    files["record-of-processing.csv"] = render_record_csv(record_of_processing(cfg))
    return files


def write_notice_files(cfg: Config, out: Path, langs: tuple[str, ...] = txt.LANGUAGES) -> list[Path]:
    """Writes `notice_files` under `out` (created if needed); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in notice_files(cfg, langs).items():
        path = out / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
