"""User and API-token actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from datasets import policy
from datasets.policy import Action
from delta.errors import NotFound, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.accounts import tokens
from open_portal.accounts.models import ApiToken, User
from open_portal.ckan.params import as_bool, as_int, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action

# CKAN's api_token_create takes a count of a unit in seconds.
_UNITS = {"1": 1, "60": 60, "3600": 3600, "86400": 86400}
MAX_TOKEN_SECONDS = 100 * 366 * 86400


def _user(ctx: ActionContext, ref: str) -> User:
    user = accounts.find_user(ctx.session, ref)
    if user is None:
        raise NotFound("User not found")
    policy.require(ctx.actor, Action.READ, _account(user))
    return user


def _account(user: User) -> policy.Account:
    return policy.Account(user.id, user.state)


@action(side_effect_free=True)
def user_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a user's public profile (e-mail only to the user and sysadmins).

    :param id: the id or name of the user (optional, default you)
    """
    ref = optional_str(data, "id", max_len=200) or optional_str(data, "user_obj")
    if not ref:
        if ctx.user is None:
            raise NotFound("User not found")
        ref = ctx.user.id
    return accounts.user_dict(ctx.session, _user(ctx, ref), viewer=ctx.actor)


@action(side_effect_free=True)
def user_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Return the site's users (sysadmins only: the list names people).

    :param all_fields: return dicts (default True) or names
    """
    policy.require(
        ctx.actor, Action.LIST_USERS, policy.SITE, message="Only sysadmins may list users"
    )
    users = ctx.session.scalars(
        select(User).where(User.state == "active").order_by(User.name)
    ).all()
    if not as_bool(data, "all_fields", True):
        return [u.name for u in users]
    return [accounts.user_dict(ctx.session, u, viewer=ctx.actor) for u in users]


@action()
def user_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a user (sysadmins).

    :param name: login name; :param email: e-mail; :param password: at least 8 characters
    :param fullname: (optional)
    """
    policy.require(
        ctx.actor, Action.CREATE_USER, policy.SITE, message="Only sysadmins may create users"
    )
    user = accounts.create_user(
        ctx.session,
        name=required_str(data, "name"),
        email=optional_str(data, "email", max_len=320) or "",
        password=optional_str(data, "password", max_len=200) or "",
        fullname=optional_str(data, "fullname", max_len=200) or "",
        sysadmin=False,
    )
    return accounts.user_dict(ctx.session, user, viewer=ctx.actor)


@action()
def api_token_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, str]:
    """Create an API token for yourself (or, as a sysadmin, for anyone). Shown only once.

    :param user: the user; :param name: a name for the token
    :param expires_in: (optional) how many ``unit`` until it expires
    :param unit: seconds per unit: 1, 60, 3600 or 86400 (optional, default 86400)
    """
    user = _user(ctx, required_str(data, "user"))
    policy.require(
        ctx.actor,
        Action.MANAGE_TOKENS,
        _account(user),
        message="You may only create tokens for yourself",
    )
    expires_in = as_int(data, "expires_in", None, minimum=1, maximum=10_000_000)
    unit = _UNITS.get(str(data.get("unit", "86400")), 86400)
    if expires_in and expires_in * unit > MAX_TOKEN_SECONDS:
        # Beyond this the expiry date would not exist (past the year 9999).
        raise ValidationFailed.on("expires_in", "A token may last at most 100 years")
    _, token = accounts.create_token(
        ctx.session,
        user=user,
        name=required_str(data, "name"),
        expires_in=timedelta(seconds=expires_in * unit) if expires_in else None,
    )
    return {"token": token}


@action(side_effect_free=True)
def api_token_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """List a user's tokens (never the tokens themselves).

    :param user: the user (optional, default you)
    """
    ref = optional_str(data, "user", max_len=200) or optional_str(data, "user_id", max_len=200)
    user = _user(ctx, ref or (ctx.user.id if ctx.user else ""))
    policy.require(
        ctx.actor, Action.MANAGE_TOKENS, _account(user), message="You may only list your own tokens"
    )
    rows = ctx.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    ).all()
    return [accounts.token_summary(row) for row in rows]


@action()
def api_token_revoke(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Revoke a token.

    :param jti: the token's id (from api_token_list; optional when ``token`` is given)
    :param token: or the token itself (as CKAN; ``jti`` wins when both are given)
    """
    if data.get("jti") is None and data.get("token") is not None:
        secret = optional_str(data, "token", max_len=200) or ""
        row = ctx.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == tokens.digest(secret))
        ).first()
    else:
        row = ctx.session.get(ApiToken, required_str(data, "jti"))
    if row is None:
        raise NotFound("Token not found")
    policy.require(
        ctx.actor,
        Action.MANAGE_TOKENS,
        _account(row.user),
        message="You may only revoke your own tokens",
    )
    accounts.revoke_token(ctx.session, row)


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    """Form posts send ``sysadmin`` as text ("true")."""
    if data.get("sysadmin") is None:
        return data
    return {**data, "sysadmin": as_bool(data, "sysadmin")}


def _editable(ctx: ActionContext, data: dict[str, Any]) -> User:
    user = _user(ctx, required_str(data, "id"))
    who = ctx.actor.name or "anonymous"
    policy.require(
        ctx.actor,
        Action.UPDATE_ACCOUNT,
        _account(user),
        message=f"User {who} not authorized to edit user {user.id}",
    )
    return user


@action()
def user_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update a user account (yourself; sysadmins any), replacing its fields:
    ``fullname`` and ``about`` not given become empty. Use ``user_patch`` to change
    only some.

    :param id: the id or name of the user
    :param email: the e-mail address (required)
    :param fullname: (optional); :param about: (optional)
    :param password: a new password of at least 8 characters (optional)
    :param name: a new login name (sysadmins only)
    :param sysadmin: (sysadmins only; ignored for others)
    """
    user = _editable(ctx, data)
    accounts.update_user(ctx.session, user=user, data=_typed(data), by_sysadmin=ctx.actor.sysadmin)
    return accounts.user_dict(ctx.session, user, viewer=ctx.actor)


@action()
def user_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of a user account (yourself; sysadmins any).

    :param id: the id or name of the user
    :param email: (optional); :param fullname: (optional); :param about: (optional)
    :param password: a new password of at least 8 characters (optional)
    :param name: a new login name (sysadmins only; optional)
    :param sysadmin: (sysadmins only; optional)
    """
    user = _editable(ctx, data)
    current = {"email": user.email, "fullname": user.fullname, "about": user.about}
    merged = {**current, **_typed(data)}
    accounts.update_user(ctx.session, user=user, data=merged, by_sysadmin=ctx.actor.sysadmin)
    return accounts.user_dict(ctx.session, user, viewer=ctx.actor)


@action()
def user_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a user (sysadmins). The account is kept with state ``deleted``; its
    memberships, dataset collaborations, API tokens and sessions end. The last
    sysadmin cannot be deleted.

    :param id: the id or name of the user
    """
    user = accounts.find_user(ctx.session, required_str(data, "id"))
    policy.require(
        ctx.actor,
        Action.DELETE_ACCOUNT,
        _account(user) if user is not None else policy.Account(""),
        message="Only sysadmins may delete users",
    )
    if user is None or user.state == "deleted":
        raise NotFound("User not found")
    accounts.delete_user(ctx.session, user)
