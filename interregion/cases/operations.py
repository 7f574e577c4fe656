"""Every staff operation on cases, once: the pages and the JSON API both call these.

Each operation checks who may do it (role, window), runs its change in one
transaction, and writes an audit record; every refusal becomes a
:class:`~interregion.staff.auth.Refused` (audited where it is shown).
Calls to other nodes (identity, licences) happen outside any transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interregion.cases import access, intake, outbox, review
from interregion.cases.intake import IntakeRefused
from interregion.cases.matters import MatterListUnavailable, UnknownRegion
from interregion.cases.models import FINAL, Case, CaseEvent, CaseLicence, CaseMaterial
from interregion.cases.service import CaseDesk
from interregion.cases.uploads import UploadRefused, check_upload
from interregion.clock import utcnow
from interregion.exchange import ExchangeRefused
from interregion.identity.levels import Level
from interregion.staff.auth import Refused, actor, require_role
from interregion.staff.models import StaffAccount
from interregion.window.service import fetch_identity

T = TypeVar("T")
PAGE_SIZE = 100


@contextmanager
def refusals(staff: StaffAccount, *, case: str = "") -> Iterator[None]:
    """Intake and upload refusals as audited :class:`Refused` (one shape for pages and API)."""
    detail = {"case": case} if case else {}
    try:
        yield
    except IntakeRefused as error:
        raise Refused(
            error.reason, error.message, error.status, actor=actor(staff), detail=detail
        ) from None
    except UploadRefused as error:
        raise Refused(
            error.reason,
            error.message,
            error.status,
            event="case.upload-refused",
            actor=actor(staff),
            detail=detail,
        ) from None
    except UnknownRegion as error:
        raise Refused("unknown-region", str(error), 404, actor=actor(staff)) from None
    except MatterListUnavailable as error:
        raise Refused("matter-list-unavailable", str(error), 503, actor=actor(staff)) from None


def change(
    desk: CaseDesk,
    staff: StaffAccount,
    number: str,
    change: Callable[[Session, Case, datetime], T],
    *,
    event: str,
    detail: dict[str, Any] | None = None,
) -> T:
    now = utcnow()
    with refusals(staff, case=number), desk.node.transaction() as session:
        case = access.case_for(session, staff, number)
        result = change(session, case, now)
        peer = case.deciding_region if case.side == "accepting" else case.accepting_region
        number = case.number
    desk.node.audit.append(
        event=event,
        actor=actor(staff),
        peer=peer,
        detail={"case": number, **(detail or {})},
        now=now,
    )
    return result


# --- intake (accepting window) ---------------------------------------------------------------


def open_case(desk: CaseDesk, staff: StaffAccount, *, matter_code: str) -> str:
    require_role(staff, "clerk", action="open a case")
    now = utcnow()
    region = matter_code.split("-", 1)[0]
    with refusals(staff):
        matters = desk.matters.get(region, now=now)
        matter = matters.find(matter_code)
        if matter is None:
            raise IntakeRefused(
                "unknown-matter", f"{region} lists no matter {matter_code[:40]!r}", 404
            )
        with desk.node.transaction() as session:
            case = intake.open_draft(
                session,
                node=desk.node,
                staff=staff,
                matter={**matter, "list_version": matters.version},
                now=now,
            )
            number = case.number
    desk.node.audit.append(
        event="case.opened",
        actor=actor(staff),
        peer=region,
        detail={"case": number, "matter": matter_code},
        now=now,
    )
    return number


def verify_identity(
    desk: CaseDesk, staff: StaffAccount, number: str, *, home: str, code: str, level: str
) -> dict[str, Any]:
    require_role(staff, "clerk", action="take a case in")
    with desk.node.transaction() as session:
        access.case_for(session, staff, number)
    try:
        found = fetch_identity(
            node=desk.node, home_region=home, code=code, min_level=_level(level), now=utcnow()
        )
    except ExchangeRefused as refusal:
        raise Refused(
            refusal.reason,
            refusal.message,
            refusal.status,
            event="case.identity-refused",
            actor=actor(staff),
            peer=refusal.peer,
            detail={"case": number},
        ) from None

    def attach(session: Session, case: Case, now: datetime) -> dict[str, Any]:
        intake.attach_identity(session, case=case, identity=found, now=now)
        return intake.masked_applicant(case)

    return change(
        desk,
        staff,
        number,
        attach,
        event="case.identity-verified",
        detail={"home": home, "level": found.level.value},
    )


def _level(value: str) -> Level:
    try:
        return Level(value)
    except ValueError:
        return Level.SUBSTANTIAL


def sign_consent(
    desk: CaseDesk, staff: StaffAccount, number: str, *, contact: str, signed: bool
) -> dict[str, Any]:
    require_role(staff, "clerk", action="take a case in")
    if not signed:
        raise Refused(
            "consent-not-signed",
            "the applicant must sign the service consent first",
            422,
            actor=actor(staff),
            detail={"case": number},
        )

    def sign(session: Session, case: Case, now: datetime) -> dict[str, Any]:
        return intake.sign_consent(
            session, node=desk.node, case=case, staff=staff, contact=contact, now=now
        )

    return change(desk, staff, number, sign, event="case.consent-signed")


def upload_material(
    desk: CaseDesk,
    staff: StaffAccount,
    number: str,
    *,
    material: str,
    filename: str,
    content_type: str | None,
    data: bytes,
) -> CaseMaterial:
    require_role(staff, "clerk", action="add materials")
    settings = desk.node.settings
    with refusals(staff, case=number):
        checked = check_upload(
            data,
            filename=filename,
            declared_type=content_type,
            max_bytes=settings.case_max_material_bytes,
        )

    def add(session: Session, case: Case, now: datetime) -> CaseMaterial:
        return intake.add_material(
            session,
            store=desk.store,
            case=case,
            material=material,
            checked=checked,
            max_materials=settings.case_max_materials,
            now=now,
        )

    return change(
        desk,
        staff,
        number,
        add,
        event="case.material-added",
        detail={
            "material": material,
            "sha256": checked.sha256,
            "size": checked.size,
            "media_type": checked.media_type,
        },
    )


def submit(desk: CaseDesk, staff: StaffAccount, number: str) -> tuple[Case, str]:
    require_role(staff, "clerk", action="send a case")

    def send(session: Session, case: Case, now: datetime) -> tuple[Case, str]:
        code = intake.submit(session, node=desk.node, case=case, staff=staff, now=now)
        return case, code

    return change(desk, staff, number, send, event="case.submitted")


def new_query_code(desk: CaseDesk, staff: StaffAccount, number: str) -> tuple[Case, str]:
    require_role(staff, "clerk", "supervisor", action="reprint a receipt")

    def renew(session: Session, case: Case, now: datetime) -> tuple[Case, str]:
        if case.side != "accepting" or case.status == "draft":
            raise IntakeRefused("no-receipt", "only sent cases have a receipt", 409)
        return case, intake.new_query_code(session, node=desk.node, case=case)

    return change(desk, staff, number, renew, event="case.receipt-reprinted")


def supplement(desk: CaseDesk, staff: StaffAccount, number: str, *, note: str) -> None:
    require_role(staff, "clerk", action="send 补正 materials")

    def send(session: Session, case: Case, now: datetime) -> None:
        intake.supplement(session, case=case, staff=staff, note=note, now=now)

    change(desk, staff, number, send, event="case.supplemented")


# --- deciding department ---------------------------------------------------------------------


def accept(desk: CaseDesk, staff: StaffAccount, number: str) -> None:
    require_role(staff, "reviewer", action="accept a case")
    change(
        desk,
        staff,
        number,
        lambda s, c, now: review.accept(s, case=c, staff=staff, now=now),
        event="case.accepted",
    )


def request_correction(
    desk: CaseDesk, staff: StaffAccount, number: str, *, materials: list[str], note: str
) -> None:
    require_role(staff, "reviewer", action="ask for more materials")
    change(
        desk,
        staff,
        number,
        lambda s, c, now: review.request_correction(
            s, case=c, staff=staff, materials=materials, note=note, now=now
        ),
        event="case.correction-requested",
        detail={"materials": materials},
    )


def decide(desk: CaseDesk, staff: StaffAccount, number: str, *, outcome: str, note: str) -> None:
    require_role(staff, "reviewer", action="decide a case")
    if outcome not in ("approved", "refused"):
        raise Refused("bad-outcome", "the outcome is approved or refused", 422, actor=actor(staff))
    change(
        desk,
        staff,
        number,
        lambda s, c, now: review.decide(
            s, case=c, staff=staff, approved=outcome == "approved", note=note, now=now
        ),
        event="case.decided",
        detail={"outcome": outcome},
    )


def not_accept(desk: CaseDesk, staff: StaffAccount, number: str, *, note: str) -> None:
    require_role(staff, "reviewer", action="refuse to accept a case")
    change(
        desk,
        staff,
        number,
        lambda s, c, now: review.not_accept(s, case=c, staff=staff, note=note, now=now),
        event="case.not-accepted",
    )


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    case: Case
    materials: list[CaseMaterial]
    licences: list[CaseLicence]
    events: list[CaseEvent]
    overdue: bool
    missing: list[str]


def is_overdue(case: Case, now: datetime) -> bool:
    if case.due_at is None:
        return False
    if case.status in FINAL:
        return case.decided_at is not None and case.decided_at > case.due_at
    return now > case.due_at


def view(desk: CaseDesk, staff: StaffAccount, number: str, *, audit: bool = True) -> CaseView:
    now = utcnow()
    with desk.node.transaction() as session:
        case = access.case_for(session, staff, number)
        result = CaseView(
            case=case,
            materials=intake.materials_of(session, case.number),
            licences=intake.licences_of(session, case.number),
            events=list(
                session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_number == case.number)
                    .order_by(CaseEvent.id)
                )
            ),
            overdue=is_overdue(case, now),
            missing=intake.missing_materials(session, case) if case.status == "draft" else [],
        )
    if audit:
        desk.node.audit.append(
            event="case.viewed", actor=actor(staff), detail={"case": result.case.number}, now=now
        )
    return result


def material_bytes(
    desk: CaseDesk, staff: StaffAccount, number: str, sha256: str
) -> tuple[CaseMaterial, bytes]:
    with desk.node.transaction() as session:
        case = access.case_for(session, staff, number)
        row = session.scalars(
            select(CaseMaterial).where(
                CaseMaterial.case_number == case.number, CaseMaterial.sha256 == sha256[:64]
            )
        ).first()
    if row is None:
        raise Refused(
            "material-not-found", "no such material in this case", 404, actor=actor(staff)
        )
    desk.node.audit.append(
        event="case.material-read",
        actor=actor(staff),
        detail={"case": number, "sha256": row.sha256},
    )
    return row, desk.store.read(row.sha256)


def listing(
    desk: CaseDesk,
    staff: StaffAccount,
    *,
    status: str = "",
    overdue_only: bool = False,
    page: int = 1,
) -> tuple[list[Case], int]:
    now = utcnow()
    with desk.node.transaction() as session:
        query = select(Case).where(access.visible(staff))
        if status:
            query = query.where(Case.status == status)
        if overdue_only:
            query = query.where(
                Case.due_at.is_not(None), Case.due_at < now, Case.status.not_in(FINAL)
            )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(
                query.order_by(Case.created_at.desc())
                .offset(max(0, page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )
    return rows, int(total)


def stuck_messages(
    desk: CaseDesk, staff: StaffAccount, *, only_stuck: bool = False
) -> list[outbox.OutboxRow]:
    require_role(staff, "supervisor", action="see the outbox")
    with desk.node.transaction() as session:
        return outbox.undelivered(
            session, now=utcnow(), stuck_after=desk.stuck_after, only_stuck=only_stuck
        )


def retry_now(desk: CaseDesk, staff: StaffAccount) -> int:
    require_role(staff, "supervisor", action="retry deliveries")
    with desk.node.transaction() as session:
        count = outbox.retry_now(session, now=utcnow())
    desk.node.audit.append(
        event="case.outbox-retry", actor=actor(staff), detail={"messages": count}
    )
    return count
