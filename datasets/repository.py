"""Queries of the catalog. Services decide; this module only finds -- and lists only
what datasets.policy says the caller may read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from datasets import policy
from datasets.models import (
    Group,
    Package,
    PackageExtra,
    Resource,
    Tag,
    new_id,
    package_group,
    package_tag,
)
from datasets.policy import Principal

NamedT = TypeVar("NamedT")


def find_by_ref(
    session: Session,
    model: type[NamedT],
    ref: str,
    *where: Any,
    execution_options: dict[str, Any] | None = None,
) -> NamedT | None:
    """By id or by name, as CKAN's ``id`` parameters accept both -- the id first, as
    CKAN does: names are chosen by editors, so an object named like another's id must
    never stand in for it (one ``id = ref OR name = ref`` query returns either row).
    ``model`` is a mapped class with ``id`` and ``name`` columns."""
    for column in (model.id, model.name):  # type: ignore[attr-defined]
        stmt = select(model).where(column == ref, *where).limit(1)
        found = session.scalars(stmt, execution_options=execution_options or {}).first()
        if found is not None:
            return found
    return None


def ref_taken(session: Session, model: type[Any], ref: str) -> bool:
    """Whether ``ref`` already names an object of ``model``, as its name or as its id:
    ids and names share the ``id`` parameters, so a new name or id equal to either
    could only ever shadow or be shadowed."""
    return session.scalar(select(func.count()).where(or_(model.name == ref, model.id == ref))) != 0


def find_package(session: Session, ref: str, *, for_update: bool = False) -> Package | None:
    """The dataset ``ref`` names. ``for_update``: writers of one dataset take turns --
    its row is locked first (the transaction waits for any other writer of it to
    commit) and then read fresh, so a write never works from what another changed
    meanwhile (two tag updates deleted each other's tag rows: StaleDataError, a 500)."""
    if for_update:
        lock_package(session, ref)
        return find_by_ref(session, Package, ref, execution_options={"populate_existing": True})
    return find_by_ref(session, Package, ref)


def lock_package(session: Session, ref: str) -> None:
    """Take the write lock on the dataset ``ref`` names (by id or name) for this transaction.

    A no-op UPDATE does it on both databases: PostgreSQL locks the row until commit
    (and later reads see what the previous holder committed); SQLite takes its one
    write lock before this transaction has read anything, so it reads fresh too.
    """
    session.execute(
        update(Package)
        .where(or_(Package.id == ref, Package.name == ref))
        .values(state=Package.state)
        .execution_options(synchronize_session=False)
    )


def find_group(session: Session, ref: str, *, organization: bool) -> Group | None:
    return find_by_ref(session, Group, ref, Group.is_organization == organization)


def find_resource(session: Session, resource_id: str, *, fresh: bool = False) -> Resource | None:
    """The active resource ``resource_id``; ``fresh``: re-read what this session holds."""
    return session.scalars(
        select(Resource).where(Resource.id == resource_id, Resource.state == "active"),
        execution_options={"populate_existing": fresh},
    ).first()


def package_names(
    session: Session,
    principal: Principal,
    *,
    limit: int | None,
    offset: int,
    include_private: bool = False,
    include_drafts: bool = False,
) -> Sequence[str]:
    readable = policy.readable_datasets(
        principal, include_private=include_private, include_drafts=include_drafts
    )
    names = select(Package.name).where(readable).order_by(Package.name).offset(offset)
    if limit is not None:
        names = names.limit(limit)
    return session.scalars(names).all()


def recent_packages(
    session: Session, principal: Principal, *, limit: int, offset: int
) -> Sequence[Package]:
    stmt = select(Package).where(policy.readable_datasets(principal))
    stmt = stmt.order_by(Package.metadata_modified.desc(), Package.id).limit(limit).offset(offset)
    return session.scalars(stmt).all()


def groups(session: Session, *, organization: bool) -> Sequence[Group]:
    return session.scalars(
        select(Group)
        .where(Group.is_organization == organization, Group.state == "active")
        .order_by(Group.name)
    ).all()


def group_titles(session: Session, names: Iterable[str], *, organization: bool) -> dict[str, str]:
    """Display names of these active organisations or groups (only these: a facet
    names a few of hundreds)."""
    wanted = list(set(names))
    if not wanted:
        return {}
    rows = session.execute(
        select(Group.name, Group.title).where(
            Group.is_organization == organization,
            Group.state == "active",
            Group.name.in_(wanted),
        )
    ).all()
    return {name: title or name for name, title in rows}


def public_package_counts(session: Session, *, organization: bool) -> dict[str, int]:
    """Public dataset counts per organisation or group, as anonymous visitors see them."""
    if organization:
        stmt = (
            select(Package.owner_org, func.count())
            .where(policy.public_datasets())
            .group_by(Package.owner_org)
        )
    else:
        stmt = (
            select(package_group.c.group_id, func.count())
            .select_from(Package)
            .join(package_group, package_group.c.package_id == Package.id)
            .where(policy.public_datasets())
            .group_by(package_group.c.group_id)
        )
    return {group_id: count for group_id, count in session.execute(stmt).all() if group_id}


def public_tags(session: Session, *, query: str | None) -> Sequence[str]:
    stmt = (
        select(Tag.name)
        .distinct()
        .select_from(Package)
        .join(package_tag, package_tag.c.package_id == Package.id)
        .join(Tag, Tag.id == package_tag.c.tag_id)
        .where(policy.public_datasets())
    )
    if query:
        stmt = stmt.where(Tag.name.contains(query, autoescape=True))
    return session.scalars(stmt.order_by(Tag.name)).all()


def ensure_tags(session: Session, names: Sequence[str]) -> dict[str, Tag]:
    """The tags with these names, creating missing ones.

    Concurrent requests often add the same new tag; an insert that ignores
    conflicts lets both succeed instead of one failing on the unique name.
    """
    if not names:
        return {}
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    session.execute(
        insert(Tag)
        .values([{"id": new_id(), "name": name} for name in names])
        .on_conflict_do_nothing()
    )
    found = session.scalars(select(Tag).where(Tag.name.in_(names))).all()
    return {tag.name: tag for tag in found}


def extras_of(session: Session, package_id: str) -> Sequence[PackageExtra]:
    return session.scalars(select(PackageExtra).where(PackageExtra.package_id == package_id)).all()
