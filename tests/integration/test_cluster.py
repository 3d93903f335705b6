"""The nightly under spark-submit on a real standalone cluster (loopback) equals the embedded run.

A master and two workers are started from the pyspark installation (bin/spark-class), each worker with
one core, so the application gets two executor JVMs, one per worker. The job is submitted as the README
says (`--py-files dist/ipr_guard.zip --jars <Delta jars> jobs/nightly.py --env cluster`), from a folder
outside the checkout and with a Python that has the dependencies but not ipr_guard: the code, conf/ and
expectations/ can only come from the zip. The embedded default then runs the nightly on the same landing
into another lakehouse, and the published gold tables must be equal. Each run keeps its own MLflow store
(SQLite under its lakehouse). The daemons are stopped by process id at the end.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
from pyspark.testing import assertDataFrameEqual

from ipr_guard.io import delta
from ipr_guard.jars import delta_jars
from ipr_guard.pipelines import nightly
from tests.conftest import TEST_KEY
from tests.landing import D2, build_landing

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPARK_HOME = Path(pyspark.__file__).resolve().parent
GOLD = ("closure_candidates", "listing_risk", "enforcement_kpis", "merchant_features")
# Columns that name the run rather than describe the data (none of the gold tables has one today).
RUN_SPECIFIC = {"run_id", "published_at", "_ingest_run_id"}


@dataclass
class Cluster:
    master_url: str
    master_json: str
    worker_json: list[str]
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def _wait_for(what: str, check, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"standalone cluster: {what} not ready after {timeout:.0f}s")


def _stop(proc: subprocess.Popen) -> None:
    """Stops one daemon by its process id (spark-class execs java, so the pid is the JVM's)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("standalone")
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(root / "logs"), "SPARK_PID_DIR": str(root / "pids"),
           "SPARK_WORKER_DIR": str(root / "work"), "SPARK_DAEMON_MEMORY": "256m",
           "SPARK_NO_DAEMONIZE": "1"}
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    port, webui = _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    master_json = f"http://127.0.0.1:{webui}/json/"
    procs: list[subprocess.Popen] = []

    def launch(name: str, args: list[str]) -> None:
        with open(root / f"{name}.log", "wb") as out:
            procs.append(subprocess.Popen([spark_class, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, cwd=root))

    try:
        launch("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                          "--webui-port", str(webui)])
        _wait_for("master", lambda: _get_json(master_json).get("status") == "ALIVE")
        worker_json = []
        for i in (1, 2):
            wui = _free_port()
            worker_json.append(f"http://127.0.0.1:{wui}/json/")
            launch(f"worker{i}", ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                  "--port", str(_free_port()), "--webui-port", str(wui), "--cores", "1",
                                  "--memory", "1g", "--work-dir", str(root / f"work{i}"), master_url])
        _wait_for("two workers", lambda: sum(w["state"] == "ALIVE" for w in _get_json(master_json)["workers"]) == 2)
        yield Cluster(master_url, master_json, worker_json, root)
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _python_without_ipr_guard(folder: Path) -> Path:
    """A virtual environment that sees the project's dependencies but not the editable ipr_guard.

    Its .pth file adds the project venv's site-packages to the path; .pth files found there (the
    editable install's among them) are not processed, so `import ipr_guard` works only from the zip,
    as on a cluster whose Python has only the native dependencies.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _submit(cluster: Cluster, python: Path, landing: Path, lakehouse: Path, out) -> subprocess.Popen:
    zip_path = ROOT / "dist" / "ipr_guard.zip"
    subprocess.run([sys.executable, str(ROOT / "deploy" / "build_zip.py"), str(zip_path)], check=True,
                   capture_output=True)
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": str(python), "PYSPARK_DRIVER_PYTHON": str(python), "IPR_GUARD_HMAC_KEY": TEST_KEY}
    env.pop("IPR_GUARD_CONF_DIR", None)
    env.pop("PYTHONPATH", None)
    # conf/cluster sizes shuffles for a real cluster and logs events to S3: --conf wins over it.
    confs = {"spark.executor.cores": "1", "spark.executor.memory": "768m", "spark.cores.max": "2",
             "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
             "spark.databricks.delta.snapshotPartitions": "2",
             "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
             "spark.eventLog.enabled": "false", "spark.ui.enabled": "false",
             "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={(ROOT / 'conf' / 'log4j2.properties').as_uri()}"}
    cmd = [str(SPARK_HOME / "bin" / "spark-submit"), "--master", cluster.master_url, "--driver-memory", "1g",
           "--jars", ",".join(str(p) for p in delta_jars()), "--py-files", str(zip_path)]
    for key, value in confs.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd += [str(ROOT / "jobs" / "nightly.py"), "--env", "cluster", "--date", str(D2), "--landing", str(landing),
            "--lakehouse", str(lakehouse), "--set", "model.tracking_uri="]
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cluster.root)


def _without_run_columns(df):
    return df.drop(*[c for c in df.columns if c in RUN_SPECIFIC])


def test_nightly_on_standalone_cluster_equals_embedded_run(spark, cfg, hmac_key, cluster, tmp_path):
    landing = tmp_path / "landing"
    build_landing(landing)
    python = _python_without_ipr_guard(tmp_path / "py")
    probe = subprocess.run([python, "-c", "import ipr_guard"], capture_output=True, cwd=tmp_path)
    assert probe.returncode != 0, "the cluster's Python must not see the checkout's ipr_guard"

    started = time.monotonic()
    with open(cluster.root / "submit.log", "wb") as out:
        submit = _submit(cluster, python, landing, tmp_path / "lake_cluster", out)
        # The embedded run goes on meanwhile, in this process's session: the two share the machine's cores.
        embedded = nightly.run(spark, cfg.with_paths(str(landing), str(tmp_path / "lake_local")), D2)
        code = submit.wait(timeout=900)
    log = (cluster.root / "submit.log").read_text(errors="replace")
    assert code == 0, log[-4000:]
    assert f"run {D2}" in log and "published" in log, log[-4000:]
    assert embedded.status == "published"
    print(f"cluster and embedded nightly: {time.monotonic() - started:.0f}s")

    for name in GOLD:
        on_cluster = delta.read(spark, str(tmp_path / "lake_cluster" / "gold" / name))
        local = delta.read(spark, str(tmp_path / "lake_local" / "gold" / name))
        assert local.count() > 0, name
        assertDataFrameEqual(_without_run_columns(on_cluster), _without_run_columns(local))
    candidates = {r[0] for r in delta.read(spark, str(tmp_path / "lake_cluster" / "gold" / "closure_candidates"))
                  .select("merchant_id").collect()}
    assert candidates == {"M2", "M3"}

    # Both workers ran an executor of the application (the workers' JSON pages), and both executors ran
    # tasks (each executor's log in its worker's work folder; Spark's default executor logging is INFO).
    app = next(a for a in _get_json(cluster.master_json)["completedapps"] if a["name"] == "ipr-guard")
    tasks = {}
    for i, url in enumerate(cluster.worker_json, start=1):
        state = _get_json(url)
        ids = [e["id"] for e in state["finishedexecutors"] + state["executors"] if e["appid"] == app["id"]]
        assert len(ids) == 1, (url, ids)
        stderr = cluster.root / f"work{i}" / app["id"] / str(ids[0]) / "stderr"
        tasks[f"worker{i}/executor{ids[0]}"] = stderr.read_text(errors="replace").count("Running task")
    assert len(tasks) == 2 and all(n > 0 for n in tasks.values()), tasks
    print(f"tasks per executor: {tasks}")
