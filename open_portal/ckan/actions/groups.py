"""Organisation and group actions, and their members.

CKAN's organisation and group actions are the same actions on two kinds of
group, so they are registered from one set of functions.
"""

from __future__ import annotations

from typing import Any

from datasets import groups as service
from datasets import packages as package_service
from datasets import repository, timeliness
from datasets.dictization import group_dict
from datasets.models import Group, utcnow
from delta.errors import NotAuthorized, NotFound, ValidationFailed
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
    if as_bool(data, "include_users", True) and ctx.actor.is_member_of(out["id"]):
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


def _register(organization: bool) -> None:
    kind = service.kind(organization)

    def list_(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
        return _list(ctx, data, organization=organization)

    def show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
        return _show(ctx, data, organization=organization)

    def create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
        return _create(ctx, data, organization=organization)

    def update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
        return _update(ctx, data, organization=organization)

    def patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
        return _update(ctx, data, organization=organization, patch=True)

    def delete(ctx: ActionContext, data: dict[str, Any]) -> None:
        _delete(ctx, data, organization=organization)

    list_.__doc__ = f"""Return the names of the site's {kind}s (or dicts with ``all_fields``).

    :param sort: ``name``, ``title`` or ``package_count``, with ``asc``/``desc``
    :param limit: (optional); :param offset: (optional)
    """
    show.__doc__ = f"""Return a {kind}.

    :param id: the id or name of the {kind}
    :param include_datasets: include its datasets (optional, default False)
    """
    create.__doc__ = f"Create a {kind} (sysadmins). Takes ``name``, ``title``, ``description``."
    update.__doc__ = f"Update a {kind} (its admins), replacing its fields.\n\n:param id: the {kind}"
    patch.__doc__ = f"Update only the given fields of a {kind}.\n\n:param id: the {kind}"
    delete.__doc__ = f"Delete a {kind} (its admins).\n\n:param id: the {kind}"
    for suffix, fn, read in (
        ("list", list_, True), ("show", show, True), ("create", create, False),
        ("update", update, False), ("patch", patch, False), ("delete", delete, False),
    ):  # fmt: skip
        action(side_effect_free=read, name=f"{kind}_{suffix}")(fn)


_register(organization=True)
_register(organization=False)


@action()
def organization_member_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a member of an organisation, or change their role (organisation admins).

    :param id: the organisation; :param username: the user; :param role: admin, editor or member
    """
    org = service.find_active(ctx.unit, required_str(data, "id"), organization=True)
    if not ctx.actor.can_admin(org.id):
        raise NotAuthorized("Only the organization's admins may manage its members")
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
    if not ctx.actor.can_admin(org.id):
        raise NotAuthorized("Only the organization's admins may manage its members")
    accounts.remove_member(ctx.session, group=org, user_ref=required_str(data, "username"))


@action()
def member_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Add a dataset or a user to a group or organisation.

    :param id: the group; :param object: the dataset or user (id or name)
    :param object_type: ``package`` or ``user``; :param capacity: the member's capacity
    """
    group = _any_group(ctx, required_str(data, "id"))
    object_type = required_str(data, "object_type")
    capacity = optional_str(data, "capacity", max_len=20) or "member"
    ref = required_str(data, "object")
    if object_type == "user":
        if not ctx.actor.can_admin(group.id):
            raise NotAuthorized("Only the group's admins may manage its members")
        membership = accounts.set_member(ctx.session, group=group, user_ref=ref, capacity=capacity)
        return _member_dict(group, membership.user_id, membership.capacity)
    if object_type != "package":
        raise ValidationFailed.on("object_type", "Value must be one of: package, user")
    if group.is_organization:
        raise ValidationFailed.on("id", "Datasets join organizations through owner_org")
    package = package_service.get_readable_package(ctx.unit, actor=ctx.actor, ref=ref)
    if not (ctx.actor.can_edit_in(package.owner_org) and ctx.actor.is_member_of(group.id)):
        raise NotAuthorized("Not authorized to add this dataset to the group")
    if group not in package.groups:
        package.groups.append(group)
        package_service.touch(ctx.unit, package, actor=ctx.actor)
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
        if not ctx.actor.can_admin(group.id):
            raise NotAuthorized("Only the group's admins may manage its members")
        accounts.remove_member(ctx.session, group=group, user_ref=ref)
        return
    package = package_service.get_readable_package(ctx.unit, actor=ctx.actor, ref=ref)
    if not (ctx.actor.can_edit_in(package.owner_org) and ctx.actor.is_member_of(group.id)):
        raise NotAuthorized("Not authorized to remove this dataset from the group")
    if group not in package.groups:
        raise NotFound("The dataset is not in this group")
    package.groups.remove(group)
    package_service.touch(ctx.unit, package, actor=ctx.actor)


@action(side_effect_free=True)
def organization_list_for_user(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the organisations the calling user may act in.

    :param permission: ``read`` (any membership), ``create_dataset``/``manage_group``
    """
    permission = optional_str(data, "permission", max_len=50) or "manage_group"
    orgs = repository.groups(ctx.session, organization=True)
    if permission == "read":
        allowed = [o for o in orgs if ctx.actor.is_member_of(o.id)]
    elif permission in ("create_dataset", "update_dataset", "delete_dataset"):
        allowed = [o for o in orgs if ctx.actor.can_edit_in(o.id)]
    else:
        allowed = [o for o in orgs if ctx.actor.can_admin(o.id)]
    return [{**group_dict(o), "capacity": ctx.actor.capacity_in(o.id) or "admin"} for o in allowed]


def _any_group(ctx: ActionContext, ref: str) -> Group:
    group = repository.find_group(ctx.session, ref, organization=False) or repository.find_group(
        ctx.session, ref, organization=True
    )
    if group is None or group.state != "active":
        raise NotFound("Group not found")
    return group
