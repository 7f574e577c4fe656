"""Cases, their materials, licence checks and timeline; the outbox, the inbox, peers' matter lists.

A case exists once on each side: on the accepting node (``side`` =
``accepting``, region A) and on the deciding node (``deciding``, region B),
under the same case number. The two copies move only by messages: every
state change writes its outgoing message into ``case_outbox`` in the same
transaction, and every incoming message is recorded in ``case_inbox`` in
the transaction that applies it, so it is applied once however often it
arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base

# Statuses, in the words of the two sides.
DRAFT = "draft"  # A only: the clerk is still taking the case in
SUBMITTED = "submitted"  # 已收件: sent to B (or received by B), not accepted yet
ACCEPTED = "accepted"  # 受理
CORRECTION = "correction"  # 补正: B asked for more materials
APPROVED = "approved"  # 办结（准予）
REFUSED = "refused"  # 办结（不予许可）
NOT_ACCEPTED = "not-accepted"  # 不予受理
FINAL = (APPROVED, REFUSED, NOT_ACCEPTED)
OPEN = (SUBMITTED, ACCEPTED, CORRECTION)
STATUSES = (DRAFT, *OPEN, *FINAL)
MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Case(Base):
    __tablename__ = "case_file"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    side: Mapped[str] = mapped_column(String(10))  # "accepting" | "deciding"
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The matter as the deciding region's signed list had it when the case was opened.
    matter_code: Mapped[str] = mapped_column(String(40), index=True)
    matter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    department: Mapped[str] = mapped_column(String(40), index=True)
    accepting_region: Mapped[str] = mapped_column(String(6))
    accepting_window: Mapped[str] = mapped_column(String(40), index=True)
    deciding_region: Mapped[str] = mapped_column(String(6))
    # Who applies, as their home region asserted it (minimised; masked ID unless consented).
    applicant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The pairwise identifier this node knows the applicant by ("after logging in at home").
    applicant_subject: Mapped[str] = mapped_column(String(64), default="", index=True)
    applicant_home: Mapped[str] = mapped_column(String(6), default="")
    identity_evidence: Mapped[str] = mapped_column(Text, default="")  # the identity JWT
    # A: the applicant's consent (from home, with the identity) to check these licences.
    licence_consent: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consent: Mapped[dict[str, Any]] = mapped_column(default=dict)  # signed 服务同意书
    contact: Mapped[str] = mapped_column(String(40), default="")  # phone for notifications
    clerk: Mapped[str] = mapped_column(String(64), default="")
    query_code_hash: Mapped[str] = mapped_column(String(64), default="")
    track_failures: Mapped[int] = mapped_column(Integer, default=0)
    track_locked_until: Mapped[datetime | None] = mapped_column()
    time_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()  # A: B's receipt arrived
    accepted_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    correction: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what B asked for
    # Per-case order: the last sequence number this node sent, and applied from the peer.
    seq_out: Mapped[int] = mapped_column(Integer, default=0)
    seq_in: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(_one_of("side", ("accepting", "deciding")), name="ck_case_file_side"),
        CheckConstraint(_one_of("status", STATUSES), name="ck_case_file_status"),
    )


class CaseMaterial(Base):
    """One scanned material; the bytes live in the node's content-addressed store."""

    __tablename__ = "case_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(ForeignKey("case_file.number"), index=True)
    material: Mapped[str] = mapped_column(String(8))  # the matter's material code
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(120))
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0: intake; n: n-th 补正
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("case_number", "sha256", name="uq_case_material_hash"),
        CheckConstraint(_one_of("media_type", MEDIA_TYPES), name="ck_case_material_media_type"),
        CheckConstraint("size > 0", name="ck_case_material_size"),
    )


class CaseLicence(Base):
    """A licence checked with its issuing region instead of a paper copy."""

    __tablename__ = "case_licence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(ForeignKey("case_file.number"), index=True)
    material: Mapped[str] = mapped_column(String(8))
    licence_type: Mapped[str] = mapped_column(String(40))
    identifier: Mapped[str] = mapped_column(String(200))
    issuer_region: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))  # valid | suspended | revoked | expired | …
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[str] = mapped_column(Text, default="")  # the signed verification response
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    """The case's timeline, as both sides show it (and the applicant's notifications)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(ForeignKey("case_file.number"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")
    # The message that brought it (peer's sequence number), 0 for local events.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    notify: Mapped[bool] = mapped_column(default=False)
    notified_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_case_event_pending_notice", "notify", "notified_at"),)


class OutboxMessage(Base):
    """A message to a peer, written in the transaction of the change it reports."""

    __tablename__ = "case_outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # also the idempotency key
    peer: Mapped[str] = mapped_column(String(6))
    case_number: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    materials: Mapped[list[Any]] = mapped_column(default=list)  # sha256s to push first
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(String(300), default="")
    delivered_at: Mapped[datetime | None] = mapped_column()
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    receipt: Mapped[str] = mapped_column(Text, default="")  # the peer's signed receipt

    __table_args__ = (
        UniqueConstraint("case_number", "peer", "seq", name="uq_case_outbox_order"),
        Index("ix_case_outbox_due", "delivered_at", "next_attempt_at"),
    )


class InboxMessage(Base):
    """Every message applied here, by sender and id: a second delivery is a duplicate."""

    __tablename__ = "case_inbox"

    sender: Mapped[str] = mapped_column(String(6), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatterListCopy(Base):
    """The last verified signed matter list of another region."""

    __tablename__ = "case_matter_list"

    region: Mapped[str] = mapped_column(String(6), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
