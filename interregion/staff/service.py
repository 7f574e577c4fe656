"""Staff accounts: create, list, disable; log in (password, TOTP); API tokens.

Passwords, TOTP and lockout are the home identity provider's code
(:mod:`interregion.identity.service`) on the staff table, so both kinds of
login hold against the same attacks (parallel guesses, reused codes).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from delta.passwords import hash_password, verify_password
from interregion.cases.units import unit
from interregion.identity import service as credentials
from interregion.identity.service import LoginRefused
from interregion.staff.models import ROLES, StaffAccount, StaffApiToken
from interregion.tokens import token_hash

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_CHARS = 12
TOKEN_PREFIX = "dst_"  # noqa: S105  (a prefix, not a secret)
# Which kind of unit each role works in.
ROLE_UNITS = {"clerk": "window", "reviewer": "department"}


class StaffError(ValueError):
    """A staff command that cannot be done as asked (clear message, nothing written)."""


@dataclass(frozen=True)
class NewStaff:
    account: StaffAccount
    password: str
    totp_secret: str

    def as_json(self, *, region: str) -> dict[str, Any]:
        return {
            **describe(self.account),
            "password": self.password,
            "totp_secret": self.totp_secret,
            "totp_uri": pyotp.TOTP(self.totp_secret).provisioning_uri(
                name=self.account.username, issuer_name=f"Delta window {region}"
            ),
        }


def describe(account: StaffAccount) -> dict[str, Any]:
    window = unit(account.window)
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "window": account.window,
        "window_name": window.name if window else "",
        "disabled": account.disabled_at is not None,
        "created_at": account.created_at.isoformat(),
    }


def check_unit(region: str, role: str, window: str) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    found = unit(window)
    if found is None or found.region != region:
        raise StaffError(f"{window!r} is not a window or department of region {region}")
    wanted = ROLE_UNITS.get(role)
    if wanted and found.kind != wanted:
        raise StaffError(f"a {role} works at a {wanted}, and {window} is a {found.kind}")


def create(
    session: Session,
    *,
    region: str,
    username: str,
    role: str,
    window: str,
    display_name: str = "",
    password: str | None = None,
    totp_secret: str | None = None,
    password_hash: str | None = None,
) -> NewStaff:
    if not USERNAME.match(username):
        raise StaffError("usernames are 3-64 of a-z, 0-9, '.', '_', '-', starting alphanumeric")
    check_unit(region, role, window)
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"passwords have at least {MIN_PASSWORD_CHARS} characters")
    if find(session, username) is not None:
        raise StaffError(f"staff account {username!r} exists already")
    password = password or secrets.token_urlsafe(15)
    secret = totp_secret or pyotp.random_base32()
    account = StaffAccount(
        username=username,
        display_name=(display_name or username)[:100],
        role=role,
        window=window,
        password_hash=password_hash or hash_password(password),
        totp_secret=secret,
    )
    session.add(account)
    session.flush()
    return NewStaff(account, password, secret)


def find(session: Session, username: str) -> StaffAccount | None:
    return session.scalars(
        select(StaffAccount).where(StaffAccount.username == username)
    ).one_or_none()


def listing(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def disable(session: Session, *, username: str, now: datetime) -> StaffAccount:
    """Disabled staff cannot log in; their sessions and tokens stop working at once."""
    account = find(session, username)
    if account is None:
        raise StaffError(f"no staff account {username!r}")
    if account.disabled_at is None:
        account.disabled_at = now
        session.execute(
            update(StaffApiToken)
            .where(StaffApiToken.staff_id == account.id, StaffApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return account


def check_password(
    session: Session, *, username: str, password: str, now: datetime
) -> StaffAccount:
    """Password step; a disabled account is refused like a locked one (same cost)."""
    found = find(session, username.strip()[:64]) if len(username) <= 64 else None
    if found is not None and found.disabled_at is not None:
        verify_password(None, password)
        raise LoginRefused("disabled")
    account: StaffAccount = credentials.check_password(
        session, username=username, password=password, now=now, model=StaffAccount
    )
    return account


def check_totp(session: Session, *, account: StaffAccount, code: str, now: datetime) -> None:
    if account.disabled_at is not None:
        raise LoginRefused("disabled")
    credentials.check_totp(session, account=account, code=code, now=now)


# --- API tokens ------------------------------------------------------------------------------


def issue_token(
    session: Session, *, account: StaffAccount, label: str, lifetime: timedelta, now: datetime
) -> tuple[str, StaffApiToken]:
    if account.disabled_at is not None:
        raise StaffError("the account is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = StaffApiToken(
        token_hash=token_hash(token),
        staff_id=account.id,
        label=label[:100],
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    return token, row


def account_for_token(session: Session, token: str, *, now: datetime) -> StaffAccount | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100 or not token.isascii():
        return None
    row = session.get(StaffApiToken, token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    account = session.get(StaffAccount, row.staff_id)
    if account is None or account.disabled_at is not None:
        return None
    return account
