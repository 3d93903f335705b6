"""Delta Lake's JVM jars, fetched from Maven Central into a local cache and handed to Spark as files.

Why not `spark.jars.packages`: Spark's Ivy resolution does reach Maven Central from here, but it also
asks the spark-packages repository (unreachable here, an error on every start) and pulls Delta's
transitive dependencies (jackson 2.13, hadoop-client, parquet, log4j) beside Spark's own newer copies.
Delta needs only its two jars on top of Spark, so we fetch exactly those, check their SHA-1 against
the registry's, and cache them; a cluster gets the same files through `spark-submit --jars`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import urllib.request
from pathlib import Path

from ipr_guard.errors import IprGuardError

log = logging.getLogger(__name__)

DELTA_VERSION = "4.4.0"
SPARK_LINE = "4.1"
SCALA = "2.13"
MAVEN = os.environ.get("IPR_GUARD_MAVEN_URL", "https://repo1.maven.org/maven2")
ARTIFACTS = (
    ("io.delta", f"delta-spark_{SPARK_LINE}_{SCALA}", DELTA_VERSION),
    ("io.delta", "delta-storage", DELTA_VERSION),
)


def jar_cache_dir() -> Path:
    """$IPR_GUARD_JAR_CACHE, else ~/.cache/ipr-guard/jars."""
    return Path(os.environ.get("IPR_GUARD_JAR_CACHE", Path.home() / ".cache" / "ipr-guard" / "jars"))


def _url(group: str, artifact: str, version: str) -> str:
    return f"{MAVEN}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"


def _download(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed https registry
        return resp.read()


def delta_jars(cache: Path | None = None) -> list[Path]:
    """Returns the Delta jars, downloading and verifying those not yet in the cache.

    Raises:
        IprGuardError: the registry cannot be reached or a checksum does not match.
    """
    cache = cache or jar_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for group, artifact, version in ARTIFACTS:
        target = cache / f"{artifact}-{version}.jar"
        if not target.exists():
            url = _url(group, artifact, version)
            log.info("fetching %s", url)
            try:
                data = _download(url)
                want = _download(url + ".sha1").decode().split()[0].strip()
            except OSError as e:
                raise IprGuardError(f"cannot fetch Delta jar {artifact}-{version} from {MAVEN}: {e}") from e
            got = hashlib.sha1(data).hexdigest()  # noqa: S324 - Maven publishes SHA-1 sums
            if got != want:
                raise IprGuardError(f"checksum mismatch for {url}: got {got}, registry says {want}")
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(target)
        paths.append(target)
    return paths
