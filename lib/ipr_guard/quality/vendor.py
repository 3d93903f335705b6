"""Offline Data Docs: the web assets GX's pages load from CDNs, vendored beside each run's pages.

GX 1.24's Data Docs templates load jQuery, Bootstrap, bootstrap-table, Vega, Font Awesome and a few
more from public CDNs, and the index's table of results is built by those scripts: on a machine without
internet access the pages show no results at all. We fetch the same libraries once from the npm registry
(a tarball per package, every file checked against the sha256 pinned below), cache them outside the repo
like Delta's jars, copy them into each site as `static/vendor/<package>-<version>/...` and point the pages
at those copies with relative paths, so a site folder keeps working when copied elsewhere.

GX's own images (the logo) are served from S3 by its templates although the site already holds a copy
under `static/images/`: the pages are pointed at that copy. The dark-mode logo (`full_logo_dark.png`)
exists on S3 only and has no npm package: the light logo stands in for it.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ipr_guard.errors import IprGuardError

log = logging.getLogger(__name__)

NPM = os.environ.get("IPR_GUARD_NPM_URL", "https://registry.npmjs.org")
VENDOR = "static/vendor"


@dataclass(frozen=True)
class Asset:
    """One file of an npm package that Data Docs load.

    Attributes:
        package: the npm package name, e.g. "bootstrap" or "@fortawesome/fontawesome-free".
        version: the exact version.
        file: the file's path inside the package.
        sha256: its pinned checksum.
        replaces: the URLs GX's templates load it from (empty for files only a stylesheet refers to).
    """

    package: str
    version: str
    file: str
    sha256: str
    replaces: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        """`<package>-<version>`, the package's folder in the cache and under static/vendor."""
        return f"{self.package.rsplit('/', 1)[-1]}-{self.version}"

    @property
    def path(self) -> str:
        """The file's path relative to the site root."""
        return f"{VENDOR}/{self.folder}/{self.file}"


_UNPKG, _JSD, _CDNJS = "https://unpkg.com", "https://cdn.jsdelivr.net/npm", "https://cdnjs.cloudflare.com/ajax/libs"
_FA = "@fortawesome/fontawesome-free"

