"""Catalog rows to CKAN dicts, exactly as CKAN's ``*_show`` actions print them.

Dicts of conditionally open datasets come out safe by default: a link
resource's ``url`` is replaced by the portal's access-controlled URL (which
redirects once the caller may have the data) and URL-valued extras are left
out. Every path that prints these dicts -- search index, activity stream,
group listings -- therefore never leaks where the data is; read paths that
know the caller may have it ask for ``reveal=True``.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from urllib.parse import quote

from datasets import links
from datasets.models import Group, Package, Resource, utcnow
from standards import licences, quality
from standards.open_classes import OpenClass

# Keys a resource dict always has; anything else in Resource.extras is spread beside them.
RESOURCE_CORE_KEYS = frozenset(
    {
        "id", "package_id", "url", "name", "description", "format", "mimetype", "size",
        "hash", "position", "state", "created", "last_modified", "metadata_modified",
        "url_type", "mimetype_inner", "cache_url", "cache_last_updated", "datastore_active",
        "validation_status", "validation_url", "access_requires_application", "downloads",
    }
)  # fmt: skip
# The path segment standing in for the file name of a link resource's access URL.
LINK_SEGMENT = "link"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def download_url(site_url: str, package_id: str, resource_id: str, filename: str) -> str:
    return (
        f"{site_url.rstrip('/')}/dataset/{package_id}/resource/{resource_id}"
        f"/download/{quote(filename)}"
    )


def resource_base_url(site_url: str, package_id: str, resource_id: str) -> str:
    return f"{site_url.rstrip('/')}/dataset/{package_id}/resource/{resource_id}"


def access_url(site_url: str, resource: Resource) -> str:
    """The portal URL that serves (or, for a link, redirects to) the resource's data."""
    if resource.url_type == "upload" and resource.url and "/" not in resource.url:
        return download_url(site_url, resource.package_id, resource.id, resource.url)
    return download_url(site_url, resource.package_id, resource.id, LINK_SEGMENT)


# Stored copies of dicts (search index documents, activity records) are printed with
# this site URL, so the portal's own links in them stay site-relative ("/dataset/...");
# with_site_url() makes them absolute for the address that prints them. A stored
# absolute URL would keep pointing wherever the portal was served when it was written.
STORED_FORM = ""


def with_site_url(package: dict[str, Any], site_url: str) -> dict[str, Any]:
    """A stored package dict with the portal's own links made absolute.

    Only this resource's own portal paths change (``url`` of an upload or of a hidden
    link, ``validation_url``); external links and the stored dict are left alone.
    """
    base = site_url.rstrip("/")
    resources = package.get("resources")
    if not base or not isinstance(resources, list):
        return package
    return {**package, "resources": [_resource_with_site_url(r, base) for r in resources]}


def _resource_with_site_url(resource: Any, base: str) -> Any:
    if not isinstance(resource, dict):
        return resource
    own = resource_base_url(
        STORED_FORM, str(resource.get("package_id") or ""), str(resource.get("id") or "")
    )
    changed = {
        key: base + value
        for key in ("url", "validation_url")
        if isinstance(value := resource.get(key), str) and value.startswith(own + "/")
    }
    return {**resource, **changed} if changed else resource


def is_access_url(site_url: str, resource: Resource, url: str) -> bool:
    prefix = resource_base_url(site_url, resource.package_id, resource.id) + "/download/"
    return url.startswith(prefix)


def _printable_link(url: str | None) -> str:
    """The link as printed: one the catalogue would not accept now (a row from before
    the database refused them) is printed empty, never as javascript:, data:, file:..."""
    return url if url and links.is_allowed(url) else ""


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(("http://", "https://"))


def resource_dict(
    resource: Resource, *, site_url: str, open_class: str | None = None, reveal: bool = False
) -> dict[str, Any]:
    """``reveal``: the caller may have the data, so links of conditional datasets show."""
    if open_class is None:
        open_class = resource.package.open_class if resource.package else None
    conditional = open_class == OpenClass.CONDITIONAL
    hide = conditional and not reveal
    url = resource.url
    if resource.url_type == "upload" and url and "/" not in url and ":" not in url:
        url = download_url(site_url, resource.package_id, resource.id, url)
    elif hide and url:
        url = download_url(site_url, resource.package_id, resource.id, LINK_SEGMENT)
    else:
        url = _printable_link(url)
    out: dict[str, Any] = {
        key: value
        for key, value in (resource.extras or {}).items()
        if key not in RESOURCE_CORE_KEYS
        and not (hide and _is_url(value))
        and not (links.is_url_key(key) and isinstance(value, str) and not links.is_allowed(value))
    }
    out.update(
        {
            "id": resource.id,
            "package_id": resource.package_id,
            "url": url,
            "name": resource.name,
            "description": resource.description or "",
            "format": resource.format or "",
            "mimetype": resource.mimetype,
            "mimetype_inner": None,
            "size": resource.size,
            "hash": resource.hash or "",
            "position": resource.position,
            "state": resource.state,
            "created": iso(resource.created),
            "last_modified": iso(resource.last_modified),
            "metadata_modified": iso(resource.metadata_modified),
            "url_type": resource.url_type,
            "cache_url": None,
            "cache_last_updated": None,
            "datastore_active": bool((resource.extras or {}).get("datastore_active", False)),
            "validation_status": resource.validation_status,
        }
    )
    if resource.validation_status:
        base = resource_base_url(site_url, resource.package_id, resource.id)
        out["validation_url"] = f"{base}/validation.json"
    if conditional:
        out["access_requires_application"] = True
    return out


