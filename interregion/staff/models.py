"""Window staff accounts and their API tokens.

Staff log in with password and TOTP, with the same lockout columns (and the
same code, :mod:`interregion.identity.service`) as residents at home; their
browser sessions are ``browser_session`` rows of purpose ``staff``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base
from interregion.identity.models import new_id

ROLES = ("clerk", "reviewer", "supervisor")


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # clerk: takes cases in at an accepting window; reviewer: decides at a department;
    # supervisor: sees the whole region's cases and the stuck messages.
    role: Mapped[str] = mapped_column(String(16))
    window: Mapped[str] = mapped_column(String(40))  # unit code (interregion.cases.units)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failed_totp: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    disabled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "role IN ('clerk', 'reviewer', 'supervisor')", name="ck_staff_account_role"
        ),
    )


class StaffApiToken(Base):
    """A bearer token for the windows' intake systems (综合受理平台); stored as a hash."""

    __tablename__ = "staff_api_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_account.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
