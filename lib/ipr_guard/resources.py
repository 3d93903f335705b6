"""The project's data folders (conf/, expectations/), from a checkout or from the job zip.

In a checkout they sit beside lib/. Under `spark-submit --py-files ipr_guard.zip` the package is imported
from the zip, where `make zip` bundles them as `ipr_guard/_bundle/<name>/`; files inside a zip have no
path, so they are extracted once into a folder under the temporary directory, keyed by the zip's size
and modification time (a new zip gets a new folder).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

BUNDLE = "_bundle"
PACKAGE_DIR = Path(__file__).resolve().parent


def _zip_of(path: Path) -> tuple[Path, str] | None:
    """(the zip file, the member prefix) when `path` lies inside a zip archive, else None."""
    for parent in (path, *path.parents):
        if parent.is_file() and zipfile.is_zipfile(parent):
            return parent, path.relative_to(parent).as_posix()
    return None


def _extract(archive: Path, prefix: str, name: str) -> Path | None:
    members_prefix = f"{prefix}/{BUNDLE}/{name}/"
    stat = archive.stat()
    key = hashlib.sha1(f"{archive}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]  # noqa: S324
    target = Path(tempfile.gettempdir()) / f"ipr-guard-bundle-{key}" / name
    if target.is_dir():
        return target
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if m.startswith(members_prefix) and not m.endswith("/")]
        if not members:
            return None
        # Extracted beside the target and renamed into place: two processes starting together (the
        # driver and a local test) never read a half-written folder.
        staging = target.parent / f".{name}.{uuid.uuid4().hex}"
        for m in members:
            out = staging / m[len(members_prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(m))
    try:
        os.replace(staging, target)
    except OSError:  # another process won the race; its copy is the same
        shutil.rmtree(staging, ignore_errors=True)
    return target if target.is_dir() else None


def project_dir(name: str) -> Path:
    """The project folder `name` (`conf` or `expectations`): beside the sources, else bundled in the zip.

    Returns the checkout's path even when it does not exist, so error messages name the expected place.
    """
    source = PACKAGE_DIR.parents[1] / name
    if source.is_dir():
        return source
    inside = _zip_of(PACKAGE_DIR)
    if inside:
        extracted = _extract(*inside, name)
        if extracted:
            return extracted
    return source
