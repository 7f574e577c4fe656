"""Account queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from interregion.identity.models import Account


def find_by_username(session: Session, username: str) -> Account | None:
    return session.scalars(select(Account).where(Account.username == username)).one_or_none()


def get(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Account)) or 0)


# Window staff (interregion.staff) log in with the same columns and the same code:
# ``model`` is Account or StaffAccount.
Lockable = Any


def claim_totp_step(
    session: Session, *, account_id: str, step: int, model: Lockable = Account
) -> bool:
    """Record ``step`` as the last TOTP step used, unless it (or a later one) already was."""
    result = session.execute(
        update(model)
        .where(
            model.id == account_id,
            or_(model.totp_last_step.is_(None), model.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


FailureCounter = Literal["failed_logins", "failed_totp"]


def reserve_attempt(
    session: Session,
    *,
    account_id: str,
    counter: FailureCounter,
    limit: int,
    now: datetime,
    lockout: timedelta,
    model: Lockable = Account,
) -> int | None:
    """Count one guess *before* it is checked; the count it got, or None while locked.

    Counting afterwards (read, verify, write back) loses updates when guesses
    arrive in parallel, so any number of them could be checked before the
    lock. Here the guess takes its number in one atomic UPDATE and the guess
    that reaches ``limit`` locks the account at once, so at most ``limit``
    guesses are ever checked per lockout period however many are in flight.
    A success clears the count afterwards (:func:`clear_failures`).

    The reservation is committed at once (with whatever the session holds,
    so call this before the request writes anything else): it must stand
    even if the request dies during the (deliberately slow) password check,
    and neither SQLite's write lock nor a PostgreSQL row lock may be held
    that long. It runs on the request's own connection: a second one per
    login could exhaust the pool under many parallel logins.
    """
    column = getattr(model, counter)
    # An expired lock starts a fresh count for both kinds of guesses.
    session.execute(
        update(model)
        .where(model.id == account_id, model.locked_until <= now)
        .values(failed_logins=0, failed_totp=0, locked_until=None)
    )
    row = session.execute(
        update(model)
        .where(model.id == account_id, model.locked_until.is_(None))
        .values(
            {
                column: column + 1,
                model.locked_until: case((column + 1 >= limit, now + lockout), else_=None),
            }
        )
        .returning(column)
    ).first()
    session.commit()
    return None if row is None else int(row[0])


def clear_failures(
    session: Session,
    *,
    account_id: str,
    counter: FailureCounter,
    limit: int,
    model: Lockable = Account,
) -> None:
    """A success: its own count starts again, and a lock only that count set is lifted.

    A lock set by the *other* count stays: a correct password proves nothing
    about the second factor someone is guessing (and must not buy them more guesses).
    """
    column = getattr(model, counter)
    other = model.failed_totp if counter == "failed_logins" else model.failed_logins
    session.execute(
        update(model)
        .where(model.id == account_id)
        .values({column: 0, model.locked_until: case((other >= limit, model.locked_until))})
    )
