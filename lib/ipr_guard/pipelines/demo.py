"""The demo: a synthetic marketplace, then the nightly for its last day on the embedded default."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from ipr_guard.config import Config
from ipr_guard.generate.marketplace import generate_marketplace
from ipr_guard.pii import ensure_demo_key
from ipr_guard.pipelines import nightly

DEMO_KEY = Path("~/.config/ipr-guard/demo-hmac.key")


def run(cfg: Config, out: Path, stores: int, days: int, seed: int, build_session: Callable) -> int:
    """Generates `out/landing`, runs the nightly into `out/lakehouse`, prints where things are."""
    t0 = time.monotonic()
    out = out.resolve()
    summary = generate_marketplace(out, stores=stores, days=days, seed=seed)
    print(summary, flush=True)
    if not os.environ.get(cfg.privacy.hmac_key_env) and not cfg.privacy.hmac_key_file:
        # A local random key outside the repo; a real deployment sets IPR_GUARD_HMAC_KEY.
        os.environ[cfg.privacy.hmac_key_env] = ensure_demo_key(DEMO_KEY).read_text().strip()
    cfg = cfg.with_paths(str(out / "landing"), str(out / "lakehouse"))
    spark = build_session(cfg)
    result = nightly.run(spark, cfg, summary.end_date)
    print(result.summary())
    reports = out / "lakehouse" / "reports" / str(summary.end_date)
    print(f"\nlanding:     {out / 'landing'}\nground truth: {out / 'truth'}\nlakehouse:   {out / 'lakehouse'}"
          f"\n  gold tables: {out / 'lakehouse' / 'gold'}/{{closure_candidates,listing_risk,enforcement_kpis}}"
          f"\n  review list: {reports / 'closure_candidates.csv'} (open in a spreadsheet; fill in decision, "
          f"reviewer, note)\n  report:      {reports / 'report.html'} (open in a browser)"
          f"\ndemo finished in {time.monotonic() - t0:.0f}s")
    return 0
