"""Account queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interregion.identity.models import Account


def find_by_username(session: Session, username: str) -> Account | None:
    return session.scalars(select(Account).where(Account.username == username)).one_or_none()


def get(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Account)) or 0)
