"""SparkSession factory: the only place a session is built; callers pass it down."""
from __future__ import annotations

import logging
import os
import sys

from pyspark.logger import PySparkLogger
from pyspark.sql import SparkSession

from ipr_guard.config import SparkConfig, default_conf_dir
from ipr_guard.jars import delta_jars


def build_spark_session(cfg: SparkConfig, extra_options: dict[str, str] | None = None) -> SparkSession:
    """Builds (or joins, under spark-submit) a session with Delta's SQL extension and catalog.

    Args:
        cfg: the validated Spark settings (master, options, how Delta's jars arrive).
        extra_options: options that win over `cfg.options` (tests use this).
    """
    builder = SparkSession.builder.appName(cfg.app_name)
    if cfg.master:
        builder = builder.master(cfg.master)
    options = {**cfg.options, **(extra_options or {})}
    master = options.get("spark.master", cfg.master) or ""
    if master.startswith("local"):
        # Python workers must run this interpreter (the venv with ipr_guard), not whatever python3 is on PATH.
        # (The conf key spark.pyspark.python is not honoured for local workers here; the variable is.)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log4j = default_conf_dir() / "log4j2.properties"
    if master.startswith("local") and log4j.is_file() and "spark.driver.extraJavaOptions" not in options:
        # Only errors from the JVM: its start-up warnings would bury the run's own progress and errors.
        options["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j.resolve()}"
    if cfg.delta_jars == "auto":
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
