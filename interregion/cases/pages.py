"""Staff pages: the clerk's new-case wizard and sent cases, the reviewer's queue and case page,
the supervisor's undelivered messages. Every form posts with a CSRF token; every operation is
the same call the JSON API makes (:mod:`interregion.cases.operations`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from interregion.cases import intake, operations, views
from interregion.cases.licences import verify_for_case
from interregion.cases.matters import MatterListUnavailable
from interregion.cases.models import FINAL, STATUSES, Case
from interregion.cases.service import DeskDep
from interregion.cases.units import unit
from interregion.cases.workdays import CHINA
from interregion.clock import utcnow
from interregion.staff.auth import PageStaff
from interregion.staff.models import StaffAccount
from interregion.web.context import WebDep, see_other
from standards.regions import DELTA_PROVINCES, name_of

router = APIRouter(include_in_schema=False)
ROLE_TEXT = {
    "clerk": "收件人员 / clerk",
    "reviewer": "审批人员 / reviewer",
    "supervisor": "督办人员 / supervisor",
}
Csrf = Annotated[str, Form()]


def local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _unit_name(code: str) -> str:
    found = unit(code)
    return f"{found.name} / {found.name_en}" if found else code


def staff_context(staff: StaffAccount) -> dict[str, Any]:
    return {
        "staff": staff,
        "role_text": ROLE_TEXT.get(staff.role, staff.role),
        "window_name": _unit_name(staff.window),
    }


def _render(
    request: Request, web: WebDep, staff: StaffAccount, name: str, **values: Any
) -> Response:
    return web.pages.render(request, name, {**staff_context(staff), **values})


def _region_choices(exclude: str = "") -> list[tuple[str, str]]:
    return [(c, f"{name_of(c)} ({c})") for c in DELTA_PROVINCES if c != exclude]


@router.get("/cases")
def case_list(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    status: str = "",
    overdue: str = "",
) -> Response:
    now = utcnow()
    rows, total = operations.listing(desk, staff, status=status[:16], overdue_only=bool(overdue))
    heading = {
        "clerk": "本窗口收件 / Cases sent from this window",
        "reviewer": "待办与已办 / Incoming cases of this department",
        "supervisor": "本地区全部案件 / All cases of this node",
    }[staff.role]
    stuck = 0
    if staff.role == "supervisor":
        stuck = sum(1 for m in operations.stuck_messages(desk, staff, only_stuck=True))
    return _render(
        request,
        web,
        staff,
        "cases_list.html",
        heading=heading,
        total=total,
        status=status,
        overdue_only=bool(overdue),
        stuck=stuck,
        statuses=[(s, views.status_text(s)) for s in STATUSES],
        side_label="审批地 / Decided by"
        if staff.role == "clerk"
        else ("收件地 / From" if staff.role == "reviewer" else ""),
        rows=[_row(case, now) for case in rows],
    )


def _row(case: Case, now: datetime) -> dict[str, Any]:
    applicant = intake.masked_applicant(case)
    return {
        "number": case.number,
        "matter": f"{case.matter.get('name', '')} / {case.matter.get('name_en', '')}",
        "applicant": f"{applicant['name']} {applicant['id_masked']}",
        "regions": f"{name_of(case.accepting_region)} → {name_of(case.deciding_region)}",
        "status": case.status,
        "status_text": views.status_text(case.status),
        "final": case.status in FINAL,
        "due": local(case.due_at),
        "overdue": operations.is_overdue(case, now),
    }


@router.get("/cases/new")
def new_case(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, region: str = ""
) -> Response:
    operations.require_role(staff, "clerk", action="open a case")
    own = web.node.region_code
    region = region if region in DELTA_PROVINCES and region != own else ""
    matters: list[dict[str, Any]] = []
    if region:
        try:
            matters = desk.matters.get(region, now=utcnow()).matters
        except MatterListUnavailable:
            matters = []
    return _render(
        request,
        web,
        staff,
        "case_new.html",
        regions=_region_choices(own),
        chosen_region=region,
        matters=matters,
    )


@router.post("/cases/new")
def open_case(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    matter: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    number = operations.open_case(desk, staff, matter_code=matter)
    return see_other(f"/cases/{number}")


@router.get("/cases/outbox")
def outbox_page(request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff) -> Response:
    rows = operations.stuck_messages(desk, staff)
    hours = round(desk.stuck_after.total_seconds() / 3600, 2)
    return _render(request, web, staff, "case_outbox.html", messages=rows, stuck_hours=hours)


@router.post("/cases/outbox/retry")
def outbox_retry(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, csrf: Csrf = ""
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.retry_now(desk, staff)
    desk.worker.wake()
    return see_other("/cases/outbox")


@router.get("/cases/{number}")
def case_page(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, number: str
) -> Response:
    seen = operations.view(desk, staff, number)
    case = seen.case
    if case.status == "draft":
        return _draft_page(request, web, desk, staff, seen)
    applicant = intake.masked_applicant(case)
    full_id = case.applicant.get("citizen-id") if case.side == "deciding" else None
    return _render(
        request,
        web,
        staff,
        "case_detail.html",
        case=case,
        overdue=seen.overdue,
        final=case.status in FINAL,
        status_text=views.status_text(case.status),
        applicant={
            **applicant,
            "id_shown": full_id or applicant["id_masked"],
            "home_region_name": name_of(applicant["home_region"]),
        },
        window=_unit_name(case.accepting_window),
        department=_unit_name(case.department),
        materials=seen.materials,
        licences=seen.licences,
        events=[
            {"at": local(e.at), "note": e.note, "actor": e.actor, "kind": e.kind}
            for e in seen.events
        ],
        times={
            "submitted": local(case.submitted_at),
            "delivered": local(case.delivered_at),
            "accepted": local(case.accepted_at),
            "due": local(case.due_at),
            "decided": local(case.decided_at),
        },
        can={
            "review": staff.role == "reviewer" and case.side == "deciding",
            "supplement": staff.role == "clerk" and case.status == "correction",
            "reprint": staff.role == "clerk" and case.side == "accepting",
        },
    )


def _draft_page(
    request: Request, web: WebDep, desk: DeskDep, staff: StaffAccount, seen: operations.CaseView
) -> Response:
    case = seen.case
    scanned = {m.material for m in seen.materials}
    licensed = {lic.material for lic in seen.licences if lic.status == "valid"}
    required = []
    for m in case.matter.get("materials", []):
        have = ("扫描件 / scan" if m["code"] in scanned else "") + (
            " 电子证照 / licence" if m["code"] in licensed else ""
        )
        required.append({**m, "have": have.strip() or "—"})
    applicant = intake.masked_applicant(case) if case.applicant else None
    if applicant:
        applicant["home_region_name"] = name_of(applicant["home_region"])
    agreed = case.consent.get("agreed_at")
    return _render(
        request,
        web,
        staff,
        "case_draft.html",
        case=case,
        applicant=applicant,
        department=_unit_name(case.department),
        regions=_region_choices(),
        licences=seen.licences,
        required=required,
        missing=seen.missing,
        licence_materials=[m for m in case.matter.get("materials", []) if m.get("licence_types")],
        offered=case.licence_consent.get("licences", []),
        consent_text=intake.consent_text(case) if case.applicant else "",
        consent_at=local(datetime.fromtimestamp(agreed, tz=CHINA)) if agreed else "",
        max_mb=round(web.node.settings.case_max_material_bytes / 1024 / 1024, 1),
    )


def _back(number: str) -> Response:
    return see_other(f"/cases/{number}")


@router.post("/cases/{number}/identity")
def identity(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    home: Annotated[str, Form(max_length=6)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.verify_identity(desk, staff, number, home=home, code=code, level="substantial")
    return _back(number)


@router.post("/cases/{number}/licences")
def licence(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    material: Annotated[str, Form(max_length=8)] = "",
    identifier: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    verify_for_case(desk, staff, number, material=material, identifier=identifier)
    return _back(number)


@router.post("/cases/{number}/consent")
def consent(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    signed: Annotated[str, Form(max_length=8)] = "",
    contact: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.sign_consent(desk, staff, number, contact=contact, signed=signed == "yes")
    return _back(number)


@router.post("/cases/{number}/materials")
def material(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    file: Annotated[UploadFile, File()],
    material: Annotated[str, Form(max_length=8)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    data = file.file.read(web.node.settings.case_max_material_bytes + 1)
    operations.upload_material(
        desk,
        staff,
        number,
        material=material,
        filename=file.filename or "",
        content_type=file.content_type,
        data=data,
    )
    return _back(number)


@router.post("/cases/{number}/submit")
def submit(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, number: str, csrf: Csrf = ""
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    case, code = operations.submit(desk, staff, number)
    return _receipt(request, web, desk, staff, case, code)


@router.post("/cases/{number}/receipt")
def reprint(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, number: str, csrf: Csrf = ""
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    case, code = operations.new_query_code(desk, staff, number)
    return _receipt(request, web, desk, staff, case, code)


def _receipt(  # noqa: PLR0917
    request: Request, web: WebDep, desk: DeskDep, staff: StaffAccount, case: Case, code: str
) -> Response:
    receipt = views.receipt_json(case, code, base_url=desk.node.member().base_url)
    return _render(
        request,
        web,
        staff,
        "case_receipt.html",
        receipt=receipt,
        qr=receipt["qr_svg"],
        deciding=f"{name_of(case.deciding_region)} · {_unit_name(case.department)}",
        window=_unit_name(case.accepting_window),
        submitted=local(case.submitted_at),
    )


@router.get("/cases/{number}/materials/{sha256}")
def download(desk: DeskDep, staff: PageStaff, number: str, sha256: str) -> Response:
    row, data = operations.material_bytes(desk, staff, number, sha256)
    return views.material_response(row, data)


@router.post("/cases/{number}/accept")
def accept(
    request: Request, web: WebDep, *, desk: DeskDep, staff: PageStaff, number: str, csrf: Csrf = ""
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.accept(desk, staff, number)
    return _back(number)


@router.post("/cases/{number}/correction")
def correction(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    materials: Annotated[list[str] | None, Form(max_length=40)] = None,
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.request_correction(
        desk, staff, number, materials=[m[:8] for m in materials or []], note=note
    )
    return _back(number)


@router.post("/cases/{number}/decision")
def decision(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    outcome: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.decide(desk, staff, number, outcome=outcome, note=note)
    return _back(number)


@router.post("/cases/{number}/not-accepted")
def not_accepted(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.not_accept(desk, staff, number, note=note)
    return _back(number)


@router.post("/cases/{number}/supplement")
def supplement(
    request: Request,
    web: WebDep,
    *,
    desk: DeskDep,
    staff: PageStaff,
    number: str,
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf: Csrf = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    operations.supplement(desk, staff, number, note=note)
    return _back(number)
