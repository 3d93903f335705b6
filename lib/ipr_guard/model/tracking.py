"""Where MLflow keeps runs, registered models and artifacts.

A local run keeps everything under the lakehouse (`<lakehouse>/mlflow/mlflow.db` and
`<lakehouse>/mlflow/artifacts`), so one folder holds the tables and the models trained on them; a cluster
sets `model.tracking_uri` to a tracking server instead.
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient

from ipr_guard.config import Config
from ipr_guard.errors import UsageError

EXPERIMENT_NAME = "ipr_guard"

# MLflow loggers that report routine housekeeping at INFO (creating and migrating the SQLite schema on
# first use, "URI ... does not point to the current DFS" on every Spark model load); a nightly's log
# should show its own decisions.
_CHATTY_LOGGERS = ("mlflow.store.db.utils", "mlflow.spark", "alembic.runtime.migration")


def _local_root(lakehouse: str | None) -> Path | None:
    """The lakehouse as a local folder, or None when it is an object-store URI (or unset)."""
    if not lakehouse:
        return None
    parsed = urlparse(lakehouse)
    if parsed.scheme in ("", "file"):
        return Path(parsed.path if parsed.scheme else lakehouse).resolve()
    return None


def mlflow_root(cfg: Config) -> Path | None:
    """`<lakehouse>/mlflow` when the lakehouse is a local folder, else None."""
    root = _local_root(cfg.lakehouse)
    return root / "mlflow" if root else None


def tracking_uri_for(cfg: Config) -> str:
    """The tracking (and registry) URI a run uses: `model.tracking_uri`, else SQLite under the lakehouse.

    Raises:
        UsageError: no `model.tracking_uri` and no local lakehouse to hold the SQLite store.
    """
    if cfg.model.tracking_uri:
        return str(cfg.model.tracking_uri)
    db = _sqlite_file(cfg)
    if db is None:
        raise UsageError("no MLflow tracking store: set model.tracking_uri (the lakehouse "
                         f"{cfg.lakehouse!r} is not a local folder that could hold a SQLite store)")
    return f"sqlite:///{db}"


def _sqlite_file(cfg: Config) -> Path | None:
    """The local store's database file, `<lakehouse>/mlflow/mlflow.db`; None for a remote lakehouse."""
    root = mlflow_root(cfg)
    return root / "mlflow.db" if root else None


def store_exists(cfg: Config) -> bool:
    """False only for the local SQLite store when its file is missing: it then holds no model at all.

    A nightly only reads the registry; on a fresh lakehouse (or one whose jobs never trained) it can
    answer "no champion" without creating the store, which costs seconds per run.
    """
    if cfg.model.tracking_uri:
        return True
    db = _sqlite_file(cfg)
    return db is None or db.is_file()


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Silences MLflow's routine INFO logs and Python warnings for the duration of the block.

    The logger levels and the warning filters are restored afterwards, so callers' logging is untouched.
    """
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # e.g. "Hint: Inferred schema contains integer column(s)" and setuptools/pydantic notices.
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def configure_tracking(cfg: Config) -> str:
    """Points MLflow's tracking and registry at this configuration's store and selects the experiment.

    Creates the SQLite store's folder and the `ipr_guard` experiment (artifacts under
    `<lakehouse>/mlflow/artifacts` when the lakehouse is local) if they are missing.

    Args:
        cfg: validated configuration; `cfg.model` must be set.

    Returns:
        The tracking URI now in use (also the registry URI).

    Raises:
        UsageError: no model configuration, or nowhere to keep the store.
    """
    if cfg.model is None:
        raise UsageError("configuration has no model section")
    uri = tracking_uri_for(cfg)
    root = mlflow_root(cfg)
    if root is not None:
        (root / "artifacts").mkdir(parents=True, exist_ok=True)
    with quiet_mlflow():
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if client.get_experiment_by_name(EXPERIMENT_NAME) is None:
            # A tracking server chooses its own artifact store; only a local store is pinned here.
            location = (root / "artifacts").as_uri() if root is not None and not cfg.model.tracking_uri else None
            client.create_experiment(EXPERIMENT_NAME, artifact_location=location)
        mlflow.set_experiment(EXPERIMENT_NAME)
    return uri


def client_for(cfg: Config) -> MlflowClient:
    """A client on this configuration's tracking and registry store (call `configure_tracking` first)."""
    uri = tracking_uri_for(cfg)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)
