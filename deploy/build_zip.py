"""Builds the job zip for `spark-submit --py-files`: the ipr_guard package plus conf/ and expectations/.

Usage: python deploy/build_zip.py OUT.zip   (run from the repository root; `make zip` does it)

Spark puts zips (not wheels) on the driver's and executors' Python path. conf/ and expectations/ go
inside the package as `ipr_guard/_bundle/`, found at run time by `ipr_guard.resources.project_dir`, so
the zip is the whole job: no checkout is needed on the driver. Entries carry a fixed timestamp and a
sorted order, so the same sources give the same zip bytes.
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
BUNDLED = ("conf", "expectations")


def _entries() -> list[tuple[str, Path]]:
    pkg = ROOT / "lib" / "ipr_guard"
    out = [(f"ipr_guard/{p.relative_to(pkg).as_posix()}", p) for p in pkg.rglob("*")
           if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]
    for name in BUNDLED:
        folder = ROOT / name
        out += [(f"ipr_guard/_bundle/{name}/{p.relative_to(folder).as_posix()}", p) for p in folder.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts]
    return sorted(out)


def build(target: Path) -> int:
    """Writes the zip to `target` (via a temporary name) and returns the number of files in it."""
    entries = _entries()
    tmp = target.with_suffix(".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in entries:
            info = zipfile.ZipInfo(arcname, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    tmp.replace(target)
    return len(entries)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python deploy/build_zip.py OUT.zip")
    n = build(Path(sys.argv[1]))
    print(f"{sys.argv[1]}: {n} files")