# GX pins most versions; for "vega@5", "vega-lite@5" and "vega-embed@6" we pin the newest release of
# that major line on the day this was written (what the CDN served then).
ASSETS: tuple[Asset, ...] = (
    Asset("jquery", "3.7.1", "dist/jquery.min.js",
          "fc9a93dd241f6b045cbff0481cf4e1901becd0e12fb45166a8f17f95823f0b1a",
          ("https://code.jquery.com/jquery-3.7.1.min.js",)),
    Asset("popper.js", "1.12.9", "dist/umd/popper.min.js",
          "a52f7aa54d7bcaafa056ee0a050262dfc5694ae28dee8b4cac3429af37ff0d66",
          (f"{_CDNJS}/popper.js/1.12.9/umd/popper.min.js",)),
    Asset("bootstrap", "4.3.1", "dist/css/bootstrap.min.css",
          "60b19e5da6a9234ff9220668a5ec1125c157a268513256188ee80f2d2c8d8d36",
          ("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",)),
    Asset("bootstrap", "4.3.1", "dist/js/bootstrap.min.js",
          "0a34a87842c539c1f4feec56bba982fd596b73500046a6e6fe38a22260c6577b",
          ("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",)),
    Asset("bootstrap-table", "1.19.1", "dist/bootstrap-table.min.css",
          "643f536f6982af4d7287af23f89ad457dd7e4a82f9c695330a112b0881c30a4a",
          (f"{_UNPKG}/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",)),
    Asset("bootstrap-table", "1.19.1", "dist/bootstrap-table.min.js",
          "06a571a9beb50bd5ddd60517159775dfec1f3e798fff38fb117ae2350dc9ba9d",
          (f"{_UNPKG}/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",)),
    Asset("bootstrap-table", "1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
          "111f68d31d1bdd714f9503bf5f4e162e0739c363e4ff2feef950d39e78266ffc",
          (f"{_UNPKG}/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",)),
    # GX's templates take the filter-control stylesheets from 1.19.0, the scripts from 1.19.1.
    Asset("bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css",
          "b3ff051168696ec9ae3cf8616c59a6db8734fb282863b23edfd8c0f93eb5c4f0",
          (f"{_UNPKG}/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",)),
    Asset("bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
          "2c707bb54520737762a76f2238e87627993fb63bcef6d789a21a4957f393fa1c",
          (f"{_UNPKG}/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",)),
    Asset("bootstrap-datepicker", "1.9.0", "dist/css/bootstrap-datepicker.min.css",
          "b22c8ea45fe905650f8087108b5ed32c1923bcd80d400adc9b0241f18be40208",
          (f"{_CDNJS}/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",)),
    Asset("bootstrap-datepicker", "1.9.0", "dist/js/bootstrap-datepicker.min.js",
          "6ea55ea86749ee1fe560fabac6b3effd81b33046fa74dc657e24d41d28110a9f",
          (f"{_CDNJS}/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",)),
    Asset("@forevolve/bootstrap-dark", "1.1.0", "dist/css/bootstrap-prefers-dark.css",
          "b087541364cdc7e95cbf71be42da5259f3d11431cc84198c17b47cd44c87cd5b",
          (f"{_JSD}/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",)),
    Asset("vega", "5.33.1", "build/vega.min.js",
          "463f3db6a40b20e9747b4ed38f37ed0add508838f9141b1cf8366784b07b30c8", (f"{_JSD}/vega@5",)),
    Asset("vega-lite", "5.23.0", "build/vega-lite.min.js",
          "58c27358e26f2d319cf62f45bc17a4c8362f08645001df2ec8d341eee4097c7f", (f"{_JSD}/vega-lite@5",)),
    Asset("vega-embed", "6.29.0", "build/vega-embed.min.js",
          "12d02acfbe3ec59ef9a37dd4822a2e04e2961b5bbb671bbe661d2221715b99da", (f"{_JSD}/vega-embed@6",)),
    Asset(_FA, "6.6.0", "css/all.min.css",
          "e5e202e3c899507992952533f57b634722b69b34241d271963559d31aa33ef81",
          (f"{_CDNJS}/font-awesome/6.6.0/css/all.min.css",)),
    # The webfonts Font Awesome's stylesheet refers to (../webfonts/...).
    Asset(_FA, "6.6.0", "webfonts/fa-brands-400.woff2", "c411f11975d26eb04cd2aa3c071181d4b18e489f1fb97060d4176a3531dfb36e"),
    Asset(_FA, "6.6.0", "webfonts/fa-brands-400.ttf", "bc844b5b02d3f3adabb514de4e0c0208252d3123413bd03f6287fa446acee859"),
    Asset(_FA, "6.6.0", "webfonts/fa-regular-400.woff2", "c732f106e91bc618767fbac8e2c7b27e5c736d477b2bb4fb83f597a43198c33c"),
    Asset(_FA, "6.6.0", "webfonts/fa-regular-400.ttf", "64f9fb623681f112261e9a2f97826782439f3925dea8f44a57d1e4db95ba6cfd"),
    Asset(_FA, "6.6.0", "webfonts/fa-solid-900.woff2", "1f0189e087fcefbf654fad74a3a06668b782c01353a61d5c0b7f0bf23e33c020"),
    Asset(_FA, "6.6.0", "webfonts/fa-solid-900.ttf", "31f099c13f6e4ba05f1b471bf170cb5493249474222917372de3ca5cf29e6a1a"),
    Asset(_FA, "6.6.0", "webfonts/fa-v4compatibility.woff2", "2aca24b35bd41474dcc5e7fb5f11ec43fa06e3ac1d0035ad41108fa6b30b0871"),
    Asset(_FA, "6.6.0", "webfonts/fa-v4compatibility.ttf", "a6274a12fd3f5f1ea05fc9b4677959b31fd101fdac4f0d09c17159c414d36d23"),
)

