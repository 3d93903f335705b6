"""Unit tests of the rules-only closure candidates: each rule, what is known by the end of D, exclusions,
scores, ranks, actions and reasons without personal data."""
from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import replace

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from ipr_guard.config import RulesConfig
from ipr_guard.transforms.candidates import closure_candidates
from tests.unit.builders import silver_df

TZ = "Asia/Shanghai"
D = datetime.date(2026, 10, 31)

# The shipped defaults (conf/base/parameters.yml), spelt out so the expected rows below are readable.
RULES = RulesConfig(
    notice_window_days=30,
    upheld_notices_threshold=3,
    identity_fields=("contact_phone", "contact_email", "id_document_number", "bank_account"),
    closure_reasons=("counterfeit", "ipr_infringement"),
    scores={"counterfeit_test_buy": 0.95, "shared_identity": 0.85, "upheld_notices": 0.75},
    actions={"close": 0.9, "suspend": 0.8},
)

CANDIDATE_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType()),
    T.StructField("merchant_id", T.StringType()),
    T.StructField("store_name", T.StringType()),
    T.StructField("risk_score", T.DoubleType()),
    T.StructField("rank", T.IntegerType()),
    T.StructField("recommended_action", T.StringType()),
    T.StructField("reasons", T.ArrayType(T.StringType())),
    T.StructField("counterfeit_test_buys", T.LongType()),
    T.StructField("upheld_notices_30d", T.LongType()),
    T.StructField("linked_closed_stores", T.LongType()),
    T.StructField("rules_fired", T.ArrayType(T.StringType())),
    T.StructField("model_name", T.StringType()),
    T.StructField("model_version", T.StringType()),
])


def pseudo(raw: str) -> str:
    """A stand-in for an HMAC pseudonym: 64 hex characters."""
    return hashlib.sha256(raw.encode()).hexdigest()


BANK_A, PHONE_B, ID_C, EMAIL_D, EMAIL_E, BANK_F = (pseudo(x) for x in ("bank-a", "phone-b", "id-c", "email-d",
                                                                       "email-e", "bank-f"))


def _merchant(mid, name, status="active", registered="2026-01-01T00:00:00Z", **identity):
    return {"merchant_id": mid, "store_name": name, "registered_at": registered, "status": status,
            "updated_at": registered, **identity}


def _test_buy(tid, merchant, verdict_at, verdict="counterfeit"):
    return {"test_buy_id": tid, "listing_id": "L-" + tid, "merchant_id": merchant, "brand_id": "B1",
            "purchased_at": "2026-09-01T00:00:00Z", "verdict": verdict, "verdict_at": verdict_at}


def _notice(cid, merchant, submitted, outcome="upheld", source="rights_holder", processed=None):
    processed = processed or submitted
    return {"complaint_id": cid, "source": source, "complaint_type": "counterfeit", "merchant_id": merchant,
            "submitted_at": submitted, "processed_at": processed, "outcome": outcome, "updated_at": processed}


def _closure(aid, merchant, decided, reason="counterfeit", reversed_=False, action="closure"):
    return {"action_id": aid, "merchant_id": merchant, "action": action, "reason": reason,
            "decided_at": decided, "reversed": reversed_, "updated_at": decided}


