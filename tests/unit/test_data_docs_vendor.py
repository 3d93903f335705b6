"""Offline Data Docs: fetching the pinned web assets, rewriting GX's pages to local copies, the check."""
from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from ipr_guard.errors import IprGuardError
from ipr_guard.quality.vendor import Asset, check_offline, external_references, fetch_assets, rewrite_page

# Lines as GX 1.24's templates write them (js_script_imports.j2, page.j2, top_navbar.j2, favicon.j2).
GX_PAGE = """<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM" crossorigin="anonymous"></script>
<link rel="shortcut icon" href="../../../../static/images/favicon.ico" type="image/x-icon"/>
<img class="NO-CACHE" src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261202T060454.518794Z" alt="Great Expectations"/>
.navbar-brand a { background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') 0 0 no-repeat; }
<a href="https://greatexpectations.io">Great Expectations</a>
"""

OFFLINE_PAGE = """<link rel="stylesheet" href="../../../../../static/vendor/bootstrap-4.3.1/dist/css/bootstrap.min.css"/>
<script src="../../../../../static/vendor/vega-5.33.1/build/vega.min.js"></script>
<script src="../../../../../static/vendor/bootstrap-4.3.1/dist/js/bootstrap.min.js"></script>
<link rel="shortcut icon" href="../../../../../static/images/favicon.ico" type="image/x-icon"/>
<img class="NO-CACHE" src="../../../../../static/images/logo-long.png" alt="Great Expectations"/>
.navbar-brand a { background: url('../../../../../static/images/logo-long.png') 0 0 no-repeat; }
<a href="https://greatexpectations.io">Great Expectations</a>
"""


def test_a_validation_page_is_pointed_at_the_sites_own_copies():
    # A validation page sits five folders below the site root (validations/suite/table/run/time/).
    assert rewrite_page(GX_PAGE, "../../../../../") == OFFLINE_PAGE
    assert external_references(OFFLINE_PAGE) == []


def test_external_loads_are_found_and_links_are_not():
    page = """<script src='https://code.jquery.com/jquery-3.7.1.min.js'></script>
    <link href="//cdn.example.org/x.css" rel="stylesheet">
    <img alt="x" src="http://img.example.org/a.png">
    <style>@import "https://fonts.example.org/f.css"; .i { src: url(https://fonts.example.org/f.woff2) }</style>
    <a href="https://greatexpectations.io">GX</a> <script src="static/vendor/local.js"></script>"""
    assert external_references(page) == [
        "//cdn.example.org/x.css", "http://img.example.org/a.png", "https://code.jquery.com/jquery-3.7.1.min.js",
        "https://fonts.example.org/f.css", "https://fonts.example.org/f.woff2"]


def test_check_offline_names_external_loads_and_missing_local_files(tmp_path: Path):
    (tmp_path / "static" / "fonts").mkdir(parents=True)
    (tmp_path / "static" / "fonts" / "a.woff2").write_bytes(b"font")
    (tmp_path / "static" / "a.css").write_text("@font-face { src: url('fonts/a.woff2') }", encoding="utf-8")
    (tmp_path / "index.html").write_text('<link rel="stylesheet" href="static/a.css"><a href="https://x.org">x</a>',
                                         encoding="utf-8")
    check_offline(tmp_path)
    (tmp_path / "page.html").write_text('<script src="https://cdn.example.org/x.js"></script><img src="static/b.png">',
                                        encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"page.html loads https://cdn.example.org/x.js; page.html refers to "
                                           r"missing static/b.png"):
        check_offline(tmp_path)


def _registry(root: Path, package: str, version: str, files: dict[str, bytes]) -> str:
    """A registry folder served as file://, holding one npm-style tarball (files under package/)."""
    folder = root / package / "-"
    folder.mkdir(parents=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (folder / f"{package.rsplit('/', 1)[-1]}-{version}.tgz").write_bytes(buf.getvalue())
    return root.as_uri()


def test_fetch_checks_the_pinned_checksum_and_caches(tmp_path: Path):
    js = b"window.lib = 1;\n"
    registry = _registry(tmp_path / "registry", "@scope/lib", "1.2.3", {"dist/lib.min.js": js, "README": b"x"})
    good = Asset("@scope/lib", "1.2.3", "dist/lib.min.js", hashlib.sha256(js).hexdigest())
    cache = fetch_assets(tmp_path / "cache", [good], registry=registry)
    assert (cache / "lib-1.2.3" / "dist" / "lib.min.js").read_bytes() == js
    assert sorted(p.name for p in (cache / "lib-1.2.3").rglob("*")) == ["dist", "lib.min.js"]
    # Cached: a second call does not need the registry any more.
    assert fetch_assets(tmp_path / "cache", [good], registry=(tmp_path / "nowhere").as_uri()) == cache
    bad = Asset("@scope/lib", "1.2.3", "dist/lib.min.js", "0" * 64)
    with pytest.raises(IprGuardError, match=r"checksum mismatch for dist/lib.min.js of @scope/lib@1.2.3"):
        fetch_assets(tmp_path / "other", [bad], registry=registry)
    assert not (tmp_path / "other" / "lib-1.2.3" / "dist" / "lib.min.js").exists()
    with pytest.raises(IprGuardError, match=r"cannot fetch Data Docs asset @scope/lib@1.2.3 from file:"):
        fetch_assets(tmp_path / "other", [good], registry=(tmp_path / "nowhere").as_uri())
