"""Candidates from model scores and hard rules: who is listed, action, rank and the reviewer's reasons."""
from __future__ import annotations

import datetime as dt

from ipr_guard.transforms.model_candidates import evidence_sentences, score_reasons, scored_candidates

D = dt.date(2026, 10, 31)
NUMERIC = ("low_price_listings", "low_price_share", "branded_listings", "min_price_ratio", "reused_image_listings",
           "listings_total", "keyword_listings", "upheld_notices_90d", "counterfeit_takedowns",
           "unauthorized_branded_listings", "unauthorized_branded_share", "counterfeit_test_buys",
           "linked_closed_stores", "sales_velocity", "verification_level", "score")
SCHEMA = ("merchant_id string, store_name string, reused_image_example string, identity_link_reasons array<string>, "
          + ", ".join(f"{c} double" for c in NUMERIC))


def store(merchant_id: str, score: float, **values) -> tuple:
    base = {c: 0.0 for c in NUMERIC} | {"verification_level": 2.0, "min_price_ratio": 1.0, "listings_total": 12.0,
                                          "score": score}
    base |= values
    return (merchant_id, f"store {merchant_id}", values.get("reused_image_example"), values.get("identity_link_reasons", []),
            *[float(base[c]) for c in NUMERIC])


def flags(spark, rows):
    return spark.createDataFrame(rows, "merchant_id string, rules_fired array<string>, reasons array<string>, "
                                       "upheld_notices_30d bigint")


def candidates(spark, scored_rows, flag_rows, importance=None):
    scored = spark.createDataFrame(scored_rows, SCHEMA)
    sentences = evidence_sentences(D, 0.3, 90)
    return scored_candidates(D, scored, flags(spark, flag_rows), 0.2, ("shared_identity",), ("counterfeit_test_buy",),
                             {"counterfeit_test_buy": 0.95, "shared_identity": 0.85, "upheld_notices": 0.75},
                             {"close": 0.9, "suspend": 0.8}, score_reasons(importance or {}, sentences),
                             "ipr_guard_counterfeit_seller", "3")


def test_threshold_and_hard_rules_decide_who_is_listed(spark):
    rows = [
        store("MA", 0.6, low_price_listings=7, branded_listings=12, low_price_share=7 / 12, min_price_ratio=0.15),
        store("MB", 0.05, counterfeit_test_buys=1),
        store("MF", 0.05, counterfeit_test_buys=1),
        store("MG", 0.5, counterfeit_test_buys=1),
        store("MC", 0.1),
        store("MD", 0.1, upheld_notices_90d=4),
        store("ME", 0.3, linked_closed_stores=1, identity_link_reasons=["shares a bank account with store M9, "
                                                                        "closed for counterfeit on 2026-09-03"]),
    ]
    flag_rows = [
        ("MB", ["counterfeit_test_buy", "upheld_notices"], ["1 test buy judged counterfeit (on 2026-10-20)",
                                                           "3 upheld rights-holder notices in the 30 days to 2026-10-31"], 3),
        ("MF", ["counterfeit_test_buy"], ["1 test buy judged counterfeit (on 2026-10-21)"], 0),
        ("MG", ["counterfeit_test_buy"], ["1 test buy judged counterfeit (on 2026-10-22)"], 0),
        ("MD", ["upheld_notices"], ["4 upheld rights-holder notices in the 30 days to 2026-10-31"], 4),
        ("ME", ["shared_identity"], ["shares a bank account with store M9, closed for counterfeit on 2026-09-03"], 0),
    ]
    got = {r["merchant_id"]: r for r in candidates(spark, rows, flag_rows).collect()}
    # MC is under the threshold; MD's only rule (upheld notices) is not a hard rule: left to the model.
    # MF's lone test buy is not corroborated (no other rule, score under the threshold); MB's is (notices),
    # MG's by its score, which the test buy's rule score then raises.
    assert sorted(got) == ["MA", "MB", "ME", "MG"]
    assert [(m, got[m]["rank"], got[m]["risk_score"], got[m]["recommended_action"]) for m in ("MG", "MB", "ME", "MA")] == [
        ("MG", 1, 0.95, "close"), ("MB", 2, 0.95, "close"), ("ME", 3, 0.85, "suspend"), ("MA", 4, 0.6, "review")]
    assert got["MA"]["reasons"] == [
        "counterfeit-seller model score 0.60 (ipr_guard_counterfeit_seller v3; listed at 0.2 and above)",
        "7 of 12 branded listings priced under 30% of the brand's reference price (lowest at 15%)",
    ]
    # The rule's sentence comes first and is not repeated by the model's evidence.
    assert got["MB"]["reasons"] == ["1 test buy judged counterfeit (on 2026-10-20)",
                                    "3 upheld rights-holder notices in the 30 days to 2026-10-31",
                                    "counterfeit-seller model score 0.05 (ipr_guard_counterfeit_seller v3; "
                                    "listed at 0.2 and above)"]
    assert got["ME"]["rules_fired"] == ["shared_identity"]
    assert got["MB"]["upheld_notices_30d"] == 3
    assert (got["MA"]["model_name"], got["MA"]["model_version"], got["MA"]["model_score"]) == (
        "ipr_guard_counterfeit_seller", "3", 0.6)


def test_reasons_follow_the_models_importance(spark):
    row = store("MA", 0.9, low_price_listings=2, branded_listings=4, low_price_share=0.5, min_price_ratio=0.2,
                reused_image_listings=3, reused_image_example="L77")
    reused = "3 of 12 listings reuse the main image of a listing taken down for counterfeiting (e.g. L77)"
    low = "2 of 4 branded listings priced under 30% of the brand's reference price (lowest at 20%)"
    first = candidates(spark, [row], [], {"reused_image_share": 0.9, "low_price_share": 0.1}).first()
    second = candidates(spark, [row], [], {"reused_image_share": 0.1, "low_price_share": 0.9}).first()
    assert first["reasons"][1:] == [reused, low]
    assert second["reasons"][1:] == [low, reused]
    assert first["recommended_action"] == "close"
