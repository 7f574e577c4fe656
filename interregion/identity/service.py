"""Logging in at home: password, TOTP, lockout, the level reached, and what can be released."""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from delta.passwords import hash_password, verify_password
from interregion.identity import attributes, repository
from interregion.identity.demo_people import demo_people
from interregion.identity.levels import Level, authentication_level, lower_of, parse_level
from interregion.identity.models import Account
from standards.masking import mask_citizen_id
from standards.regions import name_of

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
TOTP_PERIOD_SECONDS = 30
MAX_USERNAME_CHARS = 64
MAX_PASSWORD_CHARS = 256


@dataclass
class LoginRefused(Exception):
    """``reason`` is for the audit log; people always see the same neutral message."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def seed_demo_accounts(session: Session, *, region_code: str) -> int:
    """Create the region's demo accounts that do not exist yet; returns how many were made."""
    created = 0
    for person in demo_people(region_code):
        if repository.find_by_username(session, person.username) is not None:
            continue
        session.add(
            Account(
                username=person.username,
                password_hash=hash_password(person.password),
                kind=person.kind,
                name=person.name,
                citizen_id=person.citizen_id,
                birth_date=person.birth_date,
                proofing_level=person.proofing_level.value,
                totp_secret=person.totp_secret,
                company_uscc=person.company_uscc,
                company_name=person.company_name,
                company_role=person.company_role,
            )
        )
        created += 1
    session.flush()
    return created


def check_password(
    session: Session, *, username: str, password: str, now: datetime, model: Any = Account
) -> Any:
    """The account, if the password is right and the account not locked; else LoginRefused.

    Unknown usernames and locked accounts cost the same argon2 verification
    as wrong passwords. Every guess is counted before it is checked (see
    :func:`repository.reserve_attempt`), so parallel guesses cannot outrun the lockout.
    ``model`` is :class:`Account` or, for window staff, ``StaffAccount``.
    """
    if len(username) > MAX_USERNAME_CHARS or len(password) > MAX_PASSWORD_CHARS:
        raise LoginRefused("input-too-long")
    account = session.scalars(select(model).where(model.username == username.strip())).one_or_none()
    if account is None:
        verify_password(None, password)
        raise LoginRefused("unknown-user")
    count = _reserve(session, account, "failed_logins", now=now)
    if count is None:
        verify_password(None, password)
        raise LoginRefused("locked")
    if not verify_password(account.password_hash, password):
        raise LoginRefused("locked-now" if count >= MAX_FAILED_LOGINS else "wrong-password")
    repository.clear_failures(
        session,
        account_id=account.id,
        counter="failed_logins",
        limit=MAX_FAILED_LOGINS,
        model=type(account),
    )
    return account


def _reserve(
    session: Session, account: Any, counter: repository.FailureCounter, *, now: datetime
) -> int | None:
    return repository.reserve_attempt(
        session,
        account_id=account.id,
        counter=counter,
        limit=MAX_FAILED_LOGINS,
        now=now,
        lockout=LOCKOUT,
        model=type(account),
    )


def check_totp(session: Session, *, account: Any, code: str, now: datetime) -> None:
    """A current code (one step of drift either way), and never the same step twice.

    Wrong and reused codes count toward the same lockout as passwords, on a
    count of their own that only a correct code resets (whoever guesses codes
    knows the password, so a password login must not buy them more guesses).
    The step is claimed with a conditional UPDATE, so two logins racing with
    one code cannot both win.
    """
    if not account.totp_secret:
        raise LoginRefused("no-totp")
    # Full-width digits (as Chinese input methods type them) are the same digits; any other
    # script's digits are not, and must not reach compare_digest (it raises on non-ASCII).
    digits = "".join(unicodedata.normalize("NFKC", code).split())
    if not (digits.isascii() and digits.isdigit() and len(digits) == 6):
        raise LoginRefused("totp-malformed")
    count = _reserve(session, account, "failed_totp", now=now)
    if count is None:
        raise LoginRefused("locked")
    totp = pyotp.TOTP(account.totp_secret, interval=TOTP_PERIOD_SECONDS)
    step_now = int(now.timestamp()) // TOTP_PERIOD_SECONDS
    refusal = "totp-wrong"
    for step in (step_now - 1, step_now, step_now + 1):
        if hmac.compare_digest(totp.at(step * TOTP_PERIOD_SECONDS), digits):
            if repository.claim_totp_step(
                session, account_id=account.id, step=step, model=type(account)
            ):
                repository.clear_failures(
                    session,
                    account_id=account.id,
                    counter="failed_totp",
                    limit=MAX_FAILED_LOGINS,
                    model=type(account),
                )
                session.refresh(account)
                return
            refusal = "totp-reused"
            break
    raise LoginRefused("locked-now" if count >= MAX_FAILED_LOGINS else refusal)


def reachable_level(account: Account, *, with_totp: bool) -> Level:
    """What a login can reach: capped by how the identity was proofed."""
    return lower_of(parse_level(account.proofing_level), authentication_level(with_totp=with_totp))


def can_reach(account: Account, level: Level) -> bool:
    return reachable_level(account, with_totp=bool(account.totp_secret)).meets(level)


def attribute_values(account: Account, *, home_region: str) -> dict[str, str]:
    """Every attribute this account has; :func:`attributes.release` picks what leaves."""
    values = {
        attributes.NAME.key: account.name,
        attributes.DATE_OF_BIRTH.key: account.birth_date.isoformat(),
        attributes.MASKED_ID.key: mask_citizen_id(account.citizen_id),
        attributes.FULL_ID.key: account.citizen_id,
        attributes.SUBJECT_KIND.key: account.kind,
        attributes.HOME_REGION.key: home_region,
    }
    if account.kind == "company":
        values[attributes.USCC.key] = account.company_uscc or ""
        values[attributes.COMPANY_NAME.key] = account.company_name or ""
        values[attributes.ROLE.key] = account.company_role or ""
    return {key: value for key, value in values.items() if value}


def display_values(
    values: dict[str, str], *, reveal_full_id: bool = False, omit: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(label, value) pairs for pages, region codes with their names.

    The full ID is masked unless ``reveal_full_id``: only the receiving
    service shows it, and only when the person consented to release it.
    ``omit``: keys the page already shows in rows of its own (name, home region).
    """
    shown = []
    skipped = set(omit)
    for key, raw in values.items():
        spec = attributes.BY_KEY.get(key)
        if spec is None or key in skipped:
            continue
        shown.append((spec.label, _displayed(key, raw, reveal_full_id=reveal_full_id)))
    return shown


def _displayed(key: str, value: str, *, reveal_full_id: bool) -> str:
    if key == attributes.FULL_ID.key and not reveal_full_id:
        return mask_citizen_id(value)
    if key == attributes.HOME_REGION.key:
        return f"{name_of(value)} ({value})"
    if key == attributes.ROLE.key:
        return attributes.ROLE_LABELS.get(value, value)
    if key == attributes.SUBJECT_KIND.key:
        return attributes.SUBJECT_KIND_LABELS.get(value, value)
    return value
