"""The `ipr-guard` command line: parses arguments, loads config, builds the session, calls one run."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

from ipr_guard.errors import IprGuardError, UsageError

log = logging.getLogger("ipr_guard")


def parse_date(text: str) -> dt.date:
    """A calendar date as YYYY-MM-DD, or a usage error naming the bad value."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the contract for bad input) and exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(p: argparse.ArgumentParser, paths: bool = True) -> None:
    p.add_argument("--env", default="local",
                   help="configuration layer under conf/ on top of conf/base (default: local, the embedded default)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one configuration value, e.g. --set ingest.max_bad_share=0.05 (repeatable)")
    if paths:
        p.add_argument("--landing", help="landing folder laid out as <table>/ingest_date=YYYY-MM-DD/part-*")
        p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="ipr-guard",
        description="Nightly batch analytics against counterfeit sellers: ingest the marketplace's feeds into "
                    "Delta tables, publish enforcement KPIs and store-closure candidates.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    p = sub.add_parser("nightly", help="take in every delivery up to a date and publish that date's outputs",
                       description="Takes in every landing delivery day up to --date not yet taken in, refreshes "
                                   "silver, and publishes enforcement_kpis, closure_candidates and listing_risk "
                                   "for --date, with the reviewers' files under <lakehouse>/reports/DATE/.")
    p.add_argument("--date", required=True, type=parse_date, help="run date D (a day in the marketplace's time zone)")
    p.add_argument("--force", action="store_true", help="republish D even if it was published already")
    p.add_argument("--override-gates", metavar="REASON",
                   help="publish despite a broken-feed gate; the reason is recorded with the run")
    _common(p)

    p = sub.add_parser("backfill", help="run the nightly for each day of a range, in order",
                       description="Runs the nightly for each day from --start to --end in order; days already "
                                   "published are skipped unless --force.")
    p.add_argument("--start", required=True, type=parse_date, help="first run date")
    p.add_argument("--end", required=True, type=parse_date, help="last run date (inclusive)")
    p.add_argument("--force", action="store_true", help="recompute days already published")
    p.add_argument("--train", action="store_true",
                   help="after each day: train when due and apply the promotion gate, as the schedule does")
    _common(p)

    p = sub.add_parser("train", help="train and register a classifier as challenger, with the gate's verdict",
                       description="Builds labelled examples from enforcement decisions (features as of the day "
                                   "before each decision), trains a gradient-boosted model and a logistic "
                                   "regression, logs both to MLflow, registers the better one as `challenger` "
                                   "and records the promotion gate's verdict with it (`ipr-guard promote` acts "
                                   "on it). A date's model is registered once. The nightly never trains.")
    p.add_argument("--date", required=True, type=parse_date, help="training run date D (labels known by its end)")
    p.add_argument("--if-due", action="store_true",
                   help="train only when the champion is missing, model.retrain_every_days old, or drifted "
                        "(the schedule's cadence)")
    _common(p)

    p = sub.add_parser("promote", help="apply the promotion gate to a date's trained model; champion if it passes",
                       description="Applies the promotion gate (model.min_pr_auc, min_precision, min_recall and "
                                   "promotion_margin over the champion on the same validation data) to the "
                                   "version `ipr-guard train --date D` registered, and moves the `champion` "
                                   "alias to it if it passes. Reads the registry only. Exits 0 whether or not "
                                   "it promoted; the line printed says which and why.")
    p.add_argument("--date", required=True, type=parse_date, help="the training run date whose model is judged")
    _common(p)

    p = sub.add_parser("evaluate", help="measure the candidate list against a held-out marketplace's ground truth",
                       description="Generates a training marketplace and a held-out one (another seed and size) "
                                   "under --out, runs the nightly, train and promote on the first (its champion), scores "
                                   "the second with that champion, and reports precision and recall per kind of "
                                   "store, the rules-only comparison and listing_risk's average precision.")
    p.add_argument("--out", type=Path, default=Path("evaluation"), help="folder (default ./evaluation)")
    p.add_argument("--train-stores", type=int, default=400, help="stores of the training marketplace (400)")
    p.add_argument("--train-seed", type=int, default=7, help="seed of the training marketplace (7)")
    p.add_argument("--stores", type=int, default=600, help="stores of the held-out marketplace (600)")
    p.add_argument("--seed", type=int, default=2027, help="seed of the held-out marketplace (2027)")
    p.add_argument("--days", type=int, default=60, help="delivery days of both (60)")
    _common(p, paths=False)

    p = sub.add_parser("generate", help="write a synthetic marketplace landing folder (and its ground truth)",
                       description="Writes <out>/landing (the feeds, with the contract's mess) and <out>/truth "
                                   "(ground truth the pipeline never reads). Deterministic by --seed.")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--stores", type=int, default=400, help="number of stores (default 400)")
    p.add_argument("--days", type=int, default=60, help="number of delivery days (default 60)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--end-date", type=parse_date, default=None, help="last delivery day (default 2026-10-31)")

    p = sub.add_parser("demo", help="generate a marketplace and run the nightly for its last day",
                       description="Generates a marketplace under --out, runs the nightly for its last day on "
                                   "the embedded default, and prints where the tables and files are.")
    p.add_argument("--out", type=Path, default=Path("demo"), help="demo folder (default ./demo)")
    p.add_argument("--stores", type=int, default=400, help="number of stores (default 400)")
    p.add_argument("--days", type=int, default=60, help="number of delivery days (default 60)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    _common(p, paths=False)

    p = sub.add_parser("share", help="publish an affiliate's views of the gold tables (no copies), logging access",
                       description="Registers views <affiliate>__<table> over the gold Delta tables with only the "
                                   "columns conf grants to the affiliate (sharing.affiliates), records the access "
                                   "in meta/share_access_log, prints each view's columns and first rows, and the "
                                   "CREATE VIEW statement a metastore deployment runs instead.")
    p.add_argument("--affiliate", required=True, help="affiliate name from sharing.affiliates in conf")
    p.add_argument("--show", type=int, default=5, help="rows of each view to print (default 5)")
    _common(p)

    p = sub.add_parser("review", help="take in reviewers' decisions on a day's closure candidates",
                       description="Reviewers' decisions on the closure candidates of a run date.")
    review_sub = p.add_subparsers(dest="review_command", metavar="ACTION", required=True, parser_class=_Parser)
    p = review_sub.add_parser(
        "import", help="check a reviewers' return file and store its decisions",
        description="Checks the whole file (CSV UTF-8 with merchant_id, decision, reviewer, note; decision "
                    "confirm, reject or needs_more_evidence; rows with an empty decision are skipped) against "
                    "the closure candidates published for --date, lists every problem with its line number "
                    "and imports nothing if there is one; otherwise stores the decisions in "
                    "meta/review_decisions (reviewer pseudonymised). Re-importing a file changes nothing; a "
                    "later file's decision for a store replaces the earlier one.")
    p.add_argument("file", help="the return file (e.g. the exported closure_candidates.csv, filled in)")
    p.add_argument("--date", required=True, type=parse_date, help="run date D of the candidate list decided on")
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")
    p.add_argument("--env", default="local", help="configuration layer under conf/ on top of conf/base")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one configuration value (repeatable)")

    p = sub.add_parser("candidates", help="reprint a past run's candidate list exactly as it was published",
                       description="Reads gold closure_candidates at the table version the latest published run "
                                   "for --date recorded in meta/runs (Delta time travel), so later reruns do not "
                                   "change it, and prints it with the run id, model version and table versions.")
    p.add_argument("--date", required=True, type=parse_date, help="run date D of the list")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("kpis", help="print the enforcement KPIs of a period and write their charts",
                       description="Prints one line per day of gold enforcement_kpis from --start to --end (as "
                                   "of the latest published run) and writes the KPI charts (PNG, with the target "
                                   "lines of reports.kpi_targets) to --out.")
    p.add_argument("--start", required=True, type=parse_date, help="first kpi_date")
    p.add_argument("--end", required=True, type=parse_date, help="last kpi_date (inclusive)")
    p.add_argument("--out", help="folder for the charts (default <lakehouse>/reports/kpis_START_END)")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("networks", help="find the store networks of a published date (stable ids, merges, splits)",
                       description="Joins stores sharing an identity value (bank account, ID document, phone, "
                                   "email; their keyed pseudonyms) into networks, keeping each network's id "
                                   "from the latest earlier night, and replaces the date's rows of "
                                   "gold/store_networks and meta/network_merges. Incremental from the stores "
                                   "delivered since that night unless --full. Run it after the nightly for D.")
    p.add_argument("--date", required=True, type=parse_date, help="the published run date D")
    p.add_argument("--full", action="store_true", help="recompute every network instead of the changed ones")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("dossier", help="write one store's evidence dossier for a period (JSON, HTML, PDF)",
                       description="Writes <lakehouse>/reports/dossiers/M_START_END/ with dossier.json (sorted "
                                   "keys; its SHA-256 is printed and stated in the others), dossier.html "
                                   "(self-contained) and dossier.pdf: the store's infringing listings and their "
                                   "evidence, infringing GMV (paid orders, per month and brand), a timeline of "
                                   "events, its store network, its closure-candidate history as published and "
                                   "the table versions and runs read. No personal data.")
    p.add_argument("--merchant", required=True, help="merchant_id of the store (in silver merchants)")
    p.add_argument("--start", required=True, type=parse_date, help="first day of the period (market time zone)")
    p.add_argument("--end", required=True, type=parse_date, help="last day of the period (inclusive)")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("brand-report", help="write a brand's infringing stores for its rights holder (JSON, HTML)",
                       description="Writes <lakehouse>/reports/brands/B_START_END/ with brand_report.json (sorted "
                                   "keys; its SHA-256 is printed and stated in the page) and brand_report.html "
                                   "(self-contained): the stores with infringing listings of the brand that sold "
                                   "on them or had evidence against them in the period, with their infringing "
                                   "GMV, takedowns, notices and response times, and test buys. Only the columns "
                                   "sharing.rights_holders.brand_report grants; each request is recorded in "
                                   "meta/share_access_log. No personal data.")
    p.add_argument("--brand", required=True, help="brand_id of the brand (in silver brands)")
    p.add_argument("--start", required=True, type=parse_date, help="first day of the period (market time zone)")
    p.add_argument("--end", required=True, type=parse_date, help="last day of the period (inclusive)")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("maintain", help="compact small files (OPTIMIZE) and VACUUM every Delta table",
                       description="Under the lakehouse lock (never during a nightly): compacts the small files "
                                   "of every bronze, silver, gold, meta and quarantine Delta table, VACUUMs them "
                                   "with maintenance.vacuum_retention_hours, and logs files before and after per "
                                   "table in meta/maintenance_log.")
    p.add_argument("--date", type=parse_date, default=None,
                   help="day recorded in the log (default: today in the marketplace's time zone)")
    _common(p, paths=False)
    p.add_argument("--lakehouse", help="folder (or object-store URI) holding the Delta tables and reports")

    p = sub.add_parser("privacy-notice", help="write the plain-language privacy notice and the record of processing",
                       description="Generates, from the schema's PII marks and the configuration (erasure window, "
                                   "review settings, sharing grants), the privacy notice as Markdown and HTML in "
                                   "English and Simplified Chinese, and the record of processing as CSV, under "
                                   "--out. Starts no Spark session.")
    p.add_argument("--lang", choices=("en", "zh", "all"), default="all", help="language of the notice (default all)")
    p.add_argument("--out", type=Path, default=Path("docs"), help="output folder (default ./docs)")
    _common(p, paths=False)

    sub.add_parser("jars", help="fetch Delta's JVM jars into the local cache and print their paths",
                   description="Fetches Delta's jars from Maven Central into $IPR_GUARD_JAR_CACHE "
                               "(default ~/.cache/ipr-guard/jars), checks them, and prints their paths "
                               "comma-separated, ready for spark-submit --jars.")
    sub.add_parser("assets", help="fetch the web assets Data Docs load (jQuery, Bootstrap, Vega, ...) into the cache",
                   description="Fetches the scripts, stylesheets and fonts GX's Data Docs load, at pinned versions, "
                               "from the npm registry into $IPR_GUARD_ASSET_CACHE (default "
                               "~/.cache/ipr-guard/data-docs-assets), checks each file's sha256, and prints the "
                               "folder. Each run's Data Docs get a copy under static/vendor/, so they work offline.")
    return ap


def _load(args):
    from ipr_guard.config import load_config
    from ipr_guard.pipelines.demo import lakehouse_overrides
    paths = getattr(args, "landing", None), getattr(args, "lakehouse", None)
    cfg = load_config(args.env, args.overrides).with_paths(*paths)
    # A lakehouse may record settings of its own (the demo's names its key file): above conf/, below --set.
    recorded = lakehouse_overrides(cfg.lakehouse)
    return load_config(args.env, recorded + args.overrides).with_paths(*paths) if recorded else cfg


def _session(cfg):
    from ipr_guard.session import build_spark_session
    return build_spark_session(cfg.spark)


def cmd_nightly(args) -> int:
    from ipr_guard.pipelines import nightly
    cfg = _load(args)
    result = nightly.run(_session(cfg), cfg, args.date, force=args.force, override_reason=args.override_gates)
    print(result.summary())
    return 0


def cmd_backfill(args) -> int:
    from ipr_guard.pipelines import backfill
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    cfg = _load(args)
    backfill.run(_session(cfg), cfg, args.start, args.end, force=args.force, train=args.train)
    return 0


def cmd_train(args) -> int:
    from ipr_guard.pipelines import train
    cfg = _load(args)
    print(train.run(_session(cfg), cfg, args.date, if_due=args.if_due))
    return 0


def cmd_promote(args) -> int:
    from ipr_guard.pipelines import promote
    # The registry only: no Spark session is built.
    print(promote.run(_load(args), args.date).summary())
    return 0


def cmd_evaluate(args) -> int:
    from ipr_guard.pipelines import evaluate
    cfg = _load(args)
    return evaluate.run(cfg, args.out, train_stores=args.train_stores, train_seed=args.train_seed,
                        stores=args.stores, seed=args.seed, days=args.days, build_session=_session)


def cmd_generate(args) -> int:
    from ipr_guard.generate.marketplace import generate_marketplace
    if args.stores < 10 or args.days < 2:
        raise UsageError("--stores must be at least 10 and --days at least 2")
    kw = {"end_date": args.end_date} if args.end_date else {}
    summary = generate_marketplace(args.out, stores=args.stores, days=args.days, seed=args.seed, **kw)
    print(summary)
    return 0


def cmd_demo(args) -> int:
    from ipr_guard.pipelines import demo
    cfg = _load(args)
    return demo.run(cfg, args.out, stores=args.stores, days=args.days, seed=args.seed, build_session=_session)


def cmd_share(args) -> int:
    import uuid
    from ipr_guard.errors import AccessDenied
    from ipr_guard.privacy.sharing import publish_views, view_sql
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    spark = _session(cfg)
    try:
        names = publish_views(spark, cfg.lakehouse, args.affiliate, cfg.sharing, f"share-{uuid.uuid4().hex[:8]}")
    except PermissionError as e:
        raise AccessDenied(str(e)) from None
    for name in names:
        view = spark.table(name)
        print(f"view {name}: columns {', '.join(view.columns)}")
        view.show(args.show, truncate=False)
        print(view_sql(cfg.lakehouse, args.affiliate, name.split("__", 1)[1], cfg.sharing), end="\n\n")
    return 0


def cmd_review(args) -> int:
    from ipr_guard.pipelines import review
    cfg = _load(args)
    print(review.run_import(_session(cfg), cfg, args.file, args.date).summary())
    return 0


def cmd_candidates(args) -> int:
    from ipr_guard.pipelines import audit
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    print(audit.run_candidates(_session(cfg), cfg, args.date))
    return 0


def cmd_kpis(args) -> int:
    from ipr_guard.pipelines import audit
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    print(audit.run_kpis(_session(cfg), cfg, args.start, args.end, args.out))
    return 0


def cmd_networks(args) -> int:
    from ipr_guard.pipelines import networks_step
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    print(networks_step.run(_session(cfg), cfg, args.date, full=args.full).summary())
    return 0


def cmd_dossier(args) -> int:
    from ipr_guard.pipelines import dossier
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    print(dossier.run(_session(cfg), cfg, args.merchant, args.start, args.end).summary())
    return 0


def cmd_brand_report(args) -> int:
    from ipr_guard.pipelines import brand_report
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    cfg = _load(args)
    if not cfg.lakehouse:
        raise UsageError("no lakehouse: pass --lakehouse or set paths.lakehouse")
    print(brand_report.run(_session(cfg), cfg, args.brand, args.start, args.end).summary())
    return 0


def cmd_maintain(args) -> int:
    from zoneinfo import ZoneInfo
    from ipr_guard.pipelines import maintain
    cfg = _load(args)
    day = args.date or dt.datetime.now(ZoneInfo(cfg.timezone)).date()
    print(maintain.summary(maintain.run(_session(cfg), cfg, day)))
    return 0


def cmd_assets(args) -> int:
    from ipr_guard.quality.vendor import ASSETS, fetch_assets
    print(f"{len(ASSETS)} Data Docs assets in {fetch_assets()}")
    return 0


def cmd_privacy_notice(args) -> int:
    from ipr_guard.config import load_config
    from ipr_guard.privacy.notice import NoticeCoverageError, write_notice_files
    # No lakehouse: the notice describes the configuration, not one lakehouse's recorded settings.
    cfg = load_config(args.env, args.overrides)
    langs = ("en", "zh") if args.lang == "all" else (args.lang,)
    try:
        paths = write_notice_files(cfg, args.out, langs)
    except NoticeCoverageError as e:
        raise UsageError(str(e)) from None
    for path in paths:
        print(path)
    return 0


def cmd_jars(args) -> int:
    from ipr_guard.jars import delta_jars
    print(",".join(str(p) for p in delta_jars()))
    return 0


COMMANDS = {"nightly": cmd_nightly, "backfill": cmd_backfill, "train": cmd_train, "promote": cmd_promote,
            "evaluate": cmd_evaluate, "generate": cmd_generate, "demo": cmd_demo, "share": cmd_share, "jars": cmd_jars,
            "assets": cmd_assets, "maintain": cmd_maintain, "candidates": cmd_candidates, "kpis": cmd_kpis,
            "review": cmd_review, "privacy-notice": cmd_privacy_notice, "dossier": cmd_dossier,
            "brand-report": cmd_brand_report, "networks": cmd_networks}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ipr-guard` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    for noisy in ("py4j", "urllib3", "great_expectations", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except IprGuardError as e:
        print(f"ipr-guard: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ipr-guard: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