# GX's templates take their logo from S3; the site holds the same files under static/images/.
GX_IMAGES = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/([\w.-]+)(\?[^\"'()\s<>]*)?")
IMAGE_STANDINS = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}
_SITE_STATIC = re.compile(r"""(?<=["'(])(?:\./|(?:\.\./)+)static/(images|styles|fonts)/""")


def asset_cache_dir() -> Path:
    """$IPR_GUARD_ASSET_CACHE, else ~/.cache/ipr-guard/data-docs-assets."""
    return Path(os.environ.get("IPR_GUARD_ASSET_CACHE", Path.home() / ".cache" / "ipr-guard" / "data-docs-assets"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tarball_url(registry: str, package: str, version: str) -> str:
    return f"{registry}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"


def _download(url: str, timeout: float = 120) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed registry URL
        return resp.read()


def _fetch_package(assets: list[Asset], cache: Path, registry: str) -> None:
    """Downloads one package's tarball and writes the listed files, each checked, into the cache."""
    package, version = assets[0].package, assets[0].version
    url = _tarball_url(registry, package, version)
    log.info("fetching %s", url)
    try:
        data = _download(url)
    except OSError as e:
        raise IprGuardError(f"cannot fetch Data Docs asset {package}@{version} from {registry} ({e}); run "
                            f"`ipr-guard assets` where it is reachable, or set IPR_GUARD_ASSET_CACHE to a filled "
                            f"cache") from e
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise IprGuardError(f"{url} is not a readable npm tarball: {e}") from None
    with tar:
        for asset in assets:
            # Only the named members are read: nothing from the archive chooses a path on disk.
            try:
                content = tar.extractfile(f"package/{asset.file}").read()
            except (KeyError, AttributeError):
                raise IprGuardError(f"{url} has no file {asset.file}") from None
            got = hashlib.sha256(content).hexdigest()
            if got != asset.sha256:
                raise IprGuardError(f"checksum mismatch for {asset.file} of {package}@{version}: "
                                    f"got sha256 {got}, pinned {asset.sha256}")
            target = cache / asset.folder / asset.file
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(content)
            tmp.replace(target)


def fetch_assets(cache: Path | None = None, assets: Iterable[Asset] = ASSETS, registry: str | None = None) -> Path:
    """Makes sure every asset is in the cache with its pinned checksum, downloading what is missing.

    Args:
        cache: the cache folder; default `asset_cache_dir()`.
        assets: the files to provide; default the Data Docs' `ASSETS`.
        registry: the npm registry's base URL; default $IPR_GUARD_NPM_URL, else registry.npmjs.org.

    Returns:
        The cache folder.

    Raises:
        IprGuardError: the registry cannot be reached, or a file's checksum does not match its pin.
    """
    cache = cache or asset_cache_dir()
    missing: dict[tuple[str, str], list[Asset]] = {}
    for asset in assets:
        path = cache / asset.folder / asset.file
        if not path.is_file() or _sha256(path) != asset.sha256:
            missing.setdefault((asset.package, asset.version), []).append(asset)
    for group in missing.values():
        _fetch_package(group, cache, registry or NPM)
    return cache


def rewrite_page(text: str, root: str) -> str:
    """Points a page's (or stylesheet's) CDN and S3 references at the site's local copies.

    Args:
        text: the HTML (or CSS) as GX wrote it.
        root: the relative path from the file's folder to the site root, ending in "/" (e.g. "../../").

    Returns:
        The text with every known asset URL, and every reference to the site's own static/ files,
        replaced by `root` + its path in the site; a rewritten tag
        loses its `integrity` and `crossorigin` attributes (a CORS request to a file:// URL fails, and the
        pinned sha256 has checked the file already).
    """
    local = {url: asset.path for asset in ASSETS for url in asset.replaces}

    def tag(m: re.Match) -> str:
        html = m.group(0)
        ref = re.search(r"""\b(?:src|href)=["'](https?://[^"']+)["']""", html)
        if ref is None or ref.group(1) not in local:
            return html
        html = html.replace(ref.group(1), root + local[ref.group(1)])
        return re.sub(r"""\s+(?:integrity|crossorigin)=["'][^"']*["']""", "", html)

    text = re.sub(r"<(?:script|link)\b[^>]*>", tag, text, flags=re.IGNORECASE)

    def image(m: re.Match) -> str:
        standin = IMAGE_STANDINS.get(m.group(1))
        return f"{root}static/images/{standin}" if standin else m.group(0)

    text = GX_IMAGES.sub(image, text)
    # GX's favicon link on validation pages climbs one folder too few: every reference to the site's own
    # static/ folder is made relative to the site root again.
    return _SITE_STATIC.sub(lambda m: f"{root}static/{m.group(1)}/", text)


_RESOURCE_ATTR = re.compile(r"""<(?:script|link|img|source|iframe|embed|object|audio|video)\b[^>]*?"""
                            r"""\b(?:src|href|srcset|data)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*["']?\s*((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+["']\s*((?:https?:)?//[^"']+)""", re.IGNORECASE)


def external_references(text: str) -> list[str]:
    """The http(s) (or protocol-relative) URLs a page or stylesheet loads a script, style, font or image from.

    Links a reader may follow (`<a href>`) are not loads and are not listed.
    """
    return sorted({m.group(1) for rx in (_RESOURCE_ATTR, _CSS_URL, _CSS_IMPORT) for m in rx.finditer(text)})


_LOCAL_ATTR = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']([^"'#]+)["']""", re.IGNORECASE)
_LOCAL_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.IGNORECASE)


def _missing_local(path: Path, text: str) -> list[str]:
    refs = _LOCAL_ATTR.findall(text) if path.suffix == ".html" else []
    refs += _LOCAL_CSS_URL.findall(text)
    out = []
    for ref in refs:
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", ref, re.IGNORECASE):
            continue  # data:, or an external URL (reported by external_references)
        if not (path.parent / ref.split("?", 1)[0].split("#", 1)[0]).exists():
            out.append(ref)
    return out


def check_offline(site: Path) -> None:
    """Raises RuntimeError naming every page or stylesheet of `site` that still loads from the network,
    or refers to a local asset the site does not hold."""
    problems = []
    for path in sorted(p for p in site.rglob("*") if p.suffix in (".html", ".css") and p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(site)
        problems += [f"{rel} loads {url}" for url in external_references(text)]
        problems += [f"{rel} refers to missing {ref}" for ref in _missing_local(path, text)]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RuntimeError(f"Data Docs in {site} are not self-contained: {'; '.join(problems[:5])}{more}")


def vendor_data_docs(site: Path, cache: Path | None = None) -> None:
    """Makes a built Data Docs site work offline: copies the assets in, rewrites the pages, checks them.

    Args:
        site: the site's root folder (holding index.html and static/).
        cache: the asset cache; default `asset_cache_dir()` (filled from the registry when incomplete).

    Raises:
        IprGuardError: an asset is not cached and cannot be fetched, or fails its checksum.
        RuntimeError: a page still loads something over the network, or refers to a missing asset.
    """
    cache = fetch_assets(cache)
    for asset in ASSETS:
        target = site / asset.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / asset.folder / asset.file, target)
        # Checked again as copied: a cache file changed after its fetch must not reach a report.
        if _sha256(target) != asset.sha256:
            raise IprGuardError(f"cached {asset.folder}/{asset.file} no longer matches its pinned sha256; "
                                f"delete {cache / asset.folder} and run `ipr-guard assets`")
    vendor = site / VENDOR
    for path in sorted(p for p in site.rglob("*") if p.suffix in (".html", ".css") and p.is_file()):
        if vendor in path.parents:
            continue
        root = os.path.relpath(site, path.parent).replace(os.sep, "/")
        text = path.read_text(encoding="utf-8")
        rewritten = rewrite_page(text, "" if root == "." else root + "/")
        if rewritten != text:
            path.write_text(rewritten, encoding="utf-8")
    check_offline(site)
