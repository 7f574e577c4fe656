"""member_list: the datasets and users of an organisation or group."""

from __future__ import annotations

from typing import Any

from datasets import groups as group_service
from datasets import lookup, policy, repository
from datasets.models import Group
from datasets.policy import Action
from delta.errors import NotAuthorized, NotFound, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.ckan.params import optional_str, required_str
from open_portal.ckan.registry import ActionContext, action

OBJECT_TYPES = ("package", "user")


@action(side_effect_free=True)
def member_list(ctx: ActionContext, data: dict[str, Any]) -> list[list[str]]:
    """Return the members of an organization or group as ``[id, type, capacity]`` lists.

    :param id: the id or name of the organization or group
    :param object_type: ``package`` or ``user`` (optional, default both)
    :param capacity: only members of this capacity, e.g. ``admin``, ``editor``,
        ``member``; datasets are ``organization`` (owned) or ``public`` (in a group)
        (optional)

    Datasets are those you may read. Users are listed to the group's own members and
    sysadmins only: asking for ``object_type=user`` otherwise is refused, and without
    ``object_type`` only datasets are listed.
    """
    ref = required_str(data, "id")
    group = _any_group(ctx, ref)
    object_type = optional_str(data, "object_type", max_len=20) or None
    if object_type is not None and object_type not in OBJECT_TYPES:
        raise ValidationFailed.on("object_type", "Value must be one of: package, user")
    capacity = optional_str(data, "capacity", max_len=20) or None
    out: list[list[str]] = []
    if object_type in (None, "package"):
        out += [
            [package_id, "package", held]
            for package_id, held in lookup.group_packages(ctx.session, ctx.actor, group)
        ]
    target = group_service.target_of(group)
    may_see_users = policy.can(ctx.actor, Action.READ_MEMBERS, target)
    if object_type == "user" and not may_see_users:
        raise NotAuthorized("Only the group's members may see who belongs to it")
    if object_type in (None, "user") and may_see_users:
        out += [[m.user_id, "user", m.capacity] for m in accounts.members(ctx.session, group.id)]
    if capacity is not None:
        out = [row for row in out if row[2] == capacity]
    return out


def _any_group(ctx: ActionContext, ref: str) -> Group:
    group = repository.find_group(ctx.session, ref, organization=False) or repository.find_group(
        ctx.session, ref, organization=True
    )
    if group is None or group.state != "active":
        raise NotFound("Group not found")
    return group