@pytest.fixture()
def inputs(spark):
    merchants = silver_df(spark, "merchants", [
        _merchant("M01", "Test-buy store"),
        _merchant("M02", "Late verdict store"),
        _merchant("M03", "Noticed store"),
        _merchant("M04", "Rejected notices store"),
        _merchant("M05", "Twin of a counterfeiter", bank_account=BANK_A),
        _merchant("M06", "Twin of a fraudster", contact_phone=pseudo("phone-fraud")),
        _merchant("M07", "Closed by action"),
        _merchant("M08", "Closed by status", status="closed"),
        _merchant("M09", "Reversed closure store"),
        _merchant("M10", "Twin of a reversed closure", contact_email=EMAIL_E),
        _merchant("M11", "All rules store", contact_phone=PHONE_B, id_document_number=ID_C,
                  contact_email=EMAIL_D),
        _merchant("M12", "Twin of a later closure", bank_account=BANK_F),
        # Closed stores the others are linked to.
        _merchant("M90", "Counterfeiter", status="closed", bank_account=BANK_A, contact_phone=PHONE_B,
                  id_document_number=ID_C),
        _merchant("M91", "Fraudster", status="closed", contact_phone=pseudo("phone-fraud")),
        _merchant("M92", "Reversed counterfeiter", contact_email=EMAIL_E),
        _merchant("M93", "Infringer", contact_email=EMAIL_D),
        _merchant("M94", "Closed after D", bank_account=BANK_F),
    ])
    test_buys = silver_df(spark, "test_buys", [
        _test_buy("TB1", "M01", "2026-10-12T03:00:00Z"),
        _test_buy("TB2", "M01", "2026-10-20T02:00:00Z"),
        _test_buy("TB3", "M01", "2026-10-21T02:00:00Z", verdict="genuine"),
        _test_buy("TB4", "M02", "2026-10-31T16:30:00Z"),  # 00:30 on 11-01 in Shanghai: after D
        _test_buy("TB5", "M07", "2026-10-20T02:00:00Z"),
        _test_buy("TB6", "M08", "2026-10-20T02:00:00Z"),
        _test_buy("TB7", "M09", "2026-10-05T02:00:00Z"),
        _test_buy("TB8", "M11", "2026-10-31T15:00:00Z"),  # 23:00 on D in Shanghai: known by the end of D
    ])
    complaints = silver_df(spark, "complaints", [
        # M03: three upheld notices in D-29..D (the first on D-29, the last 00:30 on D in Shanghai) ...
        _notice("C1", "M03", "2026-10-02T00:00:00Z"),
        _notice("C2", "M03", "2026-10-15T00:00:00Z"),
        _notice("C3", "M03", "2026-10-30T16:30:00Z"),
        # ... and one on D-30 (23:00 on 10-01 in Shanghai), outside the window.
        _notice("C4", "M03", "2026-10-01T15:00:00Z"),
        # M04: two upheld notices; rejected, pending, consumer and later-upheld ones are not evidence.
        _notice("C5", "M04", "2026-10-20T00:00:00Z"),
        _notice("C6", "M04", "2026-10-21T00:00:00Z"),
        _notice("C7", "M04", "2026-10-22T00:00:00Z", outcome="rejected"),
        _notice("C8", "M04", "2026-10-23T00:00:00Z", outcome="rejected"),
        _notice("C9", "M04", "2026-10-24T00:00:00Z", outcome="pending"),
        _notice("C10", "M04", "2026-10-25T00:00:00Z", source="consumer"),
        _notice("C11", "M04", "2026-10-30T00:00:00Z", processed="2026-11-01T02:00:00Z"),
        # M11: three upheld notices.
        _notice("C12", "M11", "2026-10-10T00:00:00Z"),
        _notice("C13", "M11", "2026-10-11T00:00:00Z"),
        _notice("C14", "M11", "2026-10-12T00:00:00Z"),
    ])
    actions = silver_df(spark, "enforcement_actions", [
        _closure("A1", "M90", "2026-09-03T02:00:00Z"),
        _closure("A2", "M90", "2026-10-01T02:00:00Z", reason="ipr_infringement"),  # the first one is quoted
        _closure("A3", "M91", "2026-09-03T02:00:00Z", reason="fraud"),
        _closure("A4", "M92", "2026-09-03T02:00:00Z", reversed_=True),
        _closure("A5", "M93", "2026-10-31T10:00:00Z", reason="ipr_infringement"),  # on D itself
        _closure("A6", "M94", "2026-10-31T16:30:00Z"),  # 00:30 on 11-01 in Shanghai: after D
        _closure("A7", "M07", "2026-10-25T02:00:00Z", reason="other"),  # closed, whatever the reason
        _closure("A8", "M09", "2026-10-20T02:00:00Z", reversed_=True),  # overturned: still listable
        _closure("A9", "M09", "2026-10-21T02:00:00Z", action="warning"),
    ])
    return merchants, complaints, test_buys, actions


