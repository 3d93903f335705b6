"""Plain files next to the Delta tables (reports), through Hadoop's FileSystem so object stores work too."""
from __future__ import annotations

import uuid

from pyspark.sql import SparkSession

from ipr_guard.errors import UsageError


def _fs(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), jpath


def write_bytes(spark: SparkSession, path: str, data: bytes) -> None:
    """Writes a file whole: to a temporary name first, then renamed, so readers never see half of it."""
    fs, target = _fs(spark, path)
    jvm = spark.sparkContext._jvm
    tmp = jvm.org.apache.hadoop.fs.Path(f"{path}.{uuid.uuid4().hex}.tmp")
    fs.mkdirs(target.getParent())
    out = fs.create(tmp, True)
    try:
        out.write(bytearray(data))
    finally:
        out.close()
    if fs.exists(target):
        fs.delete(target, False)
    if not fs.rename(tmp, target):
        raise OSError(f"could not move {tmp} to {path}")


def ensure_writable(spark: SparkSession, root: str) -> None:
    """Fails with one clear line when the lakehouse cannot be created or written."""
    try:
        fs, p = _fs(spark, root)
        fs.mkdirs(p)
        probe = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/.write-probe-{uuid.uuid4().hex}")
        fs.create(probe, True).close()
        fs.delete(probe, False)
    except Exception as e:  # noqa: BLE001 - any failure means the same thing to the user
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UsageError(f"lakehouse {root} cannot be written: {msg[:200]}") from None
