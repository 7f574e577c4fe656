"""Dataset collaborators: CKAN's package_collaborator_create, _delete, _list and
_list_for_user.

Always on here (CKAN's ``ckan.auth.allow_dataset_collaborators``), with the
capacities ``editor`` and ``member`` (not ``admin``); the admins of the dataset's
organisation manage them.
"""

from __future__ import annotations

from typing import Any

from datasets import collaborators as service
from datasets import policy
from datasets.policy import Action
from delta.errors import NotFound
from open_portal.accounts import service as accounts
from open_portal.accounts.models import User
from open_portal.ckan.params import optional_str, required_str
from open_portal.ckan.registry import ActionContext, action


def _user(ctx: ActionContext, data: dict[str, Any]) -> User:
    user = accounts.find_user(ctx.session, required_str(data, "user_id"))
    if user is None or user.state != "active":
        raise NotFound("User not found")
    return user


@action()
def package_collaborator_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a collaborator in a dataset, or change their capacity (admins of the
    dataset's organization). A ``member`` reads the dataset (private, draft or closed;
    a closed dataset's data stays with its organization), an ``editor`` also edits it.

    :param id: the id or name of the dataset
    :param user_id: the id or name of the user
    :param capacity: ``editor`` or ``member``

    Returns ``package_id``, ``user_id``, ``capacity`` and ``modified``.
    """
    ref = required_str(data, "id")
    capacity = required_str(data, "capacity")
    service.check_capacity(capacity, required=True)
    return service.set_collaborator(
        ctx.unit, actor=ctx.actor, ref=ref, user_id=_user(ctx, data).id, capacity=capacity
    )


@action()
def package_collaborator_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Remove a collaborator from a dataset (admins of the dataset's organization).

    :param id: the id or name of the dataset
    :param user_id: the id or name of the user
    """
    ref = required_str(data, "id")
    service.remove_collaborator(ctx.unit, actor=ctx.actor, ref=ref, user_id=_user(ctx, data).id)


@action(side_effect_free=True)
def package_collaborator_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a dataset's collaborators (admins of the dataset's organization).

    :param id: the id or name of the dataset
    :param capacity: only those of this capacity, ``editor`` or ``member`` (optional)
    """
    return service.list_collaborators(
        ctx.unit,
        actor=ctx.actor,
        ref=required_str(data, "id"),
        capacity=optional_str(data, "capacity", max_len=20) or None,
    )


@action(side_effect_free=True)
def package_collaborator_list_for_user(
    ctx: ActionContext, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return the datasets a user is a collaborator in (yourself; sysadmins anyone).

    :param id: the id or name of the user
    :param capacity: only those of this capacity, ``editor`` or ``member`` (optional)

    Each result has ``package_id``, ``capacity`` and ``modified``.
    """
    user = accounts.find_user(ctx.session, required_str(data, "id"))
    if user is None:
        raise NotFound("User not found")
    policy.require(
        ctx.actor,
        Action.READ_PRIVATE,
        policy.Account(user.id, user.state),
        message="Not allowed to retrieve collaborators",
    )
    return service.collaborations_of(
        ctx.unit, user_id=user.id, capacity=optional_str(data, "capacity", max_len=20) or None
    )
