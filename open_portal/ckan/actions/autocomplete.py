"""Autocomplete actions and tag_show: what the pages' search boxes and forms ask for.

Every list is cut to what the caller may read (datasets.policy): a private, draft or
closed dataset -- or a tag or a format only such datasets use -- never shows to
anyone outside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from datasets import lookup, policy
from datasets.dictization import package_dict
from datasets.policy import Action
from delta.errors import NotFound, ValidationFailed
from open_portal.accounts.models import User
from open_portal.applications import disclosure
from open_portal.ckan.params import as_bool, as_int, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action

MAX_LIMIT = 1000
MAX_TAG_DATASETS = 1000


def _q(data: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = optional_str(data, key, max_len=200)
        if value is not None:
            return value.strip()
    raise ValidationFailed.on(keys[0], "Missing value")


def _limit(data: dict[str, Any], default: int) -> int:
    return as_int(data, "limit", default, minimum=0, maximum=MAX_LIMIT) or 0


@action(side_effect_free=True)
def package_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return datasets whose name or title contains a string (only those you may read).

    :param q: the string to search for
    :param limit: the maximum number of datasets to return (optional, default 10)

    Each result has ``name``, ``title``, ``match_field`` (``name`` or ``title``) and
    ``match_displayed``.
    """
    return lookup.packages(ctx.session, ctx.actor, q=_q(data, "q"), limit=_limit(data, 10))


@action(side_effect_free=True)
def tag_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[str]:
    """Return the names of tags that contain a string, from datasets you may read.

    :param query: the string to search for (``q`` is accepted too)
    :param limit: the maximum number of tags to return (optional, default 10)
    :param offset: where to start (optional, default 0)
    """
    return list(
        lookup.tags(
            ctx.session,
            ctx.actor,
            q=_q(data, "query", "q"),
            limit=_limit(data, 10),
            offset=as_int(data, "offset", 0) or 0,
        )
    )


@action(side_effect_free=True)
def format_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[str]:
    """Return resource formats that contain a string, most used first (lower case).

    :param q: the string to search for
    :param limit: the maximum number of formats to return (optional, default 5)
    """
    return lookup.formats(ctx.session, ctx.actor, q=_q(data, "q"), limit=_limit(data, 5))


@action(side_effect_free=True)
def organization_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return organizations whose name or title contains a string.

    :param q: the string to search for
    :param limit: the maximum number of organizations to return (optional, default 20)

    Each result has ``id``, ``name`` and ``title``.
    """
    return lookup.groups(ctx.session, q=_q(data, "q"), limit=_limit(data, 20), organization=True)


@action(side_effect_free=True)
def group_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return groups whose name or title contains a string.

    :param q: the string to search for
    :param limit: the maximum number of groups to return (optional, default 20)

    Each result has ``id``, ``name`` and ``title``.
    """
    return lookup.groups(ctx.session, q=_q(data, "q"), limit=_limit(data, 20), organization=False)


@action(side_effect_free=True)
def user_autocomplete(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return users whose name or full name contains a string (for adding members:
    organisation and group admins and sysadmins; e-mail addresses are never returned).

    :param q: the string to search for
    :param limit: the maximum number of users to return (optional, default 20)
    :param ignore_self: leave yourself out (optional, default False)

    Each result has ``id``, ``name`` and ``fullname``.
    """
    policy.require(
        ctx.actor,
        Action.FIND_USERS,
        policy.SITE,
        message="Only sysadmins and organization or group admins may look users up",
    )
    q = _q(data, "q")
    stmt = select(User).where(
        User.state == "active",
        lookup.contains(User.name, q) | lookup.contains(User.fullname, q),
    )
    if as_bool(data, "ignore_self") and ctx.user is not None:
        stmt = stmt.where(User.id != ctx.user.id)
    users = ctx.session.scalars(stmt.order_by(User.name).limit(_limit(data, 20))).all()
    return [{"id": u.id, "name": u.name, "fullname": u.fullname} for u in users]


@action(side_effect_free=True)
def tag_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a tag, and with ``include_datasets`` its datasets you may read.

    :param id: the id or name of the tag
    :param include_datasets: include up to 1000 of its datasets (optional, default False)

    A tag that only datasets hidden from you carry is not found.
    """
    tag = lookup.find_tag(ctx.session, ctx.actor, required_str(data, "id"))
    if tag is None:
        raise NotFound("Tag not found")
    out: dict[str, Any] = {
        "id": tag.id,
        "name": tag.name,
        "display_name": tag.name,
        "vocabulary_id": None,
    }
    if as_bool(data, "include_datasets"):
        rows = lookup.tag_packages(ctx.session, ctx.actor, tag, limit=MAX_TAG_DATASETS)
        shown = [package_dict(p, site_url=ctx.unit.site_url) for p in rows]
        out["packages"] = disclosure.packages_for(ctx.session, ctx.actor, ctx.unit.site_url, shown)
    return out
