"""SparkSession factory: the only place a session is built; callers pass it down."""
from __future__ import annotations

import logging
import os
import sys

from pyspark.logger import PySparkLogger
from pyspark.sql import SparkSession

from ipr_guard.config import SparkConfig, default_conf_dir
from ipr_guard.jars import delta_jars


log = logging.getLogger(__name__)


def launcher_conf() -> dict[str, str] | None:
    """The settings spark-submit gave the already-running JVM, or None when Python starts the JVM itself.

    spark-submit (and the pyspark shell) start the JVM first and hand Python its gateway port in
    PYSPARK_GATEWAY_PORT; a session built in a plain Python process has no such variable.
    """
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf, SparkContext
    # Connect to the launcher's JVM first: without it SparkConf() is an empty Python-side dict.
    SparkContext._ensure_initialized()
    return dict(SparkConf().getAll())


def build_spark_session(cfg: SparkConfig, extra_options: dict[str, str] | None = None) -> SparkSession:
    """Builds (or joins, under spark-submit) a session with Delta's SQL extension and catalog.

    Args:
        cfg: the validated Spark settings (master, options, how Delta's jars arrive).
        extra_options: options that win over `cfg.options` and spark-submit's (tests use this).

    Under spark-submit, the submitter's `--master`, `--jars` and `--conf` win over `cfg`: the master
    comes from the command line (conf/cluster leaves it null) and Delta's jars are not added again.
    """
    builder = SparkSession.builder.appName(cfg.app_name)
    launched = launcher_conf()
    options = {**cfg.options, **(extra_options or {})}
    if launched is not None:
        # Under spark-submit the JVM is already running with the submitter's --master, --jars and --conf:
        # those win over the configuration layer (an operator tunes a run without editing conf/).
        kept = {k: v for k, v in options.items() if k not in launched or k in (extra_options or {})}
        skipped = sorted(set(options) - set(kept))
        if skipped:
            log.info("spark-submit settings win over conf for %s", ", ".join(skipped))
        options = kept
    elif cfg.master:
        builder = builder.master(cfg.master)
    master = (launched or {}).get("spark.master") or options.get("spark.master", cfg.master) or ""
    if master.startswith("local"):
        # Python workers must run this interpreter (the venv with ipr_guard), not whatever python3 is on PATH.
        # (The conf key spark.pyspark.python is not honoured for local workers here; the variable is.)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log4j = default_conf_dir() / "log4j2.properties"
    if master.startswith("local") and log4j.is_file() and "spark.driver.extraJavaOptions" not in options:
        # Only errors from the JVM: its start-up warnings would bury the run's own progress and errors.
        options["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j.resolve()}"
    if launched is not None and cfg.delta_jars == "auto":
        # Jars set now would reach the executors but not the driver's class path, which the launcher
        # fixed already: spark-submit must pass them (--jars "$(ipr-guard jars)").
        if "delta-spark" not in launched.get("spark.jars", "") + launched.get("spark.driver.extraClassPath", ""):
            log.warning("spark-submit did not pass Delta's jars (--jars \"$(ipr-guard jars)\"); "
                        "relying on the cluster's class path")
    elif cfg.delta_jars == "auto":
        jars = ",".join(str(p) for p in delta_jars())
        options["spark.jars"] = ",".join(x for x in (options.get("spark.jars"), jars) if x)
    for key, value in options.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # PySpark logs every analysis error as a JSON dump of the whole JVM stack before raising it; the
    # command line reports errors itself, in one line.
    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    return spark
