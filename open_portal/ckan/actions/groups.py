"""Organisation and group actions, and their members.

CKAN's organisation and group actions are the same actions on two kinds of
group: each is written out under its own name (so a search for it finds it)
and calls the shared body with the kind.
"""

from __future__ import annotations

from typing import Any

from datasets import changes, policy, repository, timeliness
from datasets import groups as service
from datasets import packages as package_service
from datasets.dictization import group_dict
from datasets.models import Group, Package, utcnow
from datasets.policy import Action
from delta.errors import NotFound, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.ckan.params import as_bool, as_int, as_str_list, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action


def _show(ctx: ActionContext, data: dict[str, Any], *, organization: bool) -> dict[str, Any]:
    ref = required_str(data, "id")
    out = service.show_group(
        ctx.unit,
        actor=ctx.actor,
        ref=ref,
        organization=organization,
        include_datasets=as_bool(data, "include_datasets"),
        dataset_limit=as_int(data, "limit", 1000, minimum=0, maximum=1000) or 0,
    )
    if organization:
        # On-time update rate of its datasets (docs/dcat.md, metadata quality).
        out["update_timeliness"] = timeliness.organization_timeliness(
            ctx.session, out["id"], now=utcnow()
        )
    # Member lists name people: only the group's own members and sysadmins see them.
    target = policy.Organization(out["id"]) if organization else policy.Group(out["id"])
    if as_bool(data, "include_users", True) and policy.can(ctx.actor, Action.READ_MEMBERS, target):
        out["users"] = accounts.member_dicts(ctx.session, out["id"])
    return out


def _list(ctx: ActionContext, data: dict[str, Any], *, organization: bool) -> list[Any]:
    names = as_str_list(data, "organizations" if organization else "groups")
    return service.list_groups(
        ctx.unit,
        actor=ctx.actor,
        organization=organization,
        all_fields=as_bool(data, "all_fields"),
        names=names,
        sort=optional_str(data, "sort", max_len=50) or optional_str(data, "order_by") or "name",
        limit=as_int(data, "limit", None, minimum=0, maximum=1000),
        offset=as_int(data, "offset", 0) or 0,
    )


def _create(ctx: ActionContext, data: dict[str, Any], *, organization: bool) -> dict[str, Any]:
    group = service.create_group(ctx.unit, actor=ctx.actor, data=data, organization=organization)
    if ctx.user is not None:
        accounts.set_member(ctx.session, group=group, user_ref=ctx.user.id, capacity="admin")
    _sync_users(ctx, group, data)
    return _result(ctx, group)


def _update(
    ctx: ActionContext, data: dict[str, Any], *, organization: bool, patch: bool = False
) -> dict[str, Any]:
    group = service.update_group(
        ctx.unit, actor=ctx.actor, data=data, organization=organization, patch=patch
    )
    _sync_users(ctx, group, data)
    return _result(ctx, group)


def _delete(ctx: ActionContext, data: dict[str, Any], *, organization: bool) -> None:
    service.delete_group(
        ctx.unit, actor=ctx.actor, ref=required_str(data, "id"), organization=organization
    )


def _sync_users(ctx: ActionContext, group: Group, data: dict[str, Any]) -> None:
    users = data.get("users")
    if users is None:
        return
    if not isinstance(users, list):
        raise ValidationFailed.on("users", "Must be a list")
    accounts.sync_members(ctx.session, group=group, users=users)


def _result(ctx: ActionContext, group: Group) -> dict[str, Any]:
    out = group_dict(group)
    out["users"] = accounts.member_dicts(ctx.session, group.id)
    return out


def _member_dict(group: Group, user_id: str, capacity: str, table: str = "user") -> dict[str, Any]:
    return {
        "id": f"{group.id}:{user_id}",
        "table_name": table,
        "table_id": user_id,
        "capacity": capacity,
        "group_id": group.id,
        "state": "active",
    }


# -- organisations --------------------------------------------------------------------------


@action(side_effect_free=True)
def organization_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Return the names of the site's organizations (or dicts with ``all_fields``).

    :param sort: ``name``, ``title`` or ``package_count``, with ``asc``/``desc`` (optional)
    :param limit: (optional); :param offset: (optional)
    """
    return _list(ctx, data, organization=True)


@action(side_effect_free=True)
def organization_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return an organization.

    :param id: the id or name of the organization
    :param include_datasets: include its datasets (optional, default False)
    """
    return _show(ctx, data, organization=True)


@action()
def organization_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create an organization (sysadmins). Takes ``name``, ``title``, ``description``."""
    return _create(ctx, data, organization=True)


@action()
def organization_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update an organization (its admins), replacing its fields.

    :param id: the organization
    """
    return _update(ctx, data, organization=True)


@action()
def organization_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of an organization.

    :param id: the organization
    """
    return _update(ctx, data, organization=True, patch=True)


@action()
def organization_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete an organization (its admins).

    :param id: the organization
    """
    _delete(ctx, data, organization=True)


# -- groups -----------------------------------------------------------------------------------


@action(side_effect_free=True)
def group_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Return the names of the site's groups (or dicts with ``all_fields``).

    :param sort: ``name``, ``title`` or ``package_count``, with ``asc``/``desc`` (optional)
    :param limit: (optional); :param offset: (optional)
    """
    return _list(ctx, data, organization=False)


@action(side_effect_free=True)
def group_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a group.

    :param id: the id or name of the group
    :param include_datasets: include its datasets (optional, default False)
    """
    return _show(ctx, data, organization=False)


