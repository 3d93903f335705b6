"""`ipr-guard networks` on a hand-built lakehouse over two published nights: ids and sizes worked by
hand, the incremental night equal to `--full`, a rerun that changes nothing, and a clear refusal of a
date the nightly has not published."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest
from pyspark.sql import functions as F

from ipr_guard import catalog, cli
from ipr_guard.io import delta
from ipr_guard.pipelines.nightly import RUNS_SCHEMA
from tests.unit.builders import silver_df

D1, D2, D3 = dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)


def _merchant(mid, phone=None, email=None, bank=None, day=D1):
    return {"merchant_id": mid, "store_name": f"store {mid}", "contact_phone": phone, "contact_email": email,
            "bank_account": bank, "status": "active", "updated_at": "2026-10-01T00:00:00Z", "_ingest_date": day}


# Night 1: M1 and M2 share a bank account; M3 is alone. Night 2: M3 takes M2's phone (delivered on D2), and
# the new M4 and M5 share an e-mail address.
NIGHT_1 = [_merchant("M1", bank="bank-1"), _merchant("M2", bank="bank-1", phone="phone-2"), _merchant("M3")]
NIGHT_2 = [_merchant("M1", bank="bank-1"), _merchant("M2", bank="bank-1", phone="phone-2"),
           _merchant("M3", phone="phone-2", day=D2), _merchant("M4", email="mail-4", day=D2),
           _merchant("M5", email="mail-4", day=D2)]
CLOSURE = {"action_id": "A1", "merchant_id": "M2", "action": "closure", "reason": "counterfeit",
           "decided_at": "2026-09-20T02:00:00Z", "reversed": False, "updated_at": "2026-09-20T02:00:00Z"}


def _publish(spark, root, merchants, day):
    path = lambda ref: catalog.table_path(root, ref)  # noqa: E731
    delta.create(silver_df(spark, "merchants", merchants), path("silver/merchants"))
    delivered = silver_df(spark, "merchants", [m for m in merchants if m["_ingest_date"] == day])
    (delta.append if delta.exists(spark, path("bronze/merchants")) else delta.create)(delivered, path("bronze/merchants"))
    t = dt.datetime(2026, 11, 1)
    delta.append(spark.createDataFrame([(f"run-{day}", day, "published", t, t, None, "{}", json.dumps({}))],
                                       RUNS_SCHEMA), path("meta/runs"))


def _networks(root, day, *extra):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["networks", "--date", str(day), "--lakehouse", root, *extra])
    return code, out.getvalue(), err.getvalue()


def _rows(spark, root, ref, day):
    df = delta.read(spark, catalog.table_path(root, ref)).where(F.col("run_date") == F.lit(day)).drop("run_date")
    return sorted(tuple(r) for r in df.collect())


@pytest.fixture(scope="module")
def root(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("networks") / "lake")
    delta.create(silver_df(spark, "enforcement_actions", [CLOSURE]), catalog.table_path(root, "silver/enforcement_actions"))
    _publish(spark, root, NIGHT_1, D1)
    return root


def test_two_nights_keep_the_ids_worked_by_hand_and_the_incremental_night_equals_a_full_one(spark, root):
    code, out, _ = _networks(root, D1)
    assert code == 0 and f"store networks for {D1} (full): 2 stores in 1 networks; 0 merged, 0 split off" in out
    first = "N-20261001-M1"
    assert _rows(spark, root, "gold/store_networks", D1) == [
        ("M1", first, 2, 1, D1, ["bank_account"]), ("M2", first, 2, 1, D1, ["bank_account"])]

    _publish(spark, root, NIGHT_2, D2)
    code, out, _ = _networks(root, D2)
    assert code == 0 and f"store networks for {D2} (incremental): 5 stores in 2 networks" in out, out
    second = "N-20261002-M4"
    expected = [("M1", first, 3, 1, D1, ["bank_account"]), ("M2", first, 3, 1, D1, ["bank_account", "contact_phone"]),
                ("M3", first, 3, 1, D2, ["contact_phone"]), ("M4", second, 2, 0, D2, ["contact_email"]),
                ("M5", second, 2, 0, D2, ["contact_email"])]
    assert _rows(spark, root, "gold/store_networks", D2) == expected
    assert _rows(spark, root, "meta/network_merges", D2) == []
    versions = delta.version(spark, catalog.table_path(root, "gold/store_networks"))

    # The same night recomputed in full, then again incrementally: the same rows, replaced (not added).
    assert _networks(root, D2, "--full")[0] == 0
    assert _rows(spark, root, "gold/store_networks", D2) == expected
    assert _networks(root, D2)[0] == 0
    assert _rows(spark, root, "gold/store_networks", D2) == expected
    assert delta.version(spark, catalog.table_path(root, "gold/store_networks")) == versions + 2
    assert delta.read(spark, catalog.table_path(root, "gold/store_networks")).count() == 2 + 5


def test_a_date_the_nightly_has_not_published_is_one_clear_line(root):
    code, out, err = _networks(root, D3)
    assert code != 0 and out == ""
    assert err.strip() == f"ipr-guard: error: {D3} is not published on {root}: run the nightly for it first"
