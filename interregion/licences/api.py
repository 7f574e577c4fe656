"""The authenticated API of the region's own issuing departments (``Authorization: Bearer``).

Any department of the region may read the library; only the issuing
department changes a licence, and only with types it issues. Every change is
audited with the department as the actor; a bad token is refused (401) and audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.licences import changes, service
from interregion.licences.service import LicenceError
from interregion.web.context import WebDep

router = APIRouter(prefix="/api/licences")
Identifier = Annotated[str, Field(max_length=120)]


def _department(request: Request, web: WebDep) -> str | Response:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    with web.node.transaction() as session:
        found = (
            service.department_by_token(session, token.strip())
            if scheme.lower() == "bearer"
            else None
        )
        uscc = found.uscc if found else None
    if uscc is None:
        seq = web.node.audit.append(
            event="licence.api-refused", outcome="refused", reason="not-authenticated",
            detail={"path": request.url.path},
        )  # fmt: skip
        return problem(401, "Unauthorized", "a department API token is required",
                       reason="not-authenticated", audit_record=seq)  # fmt: skip
    return uscc


def _failed(web: WebDep, error: LicenceError, *, actor: str, path: str) -> Response:
    seq = web.node.audit.append(
        event="licence.change-refused", outcome="refused", reason=error.reason, actor=actor,
        detail={"path": path, "message": error.message},
    )  # fmt: skip
    extra: dict[str, Any] = {"reason": error.reason, "audit_record": seq}
    if error.errors:
        extra["errors"] = error.errors
    return problem(error.status, "Refused", error.message, **extra)


class IssueBody(BaseModel):
    type: str = Field(max_length=64)
    holder_name: str = Field(min_length=1, max_length=200)
    holder_code: str = Field(min_length=1, max_length=18)
    face_data: dict[str, Any] = Field(default_factory=dict)
    valid_from: date | None = None
    valid_until: date | None = None
    number: str | None = Field(default=None, max_length=64)


class StatusBody(BaseModel):
    reason: str = Field(default="", max_length=200)


class ReissueBody(BaseModel):
    face_data: dict[str, Any] | None = None
    valid_until: date | None = None


@router.get("")
def list_licences(
    request: Request, web: WebDep, holder: str | None = None, type: str | None = None
) -> Response:
    department = _department(request, web)
    if isinstance(department, Response):
        return department
    now = utcnow()
    with web.node.transaction() as session:
        rows = service.listing(session, holder_code=holder, type_code=type)
        found = [service.summary(licence, now=now) for licence in rows]
    return JSONResponse({"licences": found, "count": len(found)})


@router.post("")
def issue_licence(body: IssueBody, request: Request, web: WebDep) -> Response:
    department = _department(request, web)
    if isinstance(department, Response):
        return department
    actor = f"department:{department}"
    try:
        issued = changes.issue(
            web.node, actor=actor, department_uscc=department, type_code=body.type,
            holder_name=body.holder_name, holder_code=body.holder_code, face_data=body.face_data,
            valid_from=body.valid_from, valid_until=body.valid_until, number=body.number,
        )  # fmt: skip
    except LicenceError as error:
        return _failed(web, error, actor=actor, path=request.url.path)
    return JSONResponse(issued, status_code=201)


@router.get("/{identifier}")
def show_licence(identifier: Identifier, request: Request, web: WebDep) -> Response:
    department = _department(request, web)
    if isinstance(department, Response):
        return department
    try:
        with web.node.transaction() as session:
            found = service.detail(service.find(session, identifier), now=utcnow())
    except LicenceError as error:
        return problem(error.status, "Not Found", error.message, reason=error.reason)
    return JSONResponse(found)


@router.post("/{identifier}/reissue")
def reissue_licence(
    identifier: Identifier, request: Request, web: WebDep, body: ReissueBody | None = None
) -> Response:
    department = _department(request, web)
    if isinstance(department, Response):
        return department
    actor = f"department:{department}"
    try:
        result = changes.reissue(
            web.node, identifier=identifier, actor=actor, department_uscc=department,
            face_data=body.face_data if body else None,
            valid_until=body.valid_until if body else None,
        )  # fmt: skip
    except LicenceError as error:
        return _failed(web, error, actor=actor, path=request.url.path)
    return JSONResponse(result, status_code=201)


@router.post("/{identifier}/{action}")
def change_licence(
    identifier: Identifier, action: str, request: Request, web: WebDep,
    body: StatusBody | None = None,
) -> Response:  # fmt: skip
    department = _department(request, web)
    if isinstance(department, Response):
        return department
    actor = f"department:{department}"
    try:
        changed = changes.set_status(
            web.node, identifier=identifier, action=action,
            reason=body.reason if body else "", actor=actor, department_uscc=department,
        )  # fmt: skip
    except LicenceError as error:
        return _failed(web, error, actor=actor, path=request.url.path)
    return JSONResponse(changed)
