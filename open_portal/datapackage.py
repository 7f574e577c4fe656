"""``/dataset/{id}/datapackage.json``: a dataset as a Frictionless Data Package.

Resources point at the portal's download URLs (links at their own URL, or --
for conditional datasets and callers without a grant -- at the portal's
access-controlled URL, as package_show prints them), with size, sha256,
encoding and Table Schema (the one validation used, given or inferred). The
licence, the publishing organisation as source, keywords and dates follow
the Data Package spec, so ``frictionless validate`` accepts the descriptor.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from datasets import packages
from datasets.dictization import package_dict
from datasets.models import Package, ResourceValidation
from open_portal.applications import disclosure
from open_portal.downloads import Credentials, caller, request_token
from open_portal.runtime import Portal
from standards import licences
from standards.open_classes import OpenClass

router = APIRouter()

_NAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_UNCOUNTED = frozenset({"xlsx", "xls", "ods", "json"})


@router.get("/dataset/{package_id}/datapackage.json")
async def datapackage(package_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    body = await run_in_threadpool(_descriptor, portal, package_id, request_token(request))
    headers = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
    return JSONResponse(body, headers=headers, media_type="application/json")


def _descriptor(portal: Portal, ref: str, token: Credentials) -> dict[str, Any]:
    with portal.unit_of_work() as unit:
        actor = caller(unit.session, token)
        package = packages.get_readable_package(unit, actor=actor, ref=ref)
        shown = disclosure.package_for(
            unit.session, actor, unit.site_url, package_dict(package, site_url=unit.site_url)
        )
        reports = _schemas(unit.session, package)
        return descriptor(package, shown, reports, site_url=unit.site_url)


def _schemas(session: Session, package: Package) -> dict[str, ResourceValidation]:
    """Validation reports of the resources' current files (they hold the schemas used)."""
    keys = {r.id: r.storage_key for r in package.resources}
    if not keys:
        return {}
    rows = session.scalars(
        select(ResourceValidation).where(ResourceValidation.resource_id.in_(list(keys)))
    )
    return {row.resource_id: row for row in rows if keys.get(row.resource_id) == row.storage_key}


def descriptor(
    package: Package,
    shown: dict[str, Any],
    reports: dict[str, ResourceValidation],
    *,
    site_url: str,
) -> dict[str, Any]:
    page = f"{site_url.rstrip('/')}/dataset/{package.name}"
    out: dict[str, Any] = {
        "profile": "data-package",
        "name": package.name,
        "id": package.id,
        "title": package.title or package.name,
        "description": package.notes or "",
        "homepage": page,
        "created": package.metadata_created.isoformat() + "Z",
        "keywords": [tag.name for tag in package.tags],
        "licenses": _licenses(package.license_id),
        "sources": [_source(package, page)],
        "resources": _resources(shown["resources"], reports),
    }
    if package.version:
        out["version"] = package.version
    contributors = _contributors(package)
    if contributors:
        out["contributors"] = contributors
    out["delta"] = {
        "region_code": package.region_code,
        "open_class": package.open_class,
        "theme": package.theme,
        "update_frequency": package.update_frequency,
        "access_requires_application": package.open_class == OpenClass.CONDITIONAL,
    }
    if out["resources"] and all("schema" in r for r in out["resources"]):
        out["profile"] = "tabular-data-package"
    return out


def _licenses(license_id: str | None) -> list[dict[str, str]]:
    licence = licences.get(license_id)
    if licence is None:
        return []
    entry = {"name": licence.spdx or _slug(licence.id) or "licence", "title": licence.title}
    if licence.url:
        entry["path"] = licence.url
    return [entry]


def _source(package: Package, page: str) -> dict[str, str]:
    org = package.organization
    title = (org.title or org.name) if org else "Delta Open Data Portal"
    return {"title": title, "path": page}


def _contributors(package: Package) -> list[dict[str, str]]:
    out = []
    for name, email, role in (
        (package.author, package.author_email, "author"),
        (package.maintainer, package.maintainer_email, "maintainer"),
    ):
        if name:
            person = {"title": name, "role": role}
            if email:
                person["email"] = email
            out.append(person)
    return out


def _resources(
    resources: list[dict[str, Any]], reports: dict[str, ResourceValidation]
) -> list[dict[str, Any]]:
    taken: set[str] = set()
    out = []
    for position, resource in enumerate(resources, start=1):
        name = _unique(_slug(resource.get("name") or "") or f"resource-{position}", taken)
        entry: dict[str, Any] = {"name": name, "path": resource["url"]}
        if resource.get("name"):
            entry["title"] = resource["name"]
        if resource.get("description"):
            entry["description"] = resource["description"]
        if resource.get("format"):
            entry["format"] = str(resource["format"]).lower()
        if resource.get("mimetype"):
            entry["mediatype"] = resource["mimetype"]
        # frictionless parses workbooks and JSON without counting their bytes, so it
        # would report any stated size or checksum of such a file as wrong.
        if resource.get("url_type") == "upload" and entry.get("format") not in _UNCOUNTED:
            if resource.get("size") is not None:
                entry["bytes"] = resource["size"]
            if resource.get("hash"):
                entry["hash"] = f"sha256:{resource['hash']}"
        report = reports.get(resource["id"])
        if report is not None and report.table_schema:
            entry["schema"] = report.table_schema
            entry["encoding"] = report.source_encoding or "utf-8"
        elif isinstance(resource.get("schema"), dict):
            entry["schema"] = resource["schema"]
        if "schema" in entry:
            entry["profile"] = "tabular-data-resource"
        out.append(entry)
    return out


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NAME_UNSAFE.sub("-", ascii_text).strip("-._")[:100]


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate
