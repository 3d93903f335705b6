"""The candidate reason naming a store's network, on hand-built networks and closures (sentences by hand)."""
from __future__ import annotations

import datetime

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from ipr_guard.transforms.network_reasons import network_reasons, with_network_reasons
from tests.unit.builders import silver_df

D = datetime.date(2026, 11, 10)
TZ = "Asia/Shanghai"
NETWORKS = "merchant_id string, network_id string, network_size long, link_kinds array<string>"
NA, NB = "N-20261101-M1", "N-20261105-M7"


def _closure(action_id, merchant_id, decided_at, reason="counterfeit", action="closure", reversed_=False):
    return {"action_id": action_id, "merchant_id": merchant_id, "action": action, "reason": reason,
            "decided_at": decided_at, "reversed": reversed_, "updated_at": decided_at}


def test_the_sentence_counts_standing_ipr_closures_known_by_the_run_date(spark):
    networks = spark.createDataFrame([
        ("M1", NA, 5, ["bank_account"]), ("M2", NA, 5, ["bank_account"]), ("M3", NA, 5, ["bank_account"]),
        ("M4", NA, 5, ["bank_account", "contact_phone"]), ("M5", NA, 5, ["contact_phone"]),
        ("M7", NB, 2, ["contact_email"]), ("M8", NB, 2, ["contact_email"]),
    ], NETWORKS)
    actions = silver_df(spark, "enforcement_actions", [
        _closure("A1", "M2", "2026-09-02T03:00:00Z"),
        # 23:30 UTC on 09-01 is 07:30 on 09-02 in Shanghai: the first closure day is the market's day.
        _closure("A2", "M3", "2026-09-01T23:30:00Z", reason="ipr_infringement"),
        _closure("A3", "M4", "2026-10-20T01:00:00Z"),
        _closure("A4", "M5", "2026-08-01T01:00:00Z", reversed_=True),        # overturned on appeal
        _closure("A5", "M5", "2026-08-01T01:00:00Z", reason="fraud"),        # not an IPR reason
        _closure("A6", "M5", "2026-08-01T01:00:00Z", action="suspension"),   # not a closure
        # 16:30 UTC on 11-10 is 00:30 on 11-11 in Shanghai: after D, not counted.
        _closure("A7", "M8", "2026-11-10T16:30:00Z"),
    ])
    out = network_reasons(networks, actions, D, TZ, ("counterfeit", "ipr_infringement"))
    na = (f"one of 5 stores sharing a bank account and a phone number (network {NA}); "
          "3 of them closed for counterfeit or IPR infringement since 2026-09-02")
    nb = f"one of 2 stores sharing an email address (network {NB}); none of them closed for IPR reasons"
    expected = [Row(merchant_id=m, network_id=NA, network_reason=na) for m in ("M1", "M2", "M3", "M4", "M5")]
    expected += [Row(merchant_id=m, network_id=NB, network_reason=nb) for m in ("M7", "M8")]
    assertDataFrameEqual(out, expected)


def test_the_sentence_is_appended_to_a_networked_candidate_only(spark):
    candidates = spark.createDataFrame(
        [("M1", 1, ["1 test buy judged counterfeit (on 2026-11-09)"]), ("M9", 2, ["3 upheld notices"])],
        "merchant_id string, rank int, reasons array<string>")
    reasons = spark.createDataFrame([("M1", NA, "one of 5 stores ..."), ("M2", NA, "one of 5 stores ...")],
                                    "merchant_id string, network_id string, network_reason string")
    out = with_network_reasons(candidates, reasons)
    assert out.columns == ["merchant_id", "rank", "reasons"]
    assertDataFrameEqual(out, [
        Row(merchant_id="M1", rank=1, reasons=["1 test buy judged counterfeit (on 2026-11-09)", "one of 5 stores ..."]),
        Row(merchant_id="M9", rank=2, reasons=["3 upheld notices"]),
    ])
