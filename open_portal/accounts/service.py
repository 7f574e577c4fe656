"""Accounts: users, API tokens, organisation membership, and the request principal."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets import policy, repository
from datasets.dictization import iso
from datasets.models import Group, Package, PackageCollaborator, utcnow
from datasets.policy import Principal
from datasets.schemas import Lenient, MemberIn, Name, parse_model
from delta import passwords
from delta.errors import NotAuthorized, NotFound, ValidationFailed
from open_portal.accounts import tokens
from open_portal.accounts.models import CAPACITIES, ApiToken, Membership, User, WebSession

MIN_PASSWORD = 8
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
# Touching last_used_at on every call would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


class _UserIn(Lenient):
    name: Name


def find_user(session: Session, ref: str) -> User | None:
    return repository.find_by_ref(session, User, ref)


def create_user(
    session: Session,
    *,
    name: str,
    email: str,
    password: str,
    sysadmin: bool = False,
    fullname: str = "",
) -> User:
    errors: dict[str, list[str]] = {}
    try:
        parse_model(_UserIn, {"name": name})
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if repository.ref_taken(session, User, name):
        errors.setdefault("name", []).append("That login name is not available.")
    if not _EMAIL.match(email or ""):
        errors["email"] = ["Email is not valid"]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [f"Your password must be {MIN_PASSWORD} characters or longer"]
    if errors:
        raise ValidationFailed(errors)
    user = User(
        name=name,
        email=email,
        fullname=fullname,
        password_hash=passwords.hash_password(password),
        sysadmin=sysadmin,
    )
    session.add(user)
    session.flush()
    return user


def user_dict(session: Session, user: User, *, viewer: Principal) -> dict[str, Any]:
    """CKAN's user dict; e-mail only for the user themself and sysadmins, never a hash."""
    own = policy.can(viewer, policy.Action.READ_PRIVATE, policy.Account(user.id, user.state))
    # As CKAN: others count only public datasets -- counting private, draft and closed
    # ones too would tell anyone that hidden datasets exist, and how many.
    counted = select(func.count()).select_from(Package).where(Package.creator_user_id == user.id)
    if own:
        counted = counted.where(Package.state.in_(("active", "draft")))
    else:
        counted = counted.where(policy.public_datasets())
    created = session.scalar(counted)
    out: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "about": user.about,
        "created": iso(user.created),
        "sysadmin": user.sysadmin,
        "state": user.state,
        "number_created_packages": created or 0,
        "image_display_url": "",
    }
    if own:
        out["email"] = user.email
    return out


