"""The window desk's licence check: staff verify the applicant's licences with the issuing
region, under the consent the applicant gave at home (see interregion/licences/window.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from interregion.exchange import ExchangeRefused
from interregion.licences import verification
from interregion.licences.window import WINDOW_SCENARIO
from interregion.staff.auth import PageStaff, require_role
from interregion.web.context import WebDep
from interregion.window.router import DESK_ROLES
from standards.licence_types import field_label, get_type

router = APIRouter()


@router.post("/window/licences")
def desk_licence_check(
    request: Request,
    web: WebDep,
    staff: PageStaff,
    *,
    licence: Annotated[str, Form(max_length=120)] = "",
    consent: Annotated[str, Form(max_length=16 * 1024)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    require_role(staff, *DESK_ROLES, action="check an applicant's licences")
    try:
        result = verification.verify_remote(
            web.node, scenario=WINDOW_SCENARIO, consent_token=consent, identifier=licence,
            service_name="跨省通办专窗 / cross-region window",
        )  # fmt: skip
    except ExchangeRefused as refusal:
        seq = refusal.audit_record
        if seq is None:
            seq = web.node.audit.append(
                event="licence-verification.refused", outcome="refused", reason=refusal.reason,
                detail={"message": refusal.message},
            )  # fmt: skip
        return web.pages.refusal(
            request, reason=refusal.reason, message=refusal.message, status=refusal.status,
            audit=seq,
        )  # fmt: skip
    licence_type = get_type(result["licence"]["type"])
    shown = [
        (field_label(licence_type, key) if licence_type else key, value)
        for key, value in result["fields"].items()
    ]
    return web.pages.render(request, "window_licence.html", {"result": result, "shown": shown})
