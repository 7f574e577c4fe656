"""Queries for logins in flight, on both sides."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from interregion.sso.models import ConsumedAssertion, IdpAuthnRequest, PendingRequest


def assertion_key(issuer: str, assertion_id: str) -> str:
    return hashlib.sha256(f"{issuer}\x1f{assertion_id}".encode()).hexdigest()


def assertion_seen(session: Session, *, issuer: str, assertion_id: str) -> bool:
    return session.get(ConsumedAssertion, assertion_key(issuer, assertion_id)) is not None


def record_assertion(
    session: Session, *, issuer: str, assertion_id: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        ConsumedAssertion(
            key=assertion_key(issuer, assertion_id),
            issuer=issuer,
            consumed_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()  # the primary key turns a concurrent replay into an IntegrityError here


def consume_pending(session: Session, *, request_id: str, now: datetime) -> bool:
    """Mark a pending request used; only one caller can ever succeed."""
    result = session.execute(
        update(PendingRequest)
        .where(
            PendingRequest.id == request_id,
            PendingRequest.consumed_at.is_(None),
            PendingRequest.expires_at > now,
        )
        .values(consumed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def idp_request(session: Session, request_handle: str) -> IdpAuthnRequest | None:
    return session.get(IdpAuthnRequest, request_handle)


def complete_idp_request(session: Session, *, handle: str, now: datetime) -> bool:
    result = session.execute(
        update(IdpAuthnRequest)
        .where(IdpAuthnRequest.id == handle, IdpAuthnRequest.completed_at.is_(None))
        .values(completed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def purge_expired(session: Session, *, now: datetime) -> None:
    """Forget what can no longer be used (a replayed assertion is refused on its time by then)."""
    session.execute(delete(ConsumedAssertion).where(ConsumedAssertion.expires_at <= now))
    session.execute(delete(PendingRequest).where(PendingRequest.expires_at <= now))
    session.execute(delete(IdpAuthnRequest).where(IdpAuthnRequest.expires_at <= now))


def pending(session: Session, request_id: str) -> PendingRequest | None:
    return session.scalars(select(PendingRequest).where(PendingRequest.id == request_id)).first()
