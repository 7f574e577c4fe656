"""Accounts in the browser: self-registration, e-mail verification, login with
lockout, and sessions.

* A self-registered account is ``pending`` until its e-mail address is
  verified; pending accounts can neither log in nor use API tokens.
* Verification links carry an HMAC-signed (user, address, expiry) -- no table,
  and a link for an address the account no longer has is void.
* Each login attempt first reserves one failure in its own committed
  transaction (a conditional UPDATE), then checks the password: parallel
  guesses cannot get past the limit, and the attempt that reaches it locks
  the account for a while. A right password clears the count.
* Sessions are random 256-bit tokens; the database keeps their SHA-256 only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from datasets.models import utcnow
from delta import passwords
from delta.errors import NotAuthorized, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.accounts.mailer import Mail, Mailer
from open_portal.accounts.models import LoginGuard, User, WebSession

PENDING = "pending"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock: timedelta


class LoginRefused(NotAuthorized):
    """Wrong name or password, an unverified address, or a locked account."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid", "pending", "locked"


# --- registration and verification -------------------------------------------------


def register(session: Session, *, name: str, email: str, password: str, fullname: str = "") -> User:
    """A new, pending account (the address must be verified before it can log in)."""
    email = email.strip()
    if session.scalar(select(User.id).where(User.email == email).limit(1)):
        raise ValidationFailed.on("email", "An account with this e-mail address already exists")
    user = accounts.create_user(
        session, name=name.strip(), email=email, password=password, fullname=fullname.strip()
    )
    user.state = PENDING
    session.flush()
    return user


def verification_token(key: bytes, user: User, *, valid_for: timedelta) -> str:
    expires = int((utcnow() + valid_for).timestamp())
    body = json.dumps([user.id, user.email, expires], separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
    return f"{payload}.{_mac(key, payload)}"


def verify_email(session: Session, key: bytes, token: str) -> User:
    """Activate the account a verification link names; idempotent for active accounts."""
    payload, _, mac = token.partition(".")
    if not payload or len(token) > 500 or not hmac.compare_digest(mac, _mac(key, payload)):
        raise ValidationFailed.on("token", "This verification link is not valid")
    try:
        user_id, email, expires = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    except (ValueError, TypeError):
        raise ValidationFailed.on("token", "This verification link is not valid") from None
    if utcnow().timestamp() > float(expires):
        raise ValidationFailed.on("token", "This verification link has expired")
    user = session.get(User, str(user_id))
    if user is None or user.email != email or user.state not in (PENDING, "active"):
        raise ValidationFailed.on("token", "This verification link is not valid")
    user.state = "active"
    session.flush()
    return user


def send_verification(
    mailer: Mailer, *, user: User, link: str, subject: str, body_template: str
) -> None:
    mailer.send(Mail(to=user.email, subject=subject, body=body_template.format(link=link)))


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, f"verify:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- login with lockout --------------------------------------------------------------


def authenticate(
    sessions: sessionmaker[Session], *, login: str, password: str, policy: LoginPolicy
) -> str:
    """The id of the user ``login`` (name or e-mail) names, if ``password`` is theirs."""
    with sessions() as session:
        user = _by_login(session, login)
        user_id = user.id if user else None
        state = user.state if user else None
        password_hash = user.password_hash if user else None
    if user_id is None:
        passwords.verify_password(None, password)  # the same time as a wrong password
        raise LoginRefused("invalid")
    if not _reserve_attempt(sessions, user_id, policy):
        raise LoginRefused("locked")
    if not passwords.verify_password(password_hash, password):
        raise LoginRefused("invalid")
    _clear_failures(sessions, user_id)
    if state == PENDING:
        raise LoginRefused("pending")
    if state != "active":
        raise LoginRefused("invalid")
    return user_id


def _by_login(session: Session, login: str) -> User | None:
    login = login.strip()
    if not login or len(login) > 320:
        return None
    found = session.scalars(select(User).where(User.name == login).limit(1)).first()
    if found is None and "@" in login:
        found = session.scalars(select(User).where(User.email == login).limit(1)).first()
    return found


def _reserve_attempt(sessions: sessionmaker[Session], user_id: str, policy: LoginPolicy) -> bool:
    """Count this attempt as a failure before the password is checked; False when locked."""
    now = utcnow()
    with sessions() as session, session.begin():
        if session.get(LoginGuard, user_id) is None:
            session.add(LoginGuard(user_id=user_id, failures=0))
            session.flush()
        # A lock that has run out starts the count afresh.
        session.execute(
            update(LoginGuard)
            .where(LoginGuard.user_id == user_id, LoginGuard.locked_until <= now)
            .values(failures=0, locked_until=None)
        )
        reserved = session.execute(  # type: ignore[attr-defined]
            update(LoginGuard)
            .where(
                LoginGuard.user_id == user_id,
                LoginGuard.failures < policy.max_failures,
                or_(LoginGuard.locked_until.is_(None), LoginGuard.locked_until <= now),
            )
            .values(failures=LoginGuard.failures + 1)
        ).rowcount
        if not reserved:
            return False
        # The attempt that uses up the allowance locks the account (until it succeeds).
        session.execute(
            update(LoginGuard)
            .where(LoginGuard.user_id == user_id, LoginGuard.failures >= policy.max_failures)
            .values(locked_until=now + policy.lock)
        )
        return True


def _clear_failures(sessions: sessionmaker[Session], user_id: str) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(LoginGuard)
            .where(LoginGuard.user_id == user_id)
            .values(failures=0, locked_until=None)
        )


# --- sessions ------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, *, user_id: str, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_digest(token), user_id=user_id, expires_at=utcnow() + lifetime))
    # Housekeeping: this user's expired sessions go.
    session.execute(
        delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at <= utcnow())
    )
    session.flush()
    return token


def user_for_session(session: Session, token: str | None) -> User | None:
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= utcnow() or row.user.state != "active":
        return None
    return row.user


def close_session(session: Session, token: str | None) -> None:
    if token and len(token) <= 100:
        session.execute(delete(WebSession).where(WebSession.id == _digest(token)))
