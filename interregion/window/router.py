"""Window identity: the home-side consent and back channel, the window-side desk and API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.exchange import ExchangeBody, Incoming, Reply, exchange_response
from interregion.identity import attributes
from interregion.identity import service as identity
from interregion.identity.attributes import DEFAULT_REQUEST
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.sso import idp_service, sessions
from interregion.staff.auth import ApiStaff, PageStaff, require_role
from interregion.web.context import WebDep, see_other
from interregion.window import service as window
from interregion.window.service import AssertionRefused
from standards.regions import DELTA_PROVINCES, get

router = APIRouter()
# The identity desk is for window staff (interregion/staff): clerks and their supervisors.
DESK_ROLES = ("clerk", "supervisor")


def _level(value: str | None) -> Level:
    try:
        return parse_level(value) if value else Level.SUBSTANTIAL
    except UnknownLevel:
        return Level.SUBSTANTIAL


# --- home side --------------------------------------------------------------------------


@router.get("/idp/window")
def window_consent_start(
    request: Request, web: WebDep, *, to: str = "", level: str | None = None
) -> Response:
    """Start a login at home whose result is a one-time code for region ``to``'s windows."""
    if to not in DELTA_PROVINCES:
        regions = [(code, get(code)) for code in DELTA_PROVINCES]
        return web.pages.render(request, "window_start.html", {"regions": regions})
    now = utcnow()
    with web.node.transaction() as session:
        started = idp_service.begin(
            session,
            node=web.node,
            kind="window",
            audience_region=to,
            min_level=_level(level),
            requested=list(DEFAULT_REQUEST),
            browser_token=web.cookies.read(request, sessions.IDP),
            now=now,
        )
    response = see_other(f"/idp/{started.step}?r={started.handle}")
    if started.browser_token:
        web.cookies.write(response, sessions.IDP, started.browser_token, cross_site=True)
    return response


def _audited(web: WebDep, refusal: AssertionRefused) -> int:
    """The refusal's audit record; refusals from the exchange already have one."""
    if refusal.audit_record is None:
        refusal.audit_record = web.node.audit.append(
            event=window.IDENTITY_ASSERTION_KIND.event("refused"), outcome="refused",
            reason=refusal.reason, peer=refusal.peer, detail={"message": refusal.message},
        )  # fmt: skip
    return refusal.audit_record


def _refused(web: WebDep, refusal: AssertionRefused) -> Response:
    seq = _audited(web, refusal)
    return problem(
        refusal.status, "Refused", refusal.message, reason=refusal.reason, audit_record=seq
    )


@router.post("/idp/identity-assertions")
def identity_assertion(body: ExchangeBody, web: WebDep) -> Response:
    """Back channel: a window node's signed request in, an identity-assertion+jwt out."""

    def handle(incoming: Incoming, session: Session) -> Reply:
        return window.answer_request(incoming, session, node=web.node)

    return exchange_response(web, window.IDENTITY_ASSERTION_KIND, body.request, handle)


# --- window side ---------------------------------------------------------------------------


class IdentityQuery(BaseModel):
    home: str = Field(pattern=r"^\d{6}$")
    code: str = Field(min_length=1, max_length=40)
    level: str = "substantial"


def _fetch(web: WebDep, *, home: str, code: str, level: str) -> window.WindowIdentity:
    now = utcnow()
    return window.fetch_identity(
        node=web.node, home_region=home, code=code, min_level=_level(level), now=now
    )


@router.post("/window/identity-assertions")
def window_identity_api(query: IdentityQuery, web: WebDep, staff: ApiStaff) -> Response:
    """For window workstations: the applicant's verified identity (and the JWT as evidence).

    Window staff only: a staff API token (``Authorization: Bearer dst_…``)."""
    require_role(staff, *DESK_ROLES, action="verify applicants")
    try:
        found = _fetch(web, home=query.home, code=query.code, level=query.level)
    except AssertionRefused as refusal:
        return _refused(web, refusal)
    return JSONResponse(found.as_json(), headers={"Cache-Control": "no-store"})


@router.get("/window")
def window_desk(request: Request, web: WebDep, staff: PageStaff) -> Response:
    require_role(staff, *DESK_ROLES, action="verify applicants")
    regions = [(code, get(code)) for code in DELTA_PROVINCES]
    return web.pages.render(request, "window_desk.html", {"regions": regions, "found": None})


@router.post("/window")
def window_desk_submit(
    request: Request,
    web: WebDep,
    staff: PageStaff,
    *,
    home: Annotated[str, Form(max_length=6)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    require_role(staff, *DESK_ROLES, action="verify applicants")
    try:
        found = _fetch(web, home=home, code=code, level="substantial")
    except AssertionRefused as refusal:
        seq = _audited(web, refusal)
        return web.pages.refusal(
            request,
            reason=refusal.reason,
            message=refusal.message,
            status=refusal.status,
            audit=seq,
        )
    region = get(found.home_region)
    context: dict[str, Any] = {
        "regions": [(c, get(c)) for c in DELTA_PROVINCES],
        "found": found,
        "home_name": f"{region.name} / {region.name_en}" if region else found.home_region,
        "shown": identity.display_values(  # the home region has its own row
            found.values, reveal_full_id=True, omit=(attributes.HOME_REGION.key,)
        ),
    }
    return web.pages.render(request, "window_desk.html", context)
