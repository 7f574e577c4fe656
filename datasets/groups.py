"""Organisation and group services (CKAN keeps both in one table; so do we).

Membership of users is the accounts' business (open_portal.accounts); this
module manages the organisations and groups themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from datasets import activity, fields, policy, repository
from datasets.dictization import group_dict, package_dict
from datasets.models import Group, Package, new_id, package_group
from datasets.policy import Action, Principal
from datasets.schemas import GroupIn, parse_model
from datasets.unit import CatalogUnit
from delta.errors import ErrorDict, NotFound, ValidationFailed
from standards import regions
from standards.identifiers import uscc

GROUP_FIRST_CLASS = ("region_code", "title_en", "uscc")


def kind(organization: bool) -> str:
    return "organization" if organization else "group"


def show_group(
    unit: CatalogUnit,
    *,
    actor: Principal,
    ref: str,
    organization: bool,
    include_datasets: bool = False,
    dataset_limit: int = 1000,
) -> dict[str, Any]:
    group = find_active(unit, ref, organization=organization)
    datasets = _visible_datasets(unit, actor, group)
    out = group_dict(group, package_count=unit.session.scalar(
        select(func.count()).select_from(datasets.subquery())
    ))  # fmt: skip
    if include_datasets:
        rows = unit.session.scalars(datasets.order_by(Package.name).limit(dataset_limit)).all()
        out["packages"] = [package_dict(p, site_url=unit.site_url) for p in rows]
    return out


def list_groups(
    unit: CatalogUnit,
    *,
    actor: Principal,
    organization: bool,
    all_fields: bool,
    names: list[str] | None,
    sort: str,
    limit: int | None,
    offset: int,
) -> list[Any]:
    groups = list(repository.groups(unit.session, organization=organization))
    if names:
        wanted = set(names)
        groups = [g for g in groups if g.name in wanted or g.id in wanted]
    counts = repository.public_package_counts(unit.session, organization=organization)
    key, _, direction = sort.strip().partition(" ")
    reverse = direction.strip().lower() == "desc"
    if key in ("package_count", "packages"):
        groups.sort(key=lambda g: (counts.get(g.id, 0), g.name), reverse=reverse)
    elif key in ("title", "display_name"):
        groups.sort(key=lambda g: g.title or g.name, reverse=reverse)
    else:
        groups.sort(key=lambda g: g.name, reverse=reverse)
    groups = groups[offset : None if limit is None else offset + limit]
    if not all_fields:
        return [g.name for g in groups]
    return [group_dict(g, package_count=counts.get(g.id, 0)) for g in groups]


def create_group(
    unit: CatalogUnit, *, actor: Principal, data: dict[str, Any], organization: bool
) -> Group:
    policy.require(
        actor,
        Action.CREATE_GROUP,
        policy.SITE,
        message=f"User {actor.name or 'anonymous'} not authorized to create groups",
    )
    spec = parse_model(GroupIn, fields.lift_first_class(data, GROUP_FIRST_CLASS))
    errors: ErrorDict = {}
    if not spec.name:
        errors["name"] = ["Missing value"]
    elif repository.ref_taken(unit.session, Group, spec.name):
        errors["name"] = ["Group name already exists in database"]
    if spec.id and repository.ref_taken(unit.session, Group, spec.id):
        errors["id"] = ["Group id already exists"]
    group = Group(id=spec.id or new_id(), is_organization=organization)
    _apply(group, spec, errors)
    if errors:
        raise ValidationFailed(errors)
    unit.session.add(group)
    unit.session.flush()
    _record(unit, group, actor=actor, verb="new")
    return group


def update_group(
    unit: CatalogUnit,
    *,
    actor: Principal,
    data: dict[str, Any],
    organization: bool,
    patch: bool = False,
) -> Group:
    ref = data.get("id") or data.get("name")
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed.on("id", "Missing value")
    group = find_active(unit, ref, organization=organization)
    policy.require(
        actor,
        Action.MANAGE,
        target_of(group),
        message=f"User {actor.name or 'anonymous'} not authorized to edit group {group.id}",
    )
    if patch:
        data = {**group_dict(group), **data}
    spec = parse_model(GroupIn, fields.lift_first_class(data, GROUP_FIRST_CLASS))
    errors: ErrorDict = {}
    if (
        spec.name
        and spec.name != group.name
        and repository.ref_taken(unit.session, Group, spec.name)
    ):
        errors["name"] = ["Group name already exists in database"]
    _apply(group, spec, errors)
    if errors:
        raise ValidationFailed(errors)
    unit.session.flush()
    _record(unit, group, actor=actor, verb="changed")
    # Every dataset dict embeds its organisation/groups: their search entries follow.
    unit.changed_packages.update(_dataset_ids(unit, group))
    return group


def delete_group(unit: CatalogUnit, *, actor: Principal, ref: str, organization: bool) -> None:
    group = find_active(unit, ref, organization=organization)
    policy.require(
        actor,
        Action.MANAGE,
        target_of(group),
        message=f"User {actor.name or 'anonymous'} not authorized to delete group {group.id}",
    )
    if organization and _has_datasets(unit, group):
        raise ValidationFailed(
            {"message": ["Organization cannot be deleted while it still has datasets"]}
        )
    group.state = "deleted"
    unit.session.flush()
    _record(unit, group, actor=actor, verb="deleted")
    unit.changed_packages.update(_dataset_ids(unit, group))


def target_of(group: Group) -> policy.Organization | policy.Group:
    """The group as the access policy knows it."""
    if group.is_organization:
        return policy.Organization(group.id)
    return policy.Group(group.id)


def find_active(unit: CatalogUnit, ref: str, *, organization: bool) -> Group:
    group = repository.find_group(unit.session, ref, organization=organization)
    if group is None or group.state != "active":
        raise NotFound(f"{kind(organization).capitalize()} not found")
    return group


def _apply(group: Group, spec: GroupIn, errors: ErrorDict) -> None:
    if spec.name:
        group.name = spec.name
    group.title = spec.title or ""
    group.title_en = spec.title_en or None
    group.description = spec.description or ""
    group.image_url = spec.image_url or ""
    if group.is_organization:
        if spec.region_code and not regions.is_well_formed(spec.region_code):
            errors["region_code"] = ["Must be a six-digit GB/T 2260 administrative division code"]
        group.region_code = spec.region_code or None
        group.uscc = _uscc(spec.uscc, errors)
    extras: dict[str, str] = {}
    for extra in spec.extras or []:
        if extra.deleted:
            continue
        if extra.key in fields.CORE_KEYS or extra.key in extras:
            errors.setdefault("extras", []).append({"key": [f"Duplicate key: {extra.key}"]})
        extras[extra.key] = extra.value or ""
    group.extras = extras


def _uscc(value: str | None, errors: ErrorDict) -> str | None:
    """The organisation's unified social credit code, checked (GB 32100)."""
    if not value:
        return None
    try:
        return uscc.parse_uscc(value)
    except uscc.InvalidUSCC as exc:
        errors["uscc"] = [str(exc)]
        return None


def _record(unit: CatalogUnit, group: Group, *, actor: Principal, verb: str) -> None:
    activity.record(
        unit.session,
        actor=actor,
        object_id=group.id,
        activity_type=f"{verb} {group.type}",
        data={"group": group_dict(group)},
    )


def _visible_datasets(unit: CatalogUnit, actor: Principal, group: Group) -> Any:
    stmt = select(Package).where(policy.readable_datasets(actor))
    if group.is_organization:
        return stmt.where(Package.owner_org == group.id)
    return stmt.join(package_group, package_group.c.package_id == Package.id).where(
        package_group.c.group_id == group.id
    )


def _has_datasets(unit: CatalogUnit, group: Group) -> bool:
    count = unit.session.scalar(
        select(func.count())
        .select_from(Package)
        .where(Package.owner_org == group.id, Package.state != "deleted")
    )
    return bool(count)


def _dataset_ids(unit: CatalogUnit, group: Group) -> list[str]:
    if group.is_organization:
        stmt = select(Package.id).where(Package.owner_org == group.id)
    else:
        stmt = select(package_group.c.package_id).where(package_group.c.group_id == group.id)
    return list(unit.session.scalars(stmt).all())
