"""What the public catalogue publishes (DCAT-AP, schema.org): public datasets, in pages.

Pages are ordered by (metadata_modified, id), oldest first, and continue from
a cursor -- the last (time, id) seen -- rather than an offset: a dataset that
changes while a harvester pages through moves behind the cursor and is seen
again, and nothing shifts under the harvester's feet (offset paging, as
ckanext-dcat does it, skips a dataset whenever one before the offset moves).
Plain ``page`` numbers still work for clients that build URLs themselves.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from datasets import policy
from datasets.dictization import package_dict
from datasets.models import Package, Resource, ResourceValidation

_CURSOR = re.compile(
    r"^(?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)_(?P<id>[A-Za-z0-9-]{1,36})$"
)


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    modified: datetime
    package_id: str

    def encode(self) -> str:
        return f"{self.modified.isoformat()}_{self.package_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        match = _CURSOR.match(text)
        if match is None:
            raise BadCursor("cursor must be the value a catalogue page's next link carries")
        try:
            moment = datetime.fromisoformat(match["at"])
        except ValueError:
            raise BadCursor("cursor holds an impossible time") from None
        return cls(moment, match["id"])


@dataclass
class Page:
    packages: list[Package]
    total: int
    # Where the next page starts; None on the last page.
    next_cursor: Cursor | None


def public_page(
    session: Session,
    *,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
    modified_since: datetime | None = None,
) -> Page:
    """One page of public datasets (active, not private, not closed), oldest change first."""
    where = []
    if modified_since is not None:
        where.append(Package.metadata_modified >= modified_since)
    public = policy.public_datasets()
    total = session.scalar(select(func.count()).select_from(Package).where(public, *where))
    stmt = select(Package).where(public, *where)
    if after is not None:
        stmt = stmt.where(
            or_(
                Package.metadata_modified > after.modified,
                (Package.metadata_modified == after.modified) & (Package.id > after.package_id),
            )
        )
    else:
        stmt = stmt.offset(offset)
    stmt = stmt.order_by(Package.metadata_modified, Package.id).limit(limit + 1)
    rows = list(session.scalars(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].metadata_modified, rows[-1].id) if more and rows else None
    return Page(rows, int(total or 0), cursor)


def publishable_dicts(
    session: Session, packages: Sequence[Package], *, site_url: str
) -> list[dict[str, Any]]:
    """Public package dicts, each resource with the Table Schema it conforms to."""
    dicts = [package_dict(package, site_url=site_url) for package in packages]
    return with_table_schemas(session, dicts)


def with_table_schemas(session: Session, dicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to resources without a publisher-given ``schema`` the one validation used
    (given or inferred) for the file they hold now."""
    wanted = {
        resource["id"]
        for package in dicts
        for resource in package.get("resources") or ()
        if not isinstance(resource.get("schema"), dict)
    }
    schemas = _validated_schemas(session, wanted) if wanted else {}
    if not schemas:
        return dicts
    out = []
    for package in dicts:
        resources = package.get("resources") or []
        if not any(r["id"] in schemas for r in resources):
            out.append(package)
            continue
        completed = copy.copy(package)
        completed["resources"] = [
            {**r, "schema": schemas[r["id"]]} if r["id"] in schemas else r for r in resources
        ]
        out.append(completed)
    return out


def _validated_schemas(session: Session, resource_ids: set[str]) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(ResourceValidation.resource_id, ResourceValidation.table_schema)
        .join(Resource, Resource.id == ResourceValidation.resource_id)
        .where(
            ResourceValidation.resource_id.in_(resource_ids),
            ResourceValidation.storage_key == Resource.storage_key,
        )
    ).all()
    return {rid: schema for rid, schema in rows if isinstance(schema, dict) and schema}


def table_schema(session: Session, resource: Resource) -> dict[str, Any] | None:
    """The Table Schema a resource's data conforms to: the publisher's, else validation's."""
    given = (resource.extras or {}).get("schema")
    if isinstance(given, dict) and given.get("fields"):
        return given
    found = _validated_schemas(session, {resource.id})
    return found.get(resource.id)
