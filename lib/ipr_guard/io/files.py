"""Plain files next to the Delta tables (reports), through Hadoop's FileSystem so object stores work too."""
from __future__ import annotations

import json
import os
import socket
import time
import uuid

from pyspark.sql import SparkSession

from ipr_guard.errors import UsageError


LOCK_SETTLE_SECONDS = 0.5


def _busy(holder: dict) -> UsageError:
    return UsageError(f"another run ({holder.get('run_id', 'unknown')}, pid {holder.get('pid', '?')} "
                      f"on {holder.get('host', '?')}) is working on this lakehouse; try again when it has finished")


def hadoop_fs(spark: SparkSession, path: str):
    """The Hadoop FileSystem serving `path` (local, s3a://, abfss://, ...) and the path as a Hadoop Path."""
    jvm = spark.sparkContext._jvm
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), jpath


def read_text(spark: SparkSession, path: str) -> str:
    """A small file's whole text (UTF-8), through the Hadoop FileSystem; FileNotFoundError when absent."""
    fs, jpath = hadoop_fs(spark, path)
    if not fs.exists(jpath):
        raise FileNotFoundError(path)
    stream = fs.open(jpath)
    try:
        return spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()


def write_bytes(spark: SparkSession, path: str, data: bytes) -> None:
    """Writes a file whole: to a temporary name first, then renamed, so readers never see half of it."""
    fs, target = hadoop_fs(spark, path)
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
        fs, p = hadoop_fs(spark, root)
        fs.mkdirs(p)
        probe = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/.write-probe-{uuid.uuid4().hex}")
        fs.create(probe, True).close()
        fs.delete(probe, False)
    except Exception as e:  # noqa: BLE001 - any failure means the same thing to the user
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UsageError(f"lakehouse {root} cannot be written: {msg[:200]}") from None


class RunLock:
    """One run at a time per lakehouse: `<lakehouse>/_lock` is created exclusively and removed at the end.

    A lock left by a process that died on this host (SIGKILL, a lost machine) is taken over; a live one
    makes the second run stop with a clear message instead of racing the first for the same tables.
    """

    def __init__(self, spark: SparkSession, root: str, run_id: str):
        self.spark, self.run_id = spark, run_id
        self.fs, self.path = hadoop_fs(spark, f"{root.rstrip('/')}/_lock")

    def _holder(self) -> dict:
        try:
            stream = self.fs.open(self.path)
            try:
                reader = self.spark.sparkContext._jvm.java.io.BufferedReader(
                    self.spark.sparkContext._jvm.java.io.InputStreamReader(stream))
                return json.loads(reader.readLine() or "{}")
            finally:
                stream.close()
        except Exception:  # noqa: BLE001 - unreadable means half-written: treat as stale
            return {}

    def _stale(self, holder: dict) -> bool:
        if holder.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(holder.get("pid", 0)), 0)
        except (ProcessLookupError, ValueError):
            return True
        except PermissionError:
            return False
        return int(holder.get("pid", 0)) <= 0

    def __enter__(self) -> "RunLock":
        body = json.dumps({"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid()})
        for _ in range(2):
            try:
                out = self.fs.create(self.path, False)
            except Exception:  # noqa: BLE001 - FileAlreadyExistsException arrives as a Py4J error
                holder = self._holder()
                if self._stale(holder):
                    self.fs.delete(self.path, False)
                    continue
                raise _busy(holder) from None
            try:
                out.write(bytearray(body.encode()))
            finally:
                out.close()
            # Create-if-absent is a check then a create on some file systems (the local one included):
            # two runs starting in the same instant can both pass it. Reading the lock back after a
            # pause lets only the last writer go on.
            time.sleep(LOCK_SETTLE_SECONDS)
            holder = self._holder()
            if holder.get("run_id") != self.run_id:
                raise _busy(holder)
            return self
        raise UsageError("could not take the lakehouse lock")

    def __exit__(self, *exc) -> None:
        self.fs.delete(self.path, False)