@action()
def group_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a group (sysadmins). Takes ``name``, ``title``, ``description``."""
    return _create(ctx, data, organization=False)


@action()
def group_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update a group (its admins), replacing its fields.

    :param id: the group
    """
    return _update(ctx, data, organization=False)


@action()
def group_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of a group.

    :param id: the group
    """
    return _update(ctx, data, organization=False, patch=True)


@action()
def group_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a group (its admins).

    :param id: the group
    """
    _delete(ctx, data, organization=False)


# -- members ----------------------------------------------------------------------------------


@action()
def organization_member_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a member of an organisation, or change their role (organisation admins).

    :param id: the organisation; :param username: the user
    :param role: admin, editor or member (optional, default member)
    """
    org = service.find_active(ctx.unit, required_str(data, "id"), organization=True)
    _require_manager(ctx, org, "Only the organization's admins may manage its members")
    role = optional_str(data, "role", max_len=20) or "member"
    membership = accounts.set_member(
        ctx.session, group=org, user_ref=required_str(data, "username"), capacity=role
    )
    return _member_dict(org, membership.user_id, membership.capacity)


@action()
def organization_member_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Remove a user from an organisation (organisation admins).

    :param id: the organisation; :param username: the user
    """
    org = service.find_active(ctx.unit, required_str(data, "id"), organization=True)
    _require_manager(ctx, org, "Only the organization's admins may manage its members")
    accounts.remove_member(ctx.session, group=org, user_ref=required_str(data, "username"))


@action()
def member_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Add a dataset or a user to a group or organisation.

    :param id: the group; :param object: the dataset or user (id or name)
    :param object_type: ``package`` or ``user``
    :param capacity: the member's capacity (optional, default member)
    """
    group = _any_group(ctx, required_str(data, "id"))
    object_type = required_str(data, "object_type")
    capacity = optional_str(data, "capacity", max_len=20) or "member"
    ref = required_str(data, "object")
    if object_type == "user":
        _require_manager(ctx, group, "Only the group's admins may manage its members")
        membership = accounts.set_member(ctx.session, group=group, user_ref=ref, capacity=capacity)
        return _member_dict(group, membership.user_id, membership.capacity)
    if object_type != "package":
        raise ValidationFailed.on("object_type", "Value must be one of: package, user")
    if group.is_organization:
        raise ValidationFailed.on("id", "Datasets join organizations through owner_org")
    package = package_service.get_readable_package(
        ctx.unit, actor=ctx.actor, ref=ref, for_update=True
    )
    _require_dataset_in_group(
        ctx, package, group, "Not authorized to add this dataset to the group"
    )
    if group not in package.groups:
        package.groups.append(group)
        changes.touch(ctx.unit, package, actor=ctx.actor)
    return _member_dict(group, package.id, capacity, table="package")


@action()
def member_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Remove a dataset or a user from a group.

    :param id: the group; :param object: the dataset or user; :param object_type: package or user
    """
    group = _any_group(ctx, required_str(data, "id"))
    object_type = required_str(data, "object_type")
    ref = required_str(data, "object")
    if object_type == "user":
        _require_manager(ctx, group, "Only the group's admins may manage its members")
        accounts.remove_member(ctx.session, group=group, user_ref=ref)
        return
    package = package_service.get_readable_package(
        ctx.unit, actor=ctx.actor, ref=ref, for_update=True
    )
    _require_dataset_in_group(
        ctx, package, group, "Not authorized to remove this dataset from the group"
    )
    if group not in package.groups:
        raise NotFound("The dataset is not in this group")
    package.groups.remove(group)
    changes.touch(ctx.unit, package, actor=ctx.actor)


@action(side_effect_free=True)
def organization_list_for_user(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the organisations the calling user may act in.

    :param permission: ``read`` (any membership), ``create_dataset`` or ``manage_group``
        (optional, default ``manage_group``)
    """
    permission = optional_str(data, "permission", max_len=50) or "manage_group"
    wanted = _PERMISSIONS.get(permission, Action.MANAGE)
    orgs = repository.groups(ctx.session, organization=True)
    allowed = [o for o in orgs if policy.can(ctx.actor, wanted, policy.Organization(o.id))]
    return [{**group_dict(o), "capacity": ctx.actor.capacity_in(o.id) or "admin"} for o in allowed]


# CKAN's permission names (organization_list_for_user) as policy actions.
_PERMISSIONS = {
    "read": Action.READ_MEMBERS,
    "create_dataset": Action.CREATE_DATASET,
    "update_dataset": Action.CREATE_DATASET,
    "delete_dataset": Action.CREATE_DATASET,
    "manage_group": Action.MANAGE,
}


def _require_manager(ctx: ActionContext, group: Group, message: str) -> None:
    policy.require(ctx.actor, Action.MANAGE, service.target_of(group), message=message)


def _require_dataset_in_group(
    ctx: ActionContext, package: Package, group: Group, message: str
) -> None:
    """Editors of the dataset who belong to the group put it in or take it out."""
    policy.require(ctx.actor, Action.UPDATE, policy.Dataset.of(package), message=message)
    policy.require(ctx.actor, Action.ADD_DATASET, policy.Group(group.id), message=message)


def _any_group(ctx: ActionContext, ref: str) -> Group:
    group = repository.find_group(ctx.session, ref, organization=False) or repository.find_group(
        ctx.session, ref, organization=True
    )
    if group is None or group.state != "active":
        raise NotFound("Group not found")
    return group
