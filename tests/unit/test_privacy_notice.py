"""The generated privacy notice and record of processing (`ipr_guard.privacy.notice`). No Spark needed.

Readability rule for the English notice (checked in `test_english_notice_is_plain`): sentences are split
at `.`, `!` or `?` followed by a space or the end, and every list item and paragraph ends one. The average
sentence is under 20 words and none is over 35. A term of `JARGON` (as a whole word, any case, with or
without an ending such as -s, -ed, -ised: "pseudonymised", not "share" for SHA) may appear only in a
sentence that explains it, i.e. that also contains "which means" or "that is".
Column names quoted in backticks are names to look up, not words to understand, and are skipped.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ipr_guard import cli
from ipr_guard.catalog import load_catalog, parse_catalog
from ipr_guard.config import load_config
from ipr_guard.privacy import notice, notice_text
from ipr_guard.schema import STRING, TABLES, Field

ROOT = Path(__file__).resolve().parents[2]
JARGON = ("HMAC", "pseudonym", "VACUUM", "Delta", "hash", "SHA", "Spark", "MERGE", "bronze", "silver",
          "quarantine", "parquet", "schema")
EXPLAINED = ("which means", "that is")
ENDINGS = r"(?:s|es|ed|ing|ise|ised|ize|ized|isation|ization|ising|izing)?"

# Every personal field the notice must explain, written out by hand from the contract and
# pipelines/review.py: (table, field) -> kinds of person.
EXPECTED_PERSONAL = {
    ("merchants", "legal_name"): ("merchant",), ("merchants", "contact_email"): ("merchant",),
    ("merchants", "contact_phone"): ("merchant",), ("merchants", "id_document_number"): ("merchant",),
    ("merchants", "bank_account"): ("merchant",), ("orders", "buyer_id"): ("buyer",),
    ("complaints", "reporter_id"): ("reporter",), ("privacy_requests", "subject_id"): ("buyer", "reporter"),
    ("review_decisions", "reviewer"): ("reviewer",), ("review_decisions", "note"): ("reviewer",),
}
# conf/base's sharing grants, by hand.
EXPECTED_GRANTS = {
    ("logistics", "closure_candidates"): ("run_date", "merchant_id", "recommended_action", "risk_band"),
    ("payments", "closure_candidates"): ("run_date", "merchant_id", "risk_band"),
    ("payments", "enforcement_kpis"): ("kpi_date", "stores_closed"),
}


@pytest.fixture(scope="module")
def local_cfg():
    return load_config("local", conf_dir=ROOT / "conf")


@pytest.fixture(scope="module")
def english(local_cfg):
    return notice.render_markdown(notice.build_notice(local_cfg, "en"))


def _with_field(table: str, new: Field) -> dict:
    tables = dict(TABLES)
    tables[table] = dataclasses.replace(TABLES[table], fields=TABLES[table].fields + (new,))
    return tables


def test_the_mapping_covers_exactly_the_personal_fields():
    holdings = notice.personal_holdings(notice.lakehouse_catalog())
    assert {(h.table, h.field): h.persons for h in holdings} == EXPECTED_PERSONAL


def test_every_personal_field_of_every_table_is_explained(english):
    items = [line for line in english.splitlines() if line.startswith("- Your ")]
    for table, field in EXPECTED_PERSONAL:
        assert any(f"`{field}` in `{table}`" in line for line in items), (table, field)
    assert "- Your bank account for payouts (`bank_account` in `merchants`, the store records), kept as a keyed " \
           "code, never the value itself. Stored in the copy as delivered, the current copy and the store of " \
           "rejected lines, kept for checking." in items
    assert "- Your note written with a decision (`note` in `review_decisions`, the reviewers' decisions), kept as " \
           "the text as written, cut to 500 characters. Stored in the system's own records." in items


def test_a_new_pii_field_stops_the_notice_until_it_is_mapped(local_cfg, monkeypatch):
    tables = _with_field("orders", Field("shipping_address", STRING, pii=True))
    with pytest.raises(notice.NoticeCoverageError, match=r"orders\.shipping_address: no kind of person"):
        notice.build_notice(local_cfg, "en", tables=tables)

    monkeypatch.setitem(notice.PERSON_OF_FIELD, ("orders", "shipping_address"), ("buyer",))
    with pytest.raises(notice.NoticeCoverageError, match=r"orders\.shipping_address: no en label"):
        notice.build_notice(local_cfg, "en", tables=tables)
    monkeypatch.setitem(notice_text.FIELDS["en"], "shipping_address", "delivery address")
    monkeypatch.setitem(notice_text.FIELDS["zh"], "shipping_address", "收货地址")
    text = notice.render_markdown(notice.build_notice(local_cfg, "en", tables=tables))
    assert "- Your delivery address (`shipping_address` in `orders`, the orders), kept as a keyed code" in text
    # privacy.erasure does not null it (its orders target names buyer_id only): the notice says so.
    assert "An erasure does not empty: delivery address (`shipping_address`)." in text
    rows = notice.record_of_processing(local_cfg, tables=tables)
    assert {r["table"] for r in rows if r["field"] == "shipping_address"} == {"bronze/orders", "silver/orders"}


def test_a_table_gaining_a_pii_column_stops_the_notice(local_cfg):
    tables = _with_field("takedowns", Field("reporter_id", STRING, pii=True))
    with pytest.raises(notice.NoticeCoverageError, match=r"takedowns\.reporter_id: no kind of person"):
        notice.build_notice(local_cfg, "en", tables=tables)


def test_a_gold_table_gaining_a_personal_column_stops_the_notice(local_cfg):
    catalog = notice.lakehouse_catalog()
    gold = {c.name: c.columns for c in catalog if c.layer == "gold"}
    gold["closure_candidates"] += ("buyer_id",)
    changed = tuple(c for c in catalog if c.layer != "gold") + tuple(notice.gold_catalog(gold))
    with pytest.raises(notice.NoticeCoverageError, match=r"closure_candidates\.buyer_id: no kind of person"):
        notice.build_notice(local_cfg, "en", catalog=changed)


def test_the_notice_describes_the_tables_the_dataset_catalog_declares(local_cfg):
    datasets = load_catalog()
    described = {f"{c.layer}/{c.name}" for c in notice.lakehouse_catalog()}
    declared = {ref for ref, e in datasets.entries.items() if e.layer in ("bronze", "silver", "quarantine", "gold")}
    assert described == declared | {"meta/review_decisions"}
    # A table declared with personal columns, or a gold table, that the notice cannot describe stops it.
    extra = {ref: {"write": "append", "retention": "until_erasure", "pii": ["buyer_id"], "writer": "x"}
             for ref in ("meta/courier_notes",)}
    extra["gold/seller_scores"] = {"write": "append", "retention": "kept", "writer": "x"}
    raw = {"tables": {**{ref: _spec(e) for ref, e in datasets.entries.items()}, **extra}}
    with pytest.raises(notice.NoticeCoverageError, match=(
            r"meta/courier_notes: personal columns \['buyer_id'\] but no columns in notice.META_COLUMNS; "
            r"gold/seller_scores: no columns listed in notice.GOLD_COLUMNS")):
        notice.build_notice(local_cfg, "en", catalog=notice.lakehouse_catalog(datasets=parse_catalog(raw)))


def test_the_listed_columns_are_those_the_steps_write():
    from ipr_guard.pipelines.publish import CANDIDATE_COLUMNS
    from ipr_guard.pipelines.review import DECISIONS_SCHEMA
    assert notice.META_COLUMNS["review_decisions"] == tuple(DECISIONS_SCHEMA.fieldNames())
    assert notice.GOLD_COLUMNS["closure_candidates"] == tuple(CANDIDATE_COLUMNS)


def _spec(e) -> dict:
    spec = {"key": list(e.key), "write": e.write, "pii": list(e.pii), "retention": e.retention,
            "run_marker": e.run_marker, "writer": e.writer}
    if e.day:
        spec["day"] = e.day
    return spec


def _affiliate_items(text: str) -> dict[tuple[str, str], str]:
    found = re.findall(r"^- The (\w+) affiliate sees .*?\(`(\w+)`\), with only: (.*)$", text, flags=re.M)
    return {(a, t): cols for a, t, cols in found}


def test_every_affiliate_grant_is_listed_with_its_columns(english):
    items = _affiliate_items(english)
    assert set(items) == set(EXPECTED_GRANTS)
    for key, columns in EXPECTED_GRANTS.items():
        assert re.findall(r"`(\w+)`", items[key]) == list(columns)
    assert items[("payments", "enforcement_kpis")] == "the day counted (`kpi_date`) and the number of stores " \
                                                      "closed (`stores_closed`)."
    assert "None of the columns an affiliate sees holds your personal data listed above." in english


def test_a_changed_grant_is_covered_or_refused():
    base = load_config("local", conf_dir=ROOT / "conf")
    grants = {"logistics": dict(base.sharing.affiliates["logistics"]),
              "payments": {"closure_candidates": ("run_date", "merchant_id", "risk_band")},
              "ads": {"closure_candidates": ("store_name", "rank")}}
    cfg = dataclasses.replace(base, sharing=dataclasses.replace(base.sharing, affiliates=grants))
    items = _affiliate_items(notice.render_markdown(notice.build_notice(cfg, "en")))
    assert items[("ads", "closure_candidates")] == "the store name (`store_name`) and the store's place on the " \
                                                   "list (`rank`)."
    assert ("payments", "enforcement_kpis") not in items
    unlabelled = load_config("local", ["sharing.affiliates.ads.closure_candidates=[model_score]"],
                             conf_dir=ROOT / "conf")
    with pytest.raises(notice.NoticeCoverageError, match=r"ads\.closure_candidates\.model_score: no en label"):
        notice.build_notice(unlabelled, "en")


def test_rights_holders_are_named_only_when_a_brand_report_is_granted(local_cfg, english):
    report = ("A rights holder can get a report on its own brands. It lists the stores found selling fakes of "
              "them, with the store's ID and name and figures on those sales, takedowns, notices and test buys. "
              "It holds no personal data. Every report is logged.")
    assert report in english and "sends no data to rights holders" not in english
    none = dataclasses.replace(local_cfg, sharing=dataclasses.replace(local_cfg.sharing, rights_holder_columns=()))
    text = notice.render_markdown(notice.build_notice(none, "en"))
    assert "IPR Guard sends no data to rights holders." in text and report not in text
    assert "权利人可以获取关于其自有品牌的报告" in notice.render_markdown(notice.build_notice(local_cfg, "zh"))


def test_windows_and_settings_come_from_the_config(english):
    assert "older copies of the tables can still hold your data for up to 7 days (168 hours)." in english
    assert "- Erasure window: 7 days (168 hours)." in english
    cfg = load_config("local", ["privacy.erasure_window_hours=36", "review.suppress_days=14",
                                "review.note_max_chars=200"], conf_dir=ROOT / "conf")
    text = notice.render_markdown(notice.build_notice(cfg, "en"))
    assert "can still hold your data for up to 36 hours." in text and "7 days" not in text
    assert "keeping a rejected store off the list for 14 days" in text
    assert "cut to 200 characters" in text
    zh = notice.render_markdown(notice.build_notice(cfg, "zh"))
    assert "最多还会保留您的数据 36 小时" in zh and "在 14 天内不再列入名单" in zh


def _sentences(markdown: str) -> list[str]:
    out = []
    for line in markdown.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text = re.sub(r"`[^`]*`", "CODE", line.removeprefix("- "))
        out += [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    return out


def test_english_notice_is_plain(english):
    sentences = _sentences(english)
    words = [len(s.split()) for s in sentences]
    assert sum(words) / len(words) < 20, sum(words) / len(words)
    assert max(words) <= 35, max(zip(words, sentences))
    for s in sentences:
        for term in JARGON:
            if re.search(rf"\b{term}{ENDINGS}\b", s, flags=re.I):
                assert any(e in s.lower() for e in EXPLAINED), f"unexplained {term!r} in: {s}"


def test_the_readability_check_catches_jargon_and_long_sentences():
    assert _sentences("Your id is an HMAC. It is kept.\n- `hash_col` here.") == [
        "Your id is an HMAC.", "It is kept.", "CODE here."]
    long = " ".join(["word"] * 36) + "."
    assert len(_sentences(long)[0].split()) == 36
    matches = [w for w in ("pseudonymised", "Pseudonyms", "VACUUMed", "SHA-256", "share", "Deltas", "hashing")
               if any(re.search(rf"\b{t}{ENDINGS}\b", w, flags=re.I) for t in JARGON)]
    assert matches == ["pseudonymised", "Pseudonyms", "VACUUMed", "SHA-256", "Deltas", "hashing"]


def test_both_languages_have_the_same_phrases_and_placeholders():
    for table in ("PERSONS", "FIELDS", "TABLES", "LAYERS", "FORMS", "PURPOSES", "COLUMNS", "TEXT"):
        en, zh = getattr(notice_text, table)["en"], getattr(notice_text, table)["zh"]
        assert set(en) == set(zh), table
        for key in en:
            assert (sorted(re.findall(r"\{(\w+)\}", str(en[key])))
                    == sorted(re.findall(r"\{(\w+)\}", str(zh[key])))), (table, key)


def test_chinese_notice_has_the_english_structure_in_chinese(local_cfg):
    en, zh = notice.build_notice(local_cfg, "en"), notice.build_notice(local_cfg, "zh")
    assert [(k, len(b) if k == "ul" else 1) for k, b in en] == [(k, len(b) if k == "ul" else 1) for k, b in zh]
    texts = [t for k, b in zh for t in (b if k == "ul" else [b])]
    for t in texts:
        assert re.search(r"[\u4e00-\u9fff]", t), t
    md = notice.render_markdown(zh)
    assert "- 结算银行账户（店铺资料，`merchants` 中的 `bank_account`），以密钥编码（从不保存原值）形式保存。" in md
    assert "删除后，数据表的旧副本最多还会保留您的数据 7 天（168 小时）。" in md


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


@pytest.mark.parametrize("lang, attr", [("en", "en"), ("zh", "zh-Hans")])
def test_html_is_self_contained_with_its_language(local_cfg, lang, attr):
    page = notice.render_html(notice.build_notice(local_cfg, lang), lang)
    assert page.startswith(f'<!DOCTYPE html>\n<html lang="{attr}">')
    parser = _Tags()
    parser.feed(page)
    assert not {"script", "link", "img", "iframe", "object"} & set(parser.tags)
    assert not [a for a in parser.attrs if a[0] in ("src", "href")]
    assert "http" not in page and "url(" not in page
    assert "<code>bank_account</code>" in page


def test_record_of_processing_has_one_row_per_table_and_personal_field(local_cfg):
    rows = list(csv.DictReader(io.StringIO(notice.render_record_csv(notice.record_of_processing(local_cfg)))))
    assert list(rows[0]) == ["table", "field", "data_subject", "purpose", "legal_basis", "form", "retention",
                             "recipients", "erasure"]
    contract = [(t, f) for t, f in EXPECTED_PERSONAL if t != "review_decisions"]
    expected = ({(f"{layer}/{t}", f) for layer in ("bronze", "silver") for t, f in contract}
                | {("quarantine/records", f"raw_line (copy of {t}.{f})") for t, f in contract}
                | {("meta/review_decisions", "reviewer"), ("meta/review_decisions", "note")})
    assert [(r["table"], r["field"]) for r in rows if (r["table"], r["field"]) in expected] == \
           [(r["table"], r["field"]) for r in rows]
    assert {(r["table"], r["field"]) for r in rows} == expected and len(rows) == len(expected) == 26
    by_key = {(r["table"], r["field"]): r for r in rows}
    assert by_key[("silver/orders", "buyer_id")] == {
        "table": "silver/orders", "field": "buyer_id", "data_subject": "buyer",
        "purpose": "finding stores that sell fakes or break intellectual property rules; counting enforcement "
                   "results; training the model that scores stores",
        "legal_basis": "TO BE CONFIRMED by the legal team", "form": "a keyed code, never the value itself",
        "retention": "until erasure; older table versions deleted after 7 days (168 hours)",
        "recipients": "IPR Guard jobs and their operators; no affiliate", "erasure": "emptied on an erasure request"}
    assert by_key[("meta/review_decisions", "note")]["retention"] == "kept as long as IPR Guard runs"
    assert by_key[("meta/review_decisions", "note")]["form"] == "the text as written, cut to 500 characters"
    assert all(r["legal_basis"] and r["purpose"] and r["recipients"] for r in rows)


def test_committed_docs_equal_freshly_generated_ones(local_cfg):
    fresh = notice.notice_files(local_cfg)
    assert sorted(fresh) == sorted(p.name for p in (ROOT / "docs").iterdir() if p.name in fresh)
    for name, content in fresh.items():
        assert (ROOT / "docs" / name).read_text(encoding="utf-8") == content, \
            f"docs/{name} is stale: run `ipr-guard privacy-notice` and commit docs/"


def test_command_writes_the_files_without_starting_spark(tmp_path, monkeypatch, capsys):
    from pyspark import SparkContext
    before = SparkContext._active_spark_context  # another test file may have started the session
    monkeypatch.setenv("IPR_GUARD_CONF_DIR", str(ROOT / "conf"))
    assert cli.main(["privacy-notice", "--lang", "en", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "privacy-notice.en.html", "privacy-notice.en.md", "record-of-processing.csv"]
    assert capsys.readouterr().out.splitlines()[0] == str(tmp_path / "out" / "privacy-notice.en.md")
    assert SparkContext._active_spark_context is before

    rc = cli.main(["privacy-notice", "--out", str(tmp_path / "bad"),
                   "--set", "sharing.affiliates.ads.closure_candidates=[model_score]"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("ipr-guard: error: the privacy notice does not cover: sharing.affiliates.ads."
                          "closure_candidates.model_score: no en label")
