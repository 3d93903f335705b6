"""Keyed pseudonyms of personal data: HMAC-SHA256 in hex, keyed with the UTF-8 bytes of a secret.

The key comes from the environment variable named in config (IPR_GUARD_HMAC_KEY) or, failing that,
from a key file outside the repository. It is never logged, written, or put in a Spark plan as a
literal: the pseudonymising function carries it inside a pickled Python closure.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Callable

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ipr_guard.config import PrivacyConfig
from ipr_guard.errors import UsageError


def load_hmac_key(cfg: PrivacyConfig) -> bytes:
    """Returns the pseudonymisation key: the environment variable, else the configured key file.

    Raises:
        UsageError: no key, or a key shorter than cfg.min_key_chars (the message never shows the key).
    """
    value = os.environ.get(cfg.hmac_key_env)
    source = f"environment variable {cfg.hmac_key_env}"
    if not value and cfg.hmac_key_file:
        path = Path(cfg.hmac_key_file).expanduser()
        if not path.is_file():
            raise UsageError(f"no HMAC key: {cfg.hmac_key_env} is not set and key file {path} does not exist")
        value = path.read_text(encoding="utf-8").strip()
        source = f"key file {path}"
    if not value:
        raise UsageError(f"no HMAC key: set {cfg.hmac_key_env} (at least {cfg.min_key_chars} characters) "
                         f"or privacy.hmac_key_file")
    if len(value) < cfg.min_key_chars:
        raise UsageError(f"the HMAC key from {source} is shorter than {cfg.min_key_chars} characters")
    return value.encode("utf-8")


def ensure_demo_key(path: Path) -> Path:
    """Creates a random local key file for the demo (mode 600) unless one exists; returns its path."""
    path = path.expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path


def pseudonym(key: bytes, value: str | None) -> str | None:
    """The keyed pseudonym of one raw value (None stays None)."""
    if value is None:
        return None
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymiser(key: bytes) -> Callable[[Column], Column]:
    """Returns a function mapping a string column to its pseudonym column (vectorised pandas UDF)."""

    @F.pandas_udf(T.StringType())
    def pseudonymise(values: pd.Series) -> pd.Series:
        return values.map(lambda v: pseudonym(key, v) if isinstance(v, str) else None)

    return lambda col: pseudonymise(col)