def hide_links(package: dict[str, Any], *, site_url: str) -> dict[str, Any]:
    """A copy of a package dict printed earlier (an activity record), in the public form
    of a conditional dataset: what :func:`resource_dict` hides is hidden here too --
    a version recorded before the dataset became conditional carries its real links."""
    out = copy.deepcopy(package)
    package_id = str(out.get("id") or "")
    resources = out.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict):
            continue
        resource_id = str(resource.get("id") or "")
        mine = resource_base_url(site_url, package_id, resource_id) + "/download/"
        url = resource.get("url")
        if url and not (isinstance(url, str) and url.startswith(mine)):
            resource["url"] = download_url(site_url, package_id, resource_id, LINK_SEGMENT)
        for key in [k for k, v in resource.items() if k not in RESOURCE_CORE_KEYS]:
            if _is_url(resource[key]):
                del resource[key]
        resource["access_requires_application"] = True
    return out


def group_dict(group: Group, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "display_name": group.title or group.name,
        "title_en": group.title_en,
        "description": group.description,
        "image_url": _printable_link(group.image_url),
        "image_display_url": _printable_link(group.image_url),
        "type": group.type,
        "is_organization": group.is_organization,
        "approval_status": group.approval_status,
        "state": group.state,
        "created": iso(group.created),
        "extras": [{"key": k, "value": v} for k, v in sorted((group.extras or {}).items())],
    }
    if group.is_organization:
        out["region_code"] = group.region_code
        out["uscc"] = group.uscc
    if package_count is not None:
        out["package_count"] = package_count
    return out


def organization_summary(group: Group) -> dict[str, Any]:
    """The short organisation dict embedded in every package dict."""
    return {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "title_en": group.title_en,
        "type": "organization",
        "description": group.description,
        "image_url": _printable_link(group.image_url),
        "created": iso(group.created),
        "is_organization": True,
        "approval_status": group.approval_status,
        "state": group.state,
        "region_code": group.region_code,
        "uscc": group.uscc,
    }


def package_dict(package: Package, *, site_url: str, reveal: bool = False) -> dict[str, Any]:
    licence = licences.get(package.license_id)
    out = {
        "id": package.id,
        "name": package.name,
        "title": package.title,
        "notes": package.notes,
        "author": package.author,
        "author_email": package.author_email,
        "maintainer": package.maintainer,
        "maintainer_email": package.maintainer_email,
        "license_id": package.license_id,
        "license_title": licences.title_of(package.license_id),
        "license_url": licence.url if licence else None,
        "isopen": bool(licence and licence.open),
        "url": _printable_link(package.url) or None,
        "version": package.version,
        "state": package.state,
        "type": package.type,
        "private": package.private,
        "owner_org": package.owner_org,
        "organization": organization_summary(package.organization)
        if package.organization
        else None,
        "creator_user_id": package.creator_user_id,
        "metadata_created": iso(package.metadata_created),
        "metadata_modified": iso(package.metadata_modified),
        "region_code": package.region_code,
        "open_class": package.open_class,
        "update_frequency": package.update_frequency,
        "theme": package.theme,
        "title_en": package.title_en,
        "notes_en": package.notes_en,
        "temporal_start": package.temporal_start,
        "temporal_end": package.temporal_end,
        "num_resources": len(package.resources),
        "num_tags": len(package.tags),
        "tags": [
            {
                "id": t.id,
                "name": t.name,
                "display_name": t.name,
                "state": "active",
                "vocabulary_id": None,
            }
            for t in package.tags
        ],
        "groups": [
            {
                "id": g.id,
                "name": g.name,
                "title": g.title,
                "display_name": g.title or g.name,
                "description": g.description,
                "image_display_url": _printable_link(g.image_url),
            }
            for g in package.groups
        ],
        "extras": [{"key": e.key, "value": e.value} for e in package.extras],
        "resources": [
            resource_dict(r, site_url=site_url, open_class=package.open_class, reveal=reveal)
            for r in package.resources
        ],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "harvest": harvest_dict(package),
    }
    # Scored when printed; the search index keeps the score it had when indexed.
    out["metadata_quality"] = quality.assess(out, now=utcnow(), link_checks=_link_checks(package))
    return out


def _link_checks(package: Package) -> dict[str, bool]:
    return {r.id: r.link_check.ok for r in package.resources if r.link_check is not None}


def harvest_dict(package: Package) -> dict[str, Any] | None:
    """Where a harvested dataset came from (None for datasets published here)."""
    record = package.harvest
    if record is None:
        return None
    source = record.source
    # A file source's path names a place on this server: only web addresses are shown.
    url = source.url if source.url.lower().startswith(("http://", "https://")) else None
    return {
        "source_id": source.id,
        "source_name": source.name,
        "source_title": source.title or source.name,
        "source_type": source.source_type,
        "source_url": url,
        "original_id": record.original_id,
        "original_uri": record.original_uri,
        "original_name": record.original_name,
        "source_modified": record.source_modified,
        "first_harvested": iso(record.first_harvested),
        "harvested_at": iso(record.harvested_at),
        "state": record.state,
    }
