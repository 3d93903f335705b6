"""SparkSession factory: the only place a session is built; callers pass it down."""
from __future__ import annotations

from pyspark.sql import SparkSession

from ipr_guard.config import SparkConfig
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
    if cfg.delta_jars == "auto":
        jars = ",".join(str(p) for p in delta_jars())
        options["spark.jars"] = ",".join(x for x in (options.get("spark.jars"), jars) if x)
    for key, value in options.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
