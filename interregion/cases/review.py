"""The deciding department (region B): accept, ask for more, decide, or not accept.

Each step changes the case and writes the status update for the accepting
region into the outbox in the same transaction. Only the steps the
current status allows are possible; a reviewer of another department never
gets this far (:mod:`interregion.cases.access`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from interregion.cases import outbox
from interregion.cases.intake import IntakeRefused, add_event
from interregion.cases.models import (
    ACCEPTED,
    APPROVED,
    CORRECTION,
    NOT_ACCEPTED,
    REFUSED,
    SUBMITTED,
    Case,
)
from interregion.cases.workdays import add_working_days
from interregion.staff.models import StaffAccount

ACCEPT = "case.accepted"
CORRECT = "case.correction-requested"
DECIDE = "case.decided"
NOT_ACCEPT = "case.not-accepted"
MAX_NOTE = 1000


def _expect(case: Case, *allowed: str, action: str) -> None:
    if case.side != "deciding":
        raise IntakeRefused("not-deciding-side", f"only the deciding region can {action}", 409)
    if case.status not in allowed:
        raise IntakeRefused(
            "invalid-transition", f"cannot {action} a case that is {case.status}", 409
        )


def _send(session: Session, case: Case, kind: str, body: dict[str, object], now: datetime) -> None:
    outbox.enqueue(session, case=case, peer=case.accepting_region, kind=kind, body=body, now=now)


def accept(session: Session, *, case: Case, staff: StaffAccount, now: datetime) -> None:
    _expect(case, SUBMITTED, action="accept")
    case.status = ACCEPTED
    case.accepted_at = now
    case.due_at = add_working_days(now, case.time_limit_days)
    case.updated_at = now
    _send(
        session,
        case,
        ACCEPT,
        {
            "accepted_at": int(now.timestamp()),
            "due_at": int(case.due_at.timestamp()),
        },
        now,
    )
    add_event(
        session,
        case=case,
        kind="accepted",
        actor=f"staff:{staff.username}",
        now=now,
        note="已受理 / Accepted",
    )


def request_correction(
    session: Session,
    *,
    case: Case,
    staff: StaffAccount,
    materials: list[str],
    note: str,
    now: datetime,
) -> None:
    _expect(case, SUBMITTED, ACCEPTED, action="ask for more materials")
    known = {str(m.get("code")) for m in case.matter.get("materials", []) if isinstance(m, dict)}
    asked = [code for code in materials if code in known]
    if not asked and not note.strip():
        raise IntakeRefused(
            "empty-correction", "name the materials needed or explain what is missing"
        )
    round_number = int(case.correction.get("round", 0)) + 1
    case.correction = {
        "from": case.status,
        "round": round_number,
        "materials": asked,
        "note": note[:MAX_NOTE],
        "requested_at": int(now.timestamp()),
    }
    case.status = CORRECTION
    case.updated_at = now
    _send(session, case, CORRECT, dict(case.correction), now)
    add_event(
        session,
        case=case,
        kind="correction-requested",
        actor=f"staff:{staff.username}",
        now=now,
        note=f"需补正 / More materials needed: {note[:200]}",
    )


def decide(
    session: Session, *, case: Case, staff: StaffAccount, approved: bool, note: str, now: datetime
) -> None:
    _expect(case, ACCEPTED, action="decide")
    case.status = APPROVED if approved else REFUSED
    case.decided_at = now
    case.decision = {
        "outcome": "approved" if approved else "refused",
        "note": note[:MAX_NOTE],
        "decided_at": int(now.timestamp()),
    }
    case.updated_at = now
    _send(session, case, DECIDE, dict(case.decision), now)
    add_event(
        session,
        case=case,
        kind="decided",
        actor=f"staff:{staff.username}",
        now=now,
        note=("办结：准予 / Approved" if approved else "办结：不予许可 / Refused")
        + (f" — {note[:200]}" if note else ""),
    )


def not_accept(
    session: Session, *, case: Case, staff: StaffAccount, note: str, now: datetime
) -> None:
    _expect(case, SUBMITTED, CORRECTION, action="refuse to accept")
    if not note.strip():
        raise IntakeRefused("reason-required", "不予受理 needs a reason the applicant can read")
    case.status = NOT_ACCEPTED
    case.decided_at = now
    case.decision = {
        "outcome": "not-accepted",
        "note": note[:MAX_NOTE],
        "decided_at": int(now.timestamp()),
    }
    case.updated_at = now
    _send(session, case, NOT_ACCEPT, dict(case.decision), now)
    add_event(
        session,
        case=case,
        kind="not-accepted",
        actor=f"staff:{staff.username}",
        now=now,
        note=f"不予受理 / Not accepted: {note[:200]}",
    )
