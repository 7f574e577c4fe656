"""Licence library tables. Status-list indexes are rows of their own, never deleted, with a
primary key on (purpose, index): the database itself refuses to hand an index out twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base


class Department(Base):
    """An issuing department of this region (颁发机构) and the licence types it issues."""

    __tablename__ = "licence_department"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    types: Mapped[list[Any]] = mapped_column(default=list)
    # SHA-256 of the department's API token (shown once by `delta licence token`).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Licence(Base):
    """One version of a licence (GB/T 36903-style metadata) and its signed credential."""

    __tablename__ = "licence"
    __table_args__ = (
        Index("ix_licence_holder", "holder_code"),
        Index("ix_licence_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    serial: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    type_code: Mapped[str] = mapped_column(String(21))
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_code: Mapped[str] = mapped_column(String(18))
    holder_code_kind: Mapped[str] = mapped_column(String(16))  # "citizen-id" | "uscc"
    issuer_uscc: Mapped[str] = mapped_column(ForeignKey("licence_department.uscc"))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issue_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    face_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid|suspended|revoked
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_index: Mapped[int] = mapped_column(Integer)
    credential: Mapped[str] = mapped_column(Text, default="")
    replaces: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def effective_status(self, today: date) -> str:
        """Revoked is final; a licence past its date is expired whatever else it was."""
        if self.status == "revoked":
            return "revoked"
        if self.valid_until is not None and today > self.valid_until:
            return "expired"
        return self.status


class StatusAllocation(Base):
    __tablename__ = "licence_status_index"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    licence_id: Mapped[str] = mapped_column(String(36))
    allocated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusListState(Base):
    """Per purpose: the list's size (it only grows) and a revision bumped by every change."""

    __tablename__ = "licence_status_list"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class Disclosure(Base):
    """Who looked at a licence: every verification answered, for the holder to see."""

    __tablename__ = "licence_disclosure"
    __table_args__ = (Index("ix_licence_disclosure_holder", "holder_code", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column()
    holder_code: Mapped[str] = mapped_column(String(18))
    licence_identifier: Mapped[str] = mapped_column(String(120))
    licence_name: Mapped[str] = mapped_column(String(100))
    requester_region: Mapped[str] = mapped_column(String(6))
    service: Mapped[str] = mapped_column(String(200), default="")
    scenario: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # exchange | presentation
    fields: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))
