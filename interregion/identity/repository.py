"""Account queries."""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from interregion.identity.models import Account


def find_by_username(session: Session, username: str) -> Account | None:
    return session.scalars(select(Account).where(Account.username == username)).one_or_none()


def get(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def claim_totp_step(session: Session, *, account_id: str, step: int) -> bool:
    """Record ``step`` as the last TOTP step used, unless it (or a later one) already was."""
    result = session.execute(
        update(Account)
        .where(
            Account.id == account_id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1
