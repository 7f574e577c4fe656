"""Autocomplete and tag look-ups: short lists by a piece of text, never naming a dataset
(or a tag or format only private datasets use) that the caller may not read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from datasets import policy
from datasets.models import Group, Package, Resource, Tag, package_group, package_tag
from datasets.policy import Principal


def contains(column: Any, text: str) -> Any:
    """Case-insensitive substring match; % and _ in the text are literal."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def packages(session: Session, actor: Principal, *, q: str, limit: int) -> list[dict[str, Any]]:
    """CKAN's package_autocomplete: active datasets whose name or title contains ``q``."""
    found = session.execute(
        select(Package.name, Package.title)
        .where(
            policy.readable_datasets(actor),
            or_(contains(Package.name, q), contains(Package.title, q)),
        )
        .order_by(Package.name)
        .limit(limit)
    ).all()
    out = []
    for name, title in found:
        by_name = q.lower() in name.lower()
        out.append(
            {
                "name": name,
                "title": title,
                "match_field": "name" if by_name else "title",
                "match_displayed": name if by_name else f"{title} ({name})",
            }
        )
    return out


def tags(session: Session, actor: Principal, *, q: str, limit: int, offset: int) -> Sequence[str]:
    """Names of tags containing ``q`` on datasets the caller may read."""
    stmt = (
        select(Tag.name)
        .distinct()
        .join(package_tag, package_tag.c.tag_id == Tag.id)
        .join(Package, Package.id == package_tag.c.package_id)
        .where(policy.readable_datasets(actor), contains(Tag.name, q))
        .order_by(Tag.name)
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(stmt).all()


def formats(session: Session, actor: Principal, *, q: str, limit: int) -> list[str]:
    """Resource formats containing ``q``, most used first (CKAN's format_autocomplete)."""
    folded = func.lower(Resource.format)
    stmt = (
        select(folded, func.count().label("total"))
        .join(Package, Package.id == Resource.package_id)
        .where(
            Resource.state == "active",
            Resource.format.is_not(None),
            contains(Resource.format, q),
            policy.readable_datasets(actor),
        )
        .group_by(folded)
        .order_by(func.count().desc(), folded)
        .limit(limit)
    )
    return [name for name, _ in session.execute(stmt).all() if name]


def groups(session: Session, *, q: str, limit: int, organization: bool) -> list[dict[str, str]]:
    """Active organisations or groups whose name or title contains ``q``."""
    found = session.scalars(
        select(Group)
        .where(
            Group.is_organization == organization,
            Group.state == "active",
            or_(contains(Group.name, q), contains(Group.title, q)),
        )
        .order_by(Group.name)
        .limit(limit)
    ).all()
    return [{"id": g.id, "name": g.name, "title": g.title} for g in found]


def find_tag(session: Session, actor: Principal, ref: str) -> Tag | None:
    """The tag ``ref`` names (id or name), if a dataset the caller may read carries it:
    a tag used only on hidden datasets would tell that they exist."""
    for column in (Tag.id, Tag.name):
        tag = session.scalars(select(Tag).where(column == ref)).first()
        if tag is not None:
            break
    else:
        return None
    if tag_packages(session, actor, tag, limit=1):
        return tag
    return None


def tag_packages(session: Session, actor: Principal, tag: Tag, *, limit: int) -> Sequence[Package]:
    return session.scalars(
        select(Package)
        .join(package_tag, package_tag.c.package_id == Package.id)
        .where(package_tag.c.tag_id == tag.id, policy.readable_datasets(actor))
        .order_by(Package.name)
        .limit(limit)
    ).all()


def group_packages(session: Session, actor: Principal, group: Group) -> Sequence[tuple[str, str]]:
    """(dataset id, capacity) of the datasets in an organisation or group the caller may
    read: CKAN's member rows say "organization" for the owner, "public" for a group."""
    if group.is_organization:
        ids = session.scalars(
            select(Package.id)
            .where(Package.owner_org == group.id, policy.readable_datasets(actor))
            .order_by(Package.name)
        ).all()
        return [(package_id, "organization") for package_id in ids]
    ids = session.scalars(
        select(Package.id)
        .join(package_group, package_group.c.package_id == Package.id)
        .where(package_group.c.group_id == group.id, policy.readable_datasets(actor))
        .order_by(Package.name)
    ).all()
    return [(package_id, "public") for package_id in ids]
