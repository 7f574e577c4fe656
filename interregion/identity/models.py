"""Accounts of the home identity provider: residents and company representatives."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base


def new_id() -> str:
    return str(uuid.uuid4())


class Account(Base):
    """One person who can log in here; ``kind`` says whether they act for a company.

    The full citizen ID is kept because this node is the person's home
    register; it only ever leaves masked, or in full with explicit consent.
    """

    __tablename__ = "idp_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # "resident" | "company"
    name: Mapped[str] = mapped_column(String(100))
    citizen_id: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    # How well the identity was proofed when the account was opened (caps every login).
    proofing_level: Mapped[str] = mapped_column(String(16))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code is good once, not for its whole window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    company_uscc: Mapped[str | None] = mapped_column(String(18))
    company_name: Mapped[str | None] = mapped_column(String(200))
    company_role: Mapped[str | None] = mapped_column(String(32))
    # Failed guesses since the last success, counted apart: a password login (which whoever
    # guesses the second factor already knows) must never reset the TOTP count.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failed_totp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
