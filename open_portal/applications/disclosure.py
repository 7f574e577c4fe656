"""What read paths print about data, decided for the caller at output time.

Package and resource dicts come out of the catalog (and the search index)
in their public form: links of conditional datasets replaced by the portal's
access-controlled URL (see datasets.dictization). Here, for each caller:

* callers who may have a conditional dataset's data (insiders, grant holders)
  get the real link URLs back, read fresh from the database;
* every dataset and resource gets its current ``downloads`` count.

It runs on package_show, resource_show, package_search,
current_package_list_with_resources, package_activity_list and the write
actions' answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import policy
from datasets import resources as resource_service
from datasets.dictization import hide_links, resource_dict
from datasets.models import Package, Resource
from datasets.policy import Action, Principal
from standards.open_classes import OpenClass


def packages_for(
    session: Session, actor: Principal, site_url: str, packages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``packages`` as this caller may see them, changed in place: their top level and
    resource dicts must be the caller's own (every source hands out fresh ones --
    show_package copies its cache entry, package_show those levels only -- so a
    second copy here would only cost time on every read). Nothing deeper is changed:
    resource lists are replaced, never edited."""
    _reveal(session, actor, site_url, packages)
    _count_downloads(session, packages)
    return packages


def package_for(
    session: Session, actor: Principal, site_url: str, package: dict[str, Any]
) -> dict[str, Any]:
    return packages_for(session, actor, site_url, [package])[0]


def resource_for(
    session: Session, actor: Principal, site_url: str, resource: dict[str, Any]
) -> dict[str, Any]:
    row = session.get(Resource, resource.get("id"))
    if row is None:
        return resource
    package = row.package
    holder: dict[str, Any] = {
        "id": package.id,
        "state": package.state,
        "private": package.private,
        "open_class": package.open_class,
        "owner_org": package.owner_org,
        "creator_user_id": package.creator_user_id,
        "resources": [resource],
    }
    shown: dict[str, Any] = packages_for(session, actor, site_url, [holder])[0]["resources"][0]
    return shown


def activities_for(
    session: Session,
    actor: Principal,
    site_url: str,
    package: Package,
    activities: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Activity records of ``package`` as this caller may see them. Each holds the
    package dict of its time; the dataset's open class *now* decides the links: a
    version from before it became conditional must not show them to callers who
    may not have its data."""
    if package.open_class != OpenClass.CONDITIONAL or policy.can(
        actor, Action.READ_DATA, policy.Dataset.of(package)
    ):
        return activities
    shown = []
    for record in activities:
        data = record.get("data")
        if isinstance(data, dict) and isinstance(data.get("package"), dict):
            data = {**data, "package": hide_links(data["package"], site_url=site_url)}
        shown.append({**record, "data": data})
    return shown


def _reveal(
    session: Session, actor: Principal, site_url: str, packages: Iterable[dict[str, Any]]
) -> None:
    conditional = [p for p in packages if p.get("open_class") == OpenClass.CONDITIONAL]
    allowed = {
        p["id"]
        for p in conditional
        if policy.can(actor, Action.READ_DATA, policy.Dataset.from_dict(p))
    }
    if not allowed:
        return
    rows = {
        row.id: row
        for row in session.scalars(select(Resource).where(Resource.package_id.in_(allowed)))
    }
    for package in conditional:
        if package["id"] not in allowed:
            continue
        package["resources"] = [
            _revealed(rows.get(r.get("id", "")), r, site_url) for r in package.get("resources", [])
        ]


def _revealed(row: Resource | None, shown: dict[str, Any], site_url: str) -> dict[str, Any]:
    if row is None:
        return shown
    return resource_dict(row, site_url=site_url, open_class=OpenClass.CONDITIONAL, reveal=True)


def _count_downloads(session: Session, packages: list[dict[str, Any]]) -> None:
    per_package, per_resource = resource_service.download_counts(
        session, (p["id"] for p in packages)
    )
    for package in packages:
        package["downloads"] = per_package.get(package["id"], 0)
        for resource in package.get("resources", []):
            resource["downloads"] = per_resource.get(resource.get("id", ""), 0)
