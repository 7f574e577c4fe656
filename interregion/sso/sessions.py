"""Browser sessions: a signed random token in a cookie, the state in ``browser_session``.

Tokens are rotated whenever the privilege changes (a login at home, a
cross-region login at a service), so a token planted before the login
(session fixation) is worthless after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from interregion.sso.models import BrowserSession
from interregion.tokens import new_token, token_hash

IDP = "idp"
SP = "sp"


def create(
    session: Session, *, purpose: str, now: datetime, lifetime: timedelta, **fields: Any
) -> tuple[str, BrowserSession]:
    token = new_token()
    row = BrowserSession(
        token_hash=token_hash(token),
        purpose=purpose,
        created_at=now,
        expires_at=now + lifetime,
        **fields,
    )
    session.add(row)
    session.flush()
    return token, row


def load(
    session: Session, token: str | None, *, purpose: str, now: datetime
) -> BrowserSession | None:
    if not token:
        return None
    row = session.get(BrowserSession, token_hash(token))
    if row is None or row.purpose != purpose or row.expires_at <= now:
        return None
    return row


def rotate(
    session: Session, row: BrowserSession, *, now: datetime, lifetime: timedelta
) -> tuple[str, BrowserSession]:
    """Move the session to a fresh token; the old token stops working."""
    token, fresh = create(
        session,
        purpose=row.purpose,
        now=now,
        lifetime=lifetime,
        account_id=row.account_id,
        level=row.level,
        authn_at=row.authn_at,
        pending_account_id=row.pending_account_id,
        identity=dict(row.identity),
    )
    session.delete(row)
    return token, fresh


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(BrowserSession).where(BrowserSession.token_hash == token_hash(token))
        )


def purge_expired(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
