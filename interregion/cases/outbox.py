"""The transactional outbox: messages written with the change they report, sent later.

:func:`enqueue` runs inside the caller's transaction, so a state change and
its message commit together or not at all. The delivery worker
(:mod:`interregion.cases.delivery`) claims due messages, respecting per-case
order (a case's message ``n+1`` never leaves before ``n`` is delivered),
and records the peer's signed receipt or schedules a retry with
exponential backoff and full jitter.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from interregion.cases.models import Case, OutboxMessage

WAKE = "wake_delivery"  # session.info flag: the worker should look right after the commit


def enqueue(
    session: Session,
    *,
    case: Case,
    peer: str,
    kind: str,
    body: dict[str, Any],
    now: datetime,
    materials: list[str] | None = None,
) -> OutboxMessage:
    case.seq_out += 1
    message = OutboxMessage(
        id=str(uuid.uuid4()),
        peer=peer,
        case_number=case.number,
        seq=case.seq_out,
        kind=kind,
        body=body,
        materials=list(materials or []),
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(message)
    session.info[WAKE] = True
    return message


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^(n-1))]."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return (rng or random).uniform(0, ceiling)


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> dict[str, list[OutboxMessage]]:
    """Due messages by peer, each case's in order from its oldest undelivered one.

    Claimed rows get ``next_attempt_at`` pushed out by a lease, so another
    worker of the same node (several processes on PostgreSQL) skips them.
    """
    due = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.created_at, OutboxMessage.seq)
            .limit(limit)
        )
    )
    if not due:
        return {}
    cases = {(m.case_number, m.peer) for m in due}
    heads = dict(
        ((number, peer), seq)
        for number, peer, seq in session.execute(
            select(OutboxMessage.case_number, OutboxMessage.peer, func.min(OutboxMessage.seq))
            .where(
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.case_number.in_({number for number, _ in cases}),
            )
            .group_by(OutboxMessage.case_number, OutboxMessage.peer)
        )
    )
    by_case: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
    for message in sorted(due, key=lambda m: (m.case_number, m.seq)):
        by_case[(message.case_number, message.peer)].append(message)
    chosen: list[OutboxMessage] = []
    for key, messages in by_case.items():
        expected = heads.get(key, -1)
        for message in messages:  # a run of consecutive sequence numbers from the head
            if message.seq != expected:
                break
            chosen.append(message)
            expected += 1
    claimed = _lease(session, chosen, now=now, lease=lease)
    grouped: dict[str, list[OutboxMessage]] = defaultdict(list)
    for message in chosen:
        if message.id in claimed:
            grouped[message.peer].append(message)
    return dict(grouped)


def _lease(
    session: Session, messages: list[OutboxMessage], *, now: datetime, lease: timedelta
) -> set[str]:
    claimed = set()
    for message in messages:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
        )
        if int(getattr(result, "rowcount", 0) or 0) == 1:
            claimed.add(message.id)
    return claimed


def mark_delivered(
    session: Session, *, message_id: str, receipt: str, request_hash: str, now: datetime
) -> OutboxMessage | None:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.delivered_at is not None:
        return message
    message.delivered_at = now
    message.receipt = receipt
    message.request_hash = request_hash
    message.last_attempt_at = now
    message.attempts += 1
    message.last_error = ""
    return message


def schedule_retry(
    session: Session,
    *,
    message_ids: list[str],
    error: str,
    now: datetime,
    base: float,
    cap: float,
) -> None:
    for message_id in message_ids:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.delivered_at is not None:
            continue
        message.attempts += 1
        message.last_attempt_at = now
        message.last_error = error[:300]
        message.next_attempt_at = now + timedelta(
            seconds=backoff(message.attempts, base=base, cap=cap)
        )


@dataclass(frozen=True)
class OutboxRow:
    id: str
    peer: str
    case_number: str
    seq: int
    kind: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str
    stuck: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "case_number": self.case_number,
            "seq": self.seq,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "stuck": self.stuck,
        }


def undelivered(
    session: Session, *, now: datetime, stuck_after: timedelta, only_stuck: bool = False
) -> list[OutboxRow]:
    """Messages not yet delivered, oldest first; ``stuck`` once older than ``stuck_after``."""
    query = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if only_stuck:
        query = query.where(OutboxMessage.created_at <= now - stuck_after)
    order = (OutboxMessage.created_at, OutboxMessage.case_number, OutboxMessage.seq)
    rows = session.scalars(query.order_by(*order).limit(1000))
    return [
        OutboxRow(
            m.id,
            m.peer,
            m.case_number,
            m.seq,
            m.kind,
            m.created_at,
            m.attempts,
            m.next_attempt_at,
            m.last_error,
            m.created_at <= now - stuck_after,
        )
        for m in rows
    ]


def counts(session: Session, *, now: datetime, stuck_after: timedelta) -> dict[str, int]:
    pending = OutboxMessage.delivered_at.is_(None)
    total = session.scalar(select(func.count()).where(pending)) or 0
    stuck = (
        session.scalar(
            select(func.count()).where(and_(pending, OutboxMessage.created_at <= now - stuck_after))
        )
        or 0
    )
    return {"undelivered": int(total), "stuck": int(stuck)}


def retry_now(session: Session, *, now: datetime, peer: str | None = None) -> int:
    """A supervisor's "retry now": every undelivered message becomes due at once."""
    condition = OutboxMessage.delivered_at.is_(None)
    query = update(OutboxMessage).where(condition)
    if peer:
        query = query.where(OutboxMessage.peer == peer)
    result = session.execute(query.values(next_attempt_at=now))
    session.info[WAKE] = True
    return int(getattr(result, "rowcount", 0) or 0)
