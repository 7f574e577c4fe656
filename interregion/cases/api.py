"""The staff JSON API (for the windows' intake systems, 综合受理平台): the pages' operations.

Authenticated with staff API tokens (``Authorization: Bearer dst_…``,
``delta staff token``); documented in the node's OpenAPI at
``/api/openapi.json`` (``/api/docs``). Refusals are problem+json with a
``reason`` and the number of their ``audit_record``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from interregion.cases import operations, views
from interregion.cases.licences import verify_for_case
from interregion.cases.matters import MatterListUnavailable, UnknownRegion
from interregion.cases.service import DeskDep
from interregion.clock import utcnow
from interregion.staff.auth import ApiStaff, Refused, actor
from interregion.staff.service import describe

router = APIRouter(prefix="/cases/api", tags=["window cases (staff API)"])
NO_STORE = {"Cache-Control": "no-store"}


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


@router.get("/me", summary="The staff member this token belongs to")
def me(staff: ApiStaff) -> Response:
    return _json(describe(staff))


@router.get("/matters", summary="A region's matters, from its signed list")
def matters(
    staff: ApiStaff, desk: DeskDep, region: Annotated[str, Query(pattern=r"^\d{6}$")]
) -> Response:
    try:
        listed = desk.matters.get(region, now=utcnow())
    except UnknownRegion as error:
        raise Refused("unknown-region", str(error), 404, actor=actor(staff)) from None
    except MatterListUnavailable as error:
        raise Refused("matter-list-unavailable", str(error), 503, actor=actor(staff)) from None
    return _json({"region": region, "version": listed.version, "matters": listed.matters})


class NewCase(BaseModel):
    matter: str = Field(min_length=3, max_length=40, description="Matter code, e.g. 320000-GJJ-016")


@router.post("/cases", status_code=201, summary="Open a draft case (clerk)")
def open_case(body: NewCase, staff: ApiStaff, desk: DeskDep) -> Response:
    number = operations.open_case(desk, staff, matter_code=body.matter)
    return _json(views.case_json(operations.view(desk, staff, number, audit=False)), 201)


@router.get("/cases", summary="Cases this staff member may see")
def list_cases(
    staff: ApiStaff,
    desk: DeskDep,
    status: Annotated[str, Query(max_length=16)] = "",
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    rows, total = operations.listing(desk, staff, status=status, overdue_only=overdue, page=page)
    now = utcnow()
    return _json(
        {"total": total, "page": page, "cases": [views.summary_json(c, now=now) for c in rows]}
    )


@router.get("/cases/{number}", summary="One case: materials, licences, timeline")
def get_case(number: str, staff: ApiStaff, desk: DeskDep) -> Response:
    return _json(views.case_json(operations.view(desk, staff, number)))


class IdentityBody(BaseModel):
    home: str = Field(pattern=r"^\d{6}$", description="The applicant's home region")
    code: str = Field(min_length=1, max_length=40, description="Their one-time code")
    level: Literal["low", "substantial", "high"] = "substantial"


@router.post("/cases/{number}/identity", summary="Verify the applicant with their home region")
def identity(number: str, body: IdentityBody, staff: ApiStaff, desk: DeskDep) -> Response:
    applicant = operations.verify_identity(
        desk, staff, number, home=body.home, code=body.code, level=body.level
    )
    return _json({"case": number, "applicant": applicant})


class LicenceBody(BaseModel):
    material: str = Field(max_length=8, description="The material the licence replaces")
    identifier: str = Field(max_length=120, description="The licence identifier (1.2.156.3005…)")


@router.post("/cases/{number}/licences", summary="Verify a licence with its issuing region")
def licence(number: str, body: LicenceBody, staff: ApiStaff, desk: DeskDep) -> Response:
    checked = verify_for_case(
        desk, staff, number, material=body.material, identifier=body.identifier
    )
    return _json({"case": number, "licence": checked})


class ConsentBody(BaseModel):
    applicant_signed: bool = Field(description="The applicant has read and signed the consent")
    contact: str = Field(default="", max_length=40, description="Phone for notifications")


@router.post("/cases/{number}/consent", summary="Record the signed service consent (服务同意书)")
def consent(number: str, body: ConsentBody, staff: ApiStaff, desk: DeskDep) -> Response:
    record = operations.sign_consent(
        desk, staff, number, contact=body.contact, signed=body.applicant_signed
    )
    return _json({"case": number, "consent": record})


@router.post("/cases/{number}/materials", status_code=201, summary="Upload one scanned material")
def upload(
    number: str,
    staff: ApiStaff,
    desk: DeskDep,
    material: Annotated[str, Form(max_length=8, description="The matter's material code")],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
) -> Response:
    limit = desk.node.settings.case_max_material_bytes
    data = file.file.read(limit + 1)
    row = operations.upload_material(
        desk,
        staff,
        number,
        material=material,
        filename=file.filename or "",
        content_type=file.content_type,
        data=data,
    )
    return _json(views.material_json(row), 201)


@router.get("/cases/{number}/materials/{sha256}", summary="Download a material")
def download(number: str, sha256: str, staff: ApiStaff, desk: DeskDep) -> Response:
    row, data = operations.material_bytes(desk, staff, number, sha256)
    return views.material_response(row, data)


@router.post("/cases/{number}/submit", summary="Send the case; returns the receipt (收件告知单)")
def submit(number: str, staff: ApiStaff, desk: DeskDep) -> Response:
    case, code = operations.submit(desk, staff, number)
    return _json(views.receipt_json(case, code, base_url=desk.node.member().base_url))


class NoteBody(BaseModel):
    note: str = Field(default="", max_length=1000)


class CorrectionBody(NoteBody):
    materials: list[str] = Field(default_factory=list, max_length=40)


class DecisionBody(NoteBody):
    outcome: Literal["approved", "refused"]


def _after(number: str, staff: ApiStaff, desk: DeskDep) -> Response:
    return _json(views.case_json(operations.view(desk, staff, number, audit=False)))


@router.post("/cases/{number}/accept", summary="受理: accept the case (reviewer)")
def accept(number: str, staff: ApiStaff, desk: DeskDep) -> Response:
    operations.accept(desk, staff, number)
    return _after(number, staff, desk)


@router.post("/cases/{number}/correction", summary="补正: ask for more materials (reviewer)")
def correction(number: str, body: CorrectionBody, staff: ApiStaff, desk: DeskDep) -> Response:
    operations.request_correction(desk, staff, number, materials=body.materials, note=body.note)
    return _after(number, staff, desk)


@router.post("/cases/{number}/decision", summary="办结: approve or refuse (reviewer)")
def decision(number: str, body: DecisionBody, staff: ApiStaff, desk: DeskDep) -> Response:
    operations.decide(desk, staff, number, outcome=body.outcome, note=body.note)
    return _after(number, staff, desk)


@router.post("/cases/{number}/not-accepted", summary="不予受理: refuse to accept (reviewer)")
def not_accepted(number: str, body: NoteBody, staff: ApiStaff, desk: DeskDep) -> Response:
    operations.not_accept(desk, staff, number, note=body.note)
    return _after(number, staff, desk)


@router.post("/cases/{number}/supplement", summary="Send the 补正 materials (clerk)")
def supplement(number: str, body: NoteBody, staff: ApiStaff, desk: DeskDep) -> Response:
    operations.supplement(desk, staff, number, note=body.note)
    return _after(number, staff, desk)


@router.get("/outbox", summary="Undelivered messages (supervisor)")
def outbox(staff: ApiStaff, desk: DeskDep, stuck: bool = False) -> Response:
    rows = operations.stuck_messages(desk, staff, only_stuck=stuck)
    return _json({"messages": [r.as_json() for r in rows]})


@router.post("/outbox/retry", summary="Retry every undelivered message now (supervisor)")
def retry(staff: ApiStaff, desk: DeskDep) -> Response:
    return _json({"messages": operations.retry_now(desk, staff)})