def test_closure_candidates(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    out = closure_candidates(D, merchants, complaints, test_buys, actions, TZ, RULES)
    expected = spark.createDataFrame([
        (D, "M11", "All rules store", 0.97, 1, "close", [
            "1 test buy judged counterfeit (on 2026-10-31)",
            "3 upheld rights-holder notices in the 30 days to 2026-10-31",
            "shares a phone number and an ID document with store M90, closed for counterfeit on 2026-09-03",
            "shares an email address with store M93, closed for IPR infringement on 2026-10-31",
        ], 1, 3, 2, ["counterfeit_test_buy", "shared_identity", "upheld_notices"], None, None),
        (D, "M01", "Test-buy store", 0.95, 2, "close", [
            "2 test buys judged counterfeit (latest on 2026-10-20)",
        ], 2, 0, 0, ["counterfeit_test_buy"], None, None),
        (D, "M09", "Reversed closure store", 0.95, 3, "close", [
            "1 test buy judged counterfeit (on 2026-10-05)",
        ], 1, 0, 0, ["counterfeit_test_buy"], None, None),
        (D, "M05", "Twin of a counterfeiter", 0.85, 4, "suspend", [
            "shares a bank account with store M90, closed for counterfeit on 2026-09-03",
        ], 0, 0, 1, ["shared_identity"], None, None),
        (D, "M03", "Noticed store", 0.75, 5, "review", [
            "3 upheld rights-holder notices in the 30 days to 2026-10-31",
        ], 0, 3, 0, ["upheld_notices"], None, None),
    ], CANDIDATE_SCHEMA)
    assert out.columns == CANDIDATE_SCHEMA.fieldNames()
    assertDataFrameEqual(out, expected)


def test_no_pseudonym_in_reasons(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    out = closure_candidates(D, merchants, complaints, test_buys, actions, TZ, RULES)
    sentences = [s for row in out.select("reasons").collect() for s in row.reasons]
    assert sentences
    pseudonyms = {v for row in merchants.collect() for k, v in row.asDict().items()
                  if k in RULES.identity_fields and v}
    for s in sentences:
        assert not re.search(r"[0-9a-f]{16,}", s), s
        assert not any(p in s for p in pseudonyms), s


def test_closure_reasons_are_configurable(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    rules = replace(RULES, closure_reasons=("counterfeit", "ipr_infringement", "fraud"))
    out = closure_candidates(D, merchants, complaints, test_buys, actions, TZ, rules)
    m06 = out.where("merchant_id = 'M06'").select("reasons", "rules_fired", "recommended_action").collect()
    assert [tuple(r) for r in m06] == [(
        ["shares a phone number with store M91, closed for fraud on 2026-09-03"], ["shared_identity"], "suspend",
    )]


def test_upheld_notices_threshold_is_configurable(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    rules = replace(RULES, upheld_notices_threshold=2)
    out = closure_candidates(D, merchants, complaints, test_buys, actions, TZ, rules)
    # M04's two upheld notices now fire; its rejected, pending, consumer and later-processed ones still do not count.
    m04 = out.where("merchant_id = 'M04'").select("upheld_notices_30d", "reasons").collect()
    assert [tuple(r) for r in m04] == [(2, ["2 upheld rights-holder notices in the 30 days to 2026-10-31"])]


def test_score_is_capped_and_ranks_are_dense(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    rules = replace(RULES, scores={"counterfeit_test_buy": 0.995, "shared_identity": 0.85, "upheld_notices": 0.75})
    out = closure_candidates(D, merchants, complaints, test_buys, actions, TZ, rules)
    rows = out.orderBy("rank").select("merchant_id", "risk_score", "rank").collect()
    assert [tuple(r) for r in rows] == [
        ("M11", 1.0, 1), ("M01", 0.995, 2), ("M09", 0.995, 3), ("M05", 0.85, 4), ("M03", 0.75, 5),
    ]


def test_empty_inputs_give_empty_list(spark):
    out = closure_candidates(
        D, silver_df(spark, "merchants", []), silver_df(spark, "complaints", []),
        silver_df(spark, "test_buys", []), silver_df(spark, "enforcement_actions", []), TZ, RULES,
    )
    assertDataFrameEqual(out, spark.createDataFrame([], CANDIDATE_SCHEMA))


def test_missing_rule_score_is_an_error(spark, inputs):
    merchants, complaints, test_buys, actions = inputs
    with pytest.raises(ValueError, match="shared_identity"):
        closure_candidates(D, merchants, complaints, test_buys, actions, TZ,
                           replace(RULES, scores={"counterfeit_test_buy": 0.95, "upheld_notices": 0.75}))