def create_token(
    session: Session, *, user: User, name: str, expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    if not name.strip() or len(name) > 200:
        raise ValidationFailed.on("name", "A token needs a name of 1-200 characters")
    plaintext = tokens.new_token()
    row = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=tokens.digest(plaintext),
        expires_at=(utcnow() + expires_in) if expires_in else None,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def revoke_tokens(session: Session, *, user: User, name: str | None = None) -> int:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name is not None:
        stmt = stmt.where(ApiToken.name == name)
    rows = session.scalars(stmt).all()
    for row in rows:
        revoke_token(session, row)
    return len(rows)


def revoke_token(session: Session, row: ApiToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()


def user_for_token(session: Session, token: str) -> User:
    """The active user a token belongs to, or :class:`NotAuthorized`."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == tokens.digest(token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise NotAuthorized("Invalid, expired or revoked API token")
    if row.user.state != "active":
        raise NotAuthorized("Invalid, expired or revoked API token")
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row.user


def principal_for(session: Session, user: User | None) -> Principal:
    if user is None:
        return Principal()
    capacities = dict(
        session.execute(
            select(Membership.group_id, Membership.capacity)
            .join(Group, Group.id == Membership.group_id)
            .where(Membership.user_id == user.id, Group.state == "active")
        ).all()
    )
    collaborations = dict(
        session.execute(
            select(PackageCollaborator.package_id, PackageCollaborator.capacity).where(
                PackageCollaborator.user_id == user.id
            )
        ).all()
    )
    return Principal(
        user_id=user.id,
        name=user.name,
        sysadmin=user.sysadmin,
        capacities=capacities,
        grants=policy.grants_of(session, user.id),
        collaborations=collaborations,
    )


def members(session: Session, group_id: str) -> Sequence[Membership]:
    return session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == group_id)
        .order_by(User.name)
    ).all()


def member_dicts(session: Session, group_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": m.user.id,
            "name": m.user.name,
            "fullname": m.user.fullname,
            "display_name": m.user.fullname or m.user.name,
            "capacity": m.capacity,
            "state": m.user.state,
            "sysadmin": m.user.sysadmin,
        }
        for m in members(session, group_id)
    ]


def set_member(session: Session, *, group: Group, user_ref: str, capacity: str) -> Membership:
    if capacity not in CAPACITIES:
        raise ValidationFailed.on("role", f"Value must be one of: {', '.join(CAPACITIES)}")
    user = find_user(session, user_ref)
    if user is None or user.state != "active":
        raise NotFound("User not found")
    membership = session.scalars(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    ).first()
    if membership is None:
        membership = Membership(group_id=group.id, user_id=user.id, capacity=capacity)
        session.add(membership)
    else:
        membership.capacity = capacity
    session.flush()
    return membership


def remove_member(session: Session, *, group: Group, user_ref: str) -> None:
    user = find_user(session, user_ref)
    if user is None:
        raise NotFound("User not found")
    membership = session.scalars(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    ).first()
    if membership is None:
        raise NotFound("User is not a member of this group")
    session.delete(membership)
    session.flush()


def sync_members(session: Session, *, group: Group, users: list[dict[str, Any]]) -> None:
    """Make the group's members exactly ``users`` (CKAN's group_update ``users`` key)."""
    wanted: dict[str, str] = {}
    problems: list[dict[str, list[str]]] = []
    for raw in users:
        try:
            member = parse_model(MemberIn, raw if isinstance(raw, dict) else {"name": raw})
        except ValidationFailed as exc:
            problems.append({k: v for k, v in exc.errors.items() if isinstance(v, list)})
            continue
        if find_user(session, member.name) is None:
            problems.append({"name": ["User not found"]})
            continue
        problems.append({})
        wanted[member.name] = member.capacity
    if any(problems):
        raise ValidationFailed({"users": problems})
    for membership in members(session, group.id):
        if membership.user.name not in wanted and membership.user.id not in wanted:
            session.delete(membership)
    session.flush()
    for name, capacity in wanted.items():
        set_member(session, group=group, user_ref=name, capacity=capacity)


def parse_expiry(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days else None


def token_summary(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "last_used_at": iso(row.last_used_at),
        "revoked": row.revoked_at is not None,
    }


def _other_active_sysadmins(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.sysadmin.is_(True), User.state == "active", User.id != user.id)
        )
        or 0
    )


def _rename_errors(session: Session, name: str, *, by_sysadmin: bool) -> dict[str, list[str]]:
    if not by_sysadmin:
        return {"name": ["Only sysadmins may change a user name"]}
    errors: dict[str, list[str]] = {}
    try:
        parse_model(_UserIn, {"name": name})
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if repository.ref_taken(session, User, name):
        errors.setdefault("name", []).append("That login name is not available.")
    return errors


def _sysadmin_errors(session: Session, user: User, sysadmin: Any) -> dict[str, list[str]]:
    if not isinstance(sysadmin, bool):
        return {"sysadmin": ["Must be a boolean value (true or false)"]}
    if not sysadmin and user.sysadmin and not _other_active_sysadmins(session, user):
        return {"sysadmin": ["The last sysadmin cannot stop being one"]}
    return {}


def update_user(session: Session, *, user: User, data: dict[str, Any], by_sysadmin: bool) -> User:
    """CKAN's user_update on ``user``: ``email`` is required, ``fullname`` and ``about``
    are replaced, ``password`` changes only when given. Only sysadmins rename users or
    set ``sysadmin`` (others' ``sysadmin`` is ignored, as CKAN does)."""
    errors: dict[str, list[str]] = {}

    def text(key: str, max_len: int) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and len(value) <= max_len):
            return value
        errors[key] = [f"Must be a string of at most {max_len} characters"]
        return None

    name = text("name", 100)
    email = text("email", 320)
    fullname = text("fullname", 200)
    about = text("about", 5000)
    password = text("password", 200)
    if name is not None and name != user.name:
        errors.update(_rename_errors(session, name, by_sysadmin=by_sysadmin))
    if "email" not in errors and not _EMAIL.match(email or ""):
        errors["email"] = ["Missing value" if not email else "Email is not valid"]
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = [f"Your password must be {MIN_PASSWORD} characters or longer"]
    sysadmin = data.get("sysadmin") if by_sysadmin else None
    if sysadmin is not None:
        errors.update(_sysadmin_errors(session, user, sysadmin))
    if errors:
        raise ValidationFailed(errors)
    if name is not None and by_sysadmin:
        user.name = name
    user.email = email or ""
    user.fullname = fullname or ""
    user.about = about or ""
    if password is not None:
        user.password_hash = passwords.hash_password(password)
    if isinstance(sysadmin, bool):
        user.sysadmin = sysadmin
    session.flush()
    return user


def delete_user(session: Session, user: User) -> None:
    """CKAN's user_delete: the account stays (state ``deleted``, its name kept) but
    loses its memberships, collaborations, tokens and browser sessions."""
    if user.sysadmin and user.state == "active" and not _other_active_sysadmins(session, user):
        raise ValidationFailed.on("id", "The last sysadmin cannot be deleted")
    user.state = "deleted"
    for model, column in (
        (Membership, Membership.user_id),
        (PackageCollaborator, PackageCollaborator.user_id),
        (WebSession, WebSession.user_id),
    ):
        session.execute(sa_delete(model).where(column == user.id))
    revoke_tokens(session, user=user)
    session.flush()
