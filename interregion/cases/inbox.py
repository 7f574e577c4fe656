"""Applying verified incoming case messages: once each, in order, only from the right region.

Runs inside one transaction per message: the ``case_inbox`` row, the case
change and the timeline event commit together. A message whose id is in
the inbox is a duplicate (answered with a receipt again, nothing changes);
a message ahead of its case's order is refused for now (the sender retries
it after the earlier one); a message from a region that is not the case's
other side is refused for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interregion.cases import intake, numbers, review
from interregion.cases.intake import add_event
from interregion.cases.models import (
    ACCEPTED,
    APPROVED,
    CORRECTION,
    FINAL,
    NOT_ACCEPTED,
    REFUSED,
    SUBMITTED,
    Case,
    CaseLicence,
    CaseMaterial,
    InboxMessage,
)
from interregion.cases.store import MaterialStore

if TYPE_CHECKING:
    from interregion.cases.matters import MatterList

KINDS_TO_DECIDING = (intake.SUBMIT, intake.SUPPLEMENT)
KINDS_TO_ACCEPTING = (review.ACCEPT, review.CORRECT, review.DECIDE, review.NOT_ACCEPT)


@dataclass
class MessageRefused(Exception):
    reason: str
    message: str
    retry: bool = False  # True: a later attempt may succeed (order, materials still coming)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class Applied:
    case_number: str
    kind: str
    seq: int
    duplicate: bool


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageRefused("malformed", f"{key} must be an integer")
    return value


def _str(data: dict[str, Any], key: str, limit: int = 200) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise MessageRefused("malformed", f"{key} must be a string")
    return value


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MessageRefused("malformed", f"{key} must be an object")
    return value


def _moment(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def apply(
    session: Session,
    *,
    own_region: str,
    sender: str,
    claims: dict[str, Any],
    request_hash: str,
    store: MaterialStore,
    own_list: MatterList,
    now: datetime,
) -> Applied:
    kind = _str(claims, "kind", 40)
    message_id = _str(claims, "mid", 36)
    number = _str(claims, "case", 32)
    seq = _int(claims, "seq")
    data = _dict(claims, "data")
    if not numbers.is_case_number(number) or seq < 1:
        raise MessageRefused("malformed", "bad case number or sequence number")
    if session.get(InboxMessage, (sender, message_id)) is not None:
        return Applied(number, kind, seq, duplicate=True)
    case = session.get(Case, number)
    if kind == intake.SUBMIT:
        case = _receive_case(
            session,
            own_region=own_region,
            sender=sender,
            number=number,
            seq=seq,
            data=data,
            store=store,
            own_list=own_list,
            existing=case,
            now=now,
        )
    else:
        if case is None:
            raise MessageRefused("unknown-case", "no such case here")
        _check_sender(case, sender=sender, kind=kind)
        if seq <= case.seq_in:
            raise MessageRefused("sequence-reused", "this sequence number was applied already")
        if seq > case.seq_in + 1:
            raise MessageRefused("out-of-order", f"expected message {case.seq_in + 1}", retry=True)
        _apply_update(session, case=case, kind=kind, seq=seq, data=data, store=store, now=now)
    case.seq_in = seq
    case.updated_at = now
    session.add(
        InboxMessage(
            sender=sender,
            id=message_id,
            case_number=number,
            seq=seq,
            kind=kind,
            request_hash=request_hash,
            received_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:  # the same message applied concurrently by another process
        raise MessageRefused("in-flight", "this message is being applied", retry=True) from None
    return Applied(number, kind, seq, duplicate=False)


def _check_sender(case: Case, *, sender: str, kind: str) -> None:
    if case.side == "accepting":
        if kind not in KINDS_TO_ACCEPTING:
            raise MessageRefused("wrong-direction", f"{kind} is not sent to an accepting region")
        if sender != case.deciding_region:
            raise MessageRefused(
                "not-deciding-region", f"{sender} does not decide this case's matter"
            )
    else:
        if kind not in KINDS_TO_DECIDING:
            raise MessageRefused("wrong-direction", f"{kind} is not sent to a deciding region")
        if sender != case.accepting_region:
            raise MessageRefused("not-accepting-region", f"{sender} did not take this case in")


def _materials(data: dict[str, Any], store: MaterialStore) -> list[dict[str, Any]]:
    listed = data.get("materials", [])
    if not isinstance(listed, list):
        raise MessageRefused("malformed", "materials must be a list")
    checked, missing = [], []
    for entry in listed:
        if not isinstance(entry, dict):
            raise MessageRefused("malformed", "a material must be an object")
        sha = _str(entry, "sha256", 64)
        try:
            present = store.has(sha)
        except ValueError:
            raise MessageRefused("malformed", "a material's sha256 is not a hex digest") from None
        if not present:
            missing.append(sha)
        checked.append(entry)
    if missing:
        # Materials travel separately; the sender pushes them and retries.
        raise MessageRefused("materials-missing", f"{len(missing)} materials not received", True)
    return checked


def _material_rows(number: str, entries: list[dict[str, Any]], now: datetime) -> list[CaseMaterial]:
    return [
        CaseMaterial(
            case_number=number,
            material=_str(e, "material", 8),
            sha256=_str(e, "sha256", 64),
            size=_int(e, "size"),
            media_type=_str(e, "media_type", 40),
            filename=_str(e, "filename", 120),
            round=_int(e, "round"),
            added_at=now,
        )
        for e in entries
    ]


def _licence_rows(number: str, data: dict[str, Any]) -> list[CaseLicence]:
    rows = []
    for entry in data.get("licences", []) or []:
        if not isinstance(entry, dict):
            raise MessageRefused("malformed", "a licence must be an object")
        rows.append(
            CaseLicence(
                case_number=number,
                material=_str(entry, "material", 8),
                licence_type=_str(entry, "licence_type", 40),
                identifier=_str(entry, "identifier", 200),
                issuer_region=_str(entry, "issuer_region", 6),
                status=_str(entry, "status", 16),
                fields=entry.get("fields") if isinstance(entry.get("fields"), dict) else {},
                evidence=str(entry.get("evidence", ""))[:20000],
                verified_at=_moment(_int(entry, "verified_at")),
            )
        )
    return rows


def _receive_case(
    session: Session,
    *,
    own_region: str,
    sender: str,
    number: str,
    seq: int,
    data: dict[str, Any],
    store: MaterialStore,
    own_list: MatterList,
    existing: Case | None,
    now: datetime,
) -> Case:
    if existing is not None:
        raise MessageRefused("case-exists", "a case with this number exists already")
    if seq != 1 or not number.startswith(f"{sender}-"):
        raise MessageRefused("malformed", "a new case is message 1, numbered by its sender")
    matter = own_list.find(_str(data, "matter", 40))
    if matter is None:
        raise MessageRefused("unknown-matter", f"{own_region} does not decide this matter")
    applicant = _dict(data, "applicant")
    entries = _materials(data, store)
    department = matter.get("deciding_department") or {}
    case = Case(
        number=number,
        side="deciding",
        status=SUBMITTED,
        matter_code=str(matter["code"]),
        matter=matter,
        department=str(department.get("code", "")),
        accepting_region=sender,
        accepting_window=_str(data, "accepting_window", 40),
        deciding_region=own_region,
        applicant=applicant,
        applicant_subject="",  # a pairwise identifier for the accepting region means nothing here
        applicant_home=str(applicant.get("home_region", ""))[:6],
        identity_evidence=str(data.get("identity_evidence", ""))[:20000],
        consent=_dict(data, "consent"),
        clerk=str(data.get("clerk", ""))[:64],
        time_limit_days=int(matter.get("time_limit_days", 0)),
        created_at=now,
        submitted_at=_moment(_int(data, "submitted_at")),
        updated_at=now,
        seq_in=0,
    )
    session.add(case)
    session.flush()
    session.add_all(_material_rows(number, entries, now))
    session.add_all(_licence_rows(number, data))
    add_event(
        session,
        case=case,
        kind="received",
        actor=f"region:{sender}",
        now=now,
        seq=seq,
        note="已收到专窗转来的申请 / Received from the accepting window",
    )
    return case


def _apply_update(
    session: Session,
    *,
    case: Case,
    kind: str,
    seq: int,
    data: dict[str, Any],
    store: MaterialStore,
    now: datetime,
) -> None:
    peer = case.deciding_region if case.side == "accepting" else case.accepting_region
    actor = f"region:{peer}"
    if kind == intake.SUPPLEMENT:
        entries = _materials(data, store)
        known = {m.sha256 for m in intake.materials_of(session, case.number)}
        session.add_all(
            r for r in _material_rows(case.number, entries, now) if r.sha256 not in known
        )
        session.add_all(_licence_rows(case.number, data))
        if case.status == CORRECTION:
            case.status = str(case.correction.get("from", SUBMITTED))
            note = "已补正 / Materials supplied"
        else:  # the decision came first: keep it, note what arrived
            note = "补正材料在决定之后送达 / Materials arrived after the decision"
        add_event(session, case=case, kind="supplemented", actor=actor, now=now, seq=seq, note=note)
        return
    # Status updates from the deciding region: it decides, so its word sets the status.
    if kind == review.ACCEPT:
        case.status = ACCEPTED
        case.accepted_at = _moment(_int(data, "accepted_at"))
        case.due_at = _moment(_int(data, "due_at"))
        note = "已受理 / Accepted"
    elif kind == review.CORRECT:
        case.status = CORRECTION
        case.correction = {
            "from": str(data.get("from", SUBMITTED)),
            "round": _int(data, "round"),
            "materials": [str(m)[:8] for m in data.get("materials", []) if isinstance(m, str)],
            "note": str(data.get("note", ""))[:1000],
            "requested_at": _int(data, "requested_at"),
        }
        note = f"需补正 / More materials needed: {case.correction['note'][:200]}"
    elif kind in (review.DECIDE, review.NOT_ACCEPT):
        outcome = str(data.get("outcome", ""))
        statuses = {"approved": APPROVED, "refused": REFUSED, "not-accepted": NOT_ACCEPTED}
        if outcome not in statuses or (kind == review.NOT_ACCEPT) != (outcome == "not-accepted"):
            raise MessageRefused("malformed", "unknown outcome")
        case.status = statuses[outcome]
        case.decided_at = _moment(_int(data, "decided_at"))
        case.decision = {
            "outcome": outcome,
            "note": str(data.get("note", ""))[:1000],
            "decided_at": _int(data, "decided_at"),
        }
        note = {
            APPROVED: "办结：准予 / Approved",
            REFUSED: "办结：不予许可 / Refused",
            NOT_ACCEPTED: "不予受理 / Not accepted",
        }[case.status]
    else:
        raise MessageRefused("unknown-kind", f"unknown message kind {kind[:40]!r}")
    assert case.status in (*FINAL, ACCEPTED, CORRECTION)
    add_event(
        session,
        case=case,
        kind=kind.removeprefix("case."),
        actor=actor,
        now=now,
        seq=seq,
        note=note,
        notify=True,
    )
