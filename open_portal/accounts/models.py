"""Account tables: users, their memberships of organisations/groups, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datasets.models import Base, Group, new_id, utcnow

CAPACITIES = ("admin", "editor", "member")


class User(Base):
    __tablename__ = "portal_user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    fullname: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    about: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Membership(Base):
    """A user's capacity in an organisation or group (CKAN's ``member`` rows for users)."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "group_id"),
        Index("ix_membership_group_id", "group_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    group_id: Mapped[str] = mapped_column(ForeignKey("catalog_group.id", ondelete="CASCADE"))
    capacity: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    group: Mapped[Group] = relationship(lazy="joined")


class ApiToken(Base):
    """Only a SHA-256 of the token is kept; the token itself is shown once, at creation."""

    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A browser login. The cookie carries a random token; only its SHA-256 is kept,
    so a copy of the database cannot be replayed as a session."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[str] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginGuard(Base):
    """Failed logins of an account and how long it stays locked (browser lockout)."""

    __tablename__ = "login_guard"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
