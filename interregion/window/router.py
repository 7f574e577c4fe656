"""Window identity: the home-side consent and back channel, the window-side desk and API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.identity import service as identity
from interregion.identity.attributes import DEFAULT_REQUEST
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.sso import idp_service, sessions
from interregion.web.context import WebDep, see_other
from interregion.window import service as window
from interregion.window.service import AssertionRefused
from standards.regions import DELTA_PROVINCES, get

router = APIRouter()


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


class AssertionRequest(BaseModel):
    request: str = Field(max_length=window.MAX_BACK_CHANNEL_CHARS)


def _refused(web: WebDep, refusal: AssertionRefused, *, event: str) -> Response:
    seq = web.node.audit.append(
        event=event, outcome="refused", reason=refusal.reason, peer=refusal.peer,
        detail={"message": refusal.message},
    )  # fmt: skip
    return problem(
        refusal.status, "Refused", refusal.message, reason=refusal.reason, audit_record=seq
    )


@router.post("/idp/identity-assertions")
def identity_assertion(body: AssertionRequest, web: WebDep) -> Response:
    """Back channel: a window node's signed request in, an identity-assertion+jwt out."""
    now = utcnow()
    try:
        with web.node.transaction() as session:
            token, peer = window.answer_request(session, node=web.node, token=body.request, now=now)
    except AssertionRefused as refusal:
        return _refused(web, refusal, event="window.assertion-refused")
    web.node.audit.append(event="window.assertion-issued", peer=peer, now=now)
    return JSONResponse({"assertion": token}, headers={"Cache-Control": "no-store"})


# --- window side ---------------------------------------------------------------------------


class IdentityQuery(BaseModel):
    home: str = Field(pattern=r"^\d{6}$")
    code: str = Field(min_length=1, max_length=40)
    level: str = "substantial"


def _fetch(web: WebDep, *, home: str, code: str, level: str) -> window.WindowIdentity:
    now = utcnow()
    found = window.fetch_identity(
        node=web.node, home_region=home, code=code, min_level=_level(level), now=now
    )
    web.node.audit.append(
        event="window.assertion-accepted",
        actor=f"{found.subject}@{found.home_region}",
        peer=found.home_region,
        detail={"level": found.level.value, "attributes": sorted(found.values)},
        now=now,
    )
    return found


@router.post("/window/identity-assertions")
def window_identity_api(query: IdentityQuery, web: WebDep) -> Response:
    """For window workstations: the applicant's verified identity (and the JWT as evidence)."""
    try:
        found = _fetch(web, home=query.home, code=query.code, level=query.level)
    except AssertionRefused as refusal:
        return _refused(web, refusal, event="window.assertion-refused")
    return JSONResponse(found.as_json(), headers={"Cache-Control": "no-store"})


@router.get("/window")
def window_desk(request: Request, web: WebDep) -> Response:
    regions = [(code, get(code)) for code in DELTA_PROVINCES]
    return web.pages.render(request, "window_desk.html", {"regions": regions, "found": None})


@router.post("/window")
def window_desk_submit(
    request: Request,
    web: WebDep,
    *,
    home: Annotated[str, Form(max_length=6)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    try:
        found = _fetch(web, home=home, code=code, level="substantial")
    except AssertionRefused as refusal:
        seq = web.node.audit.append(
            event="window.assertion-refused", outcome="refused", reason=refusal.reason,
            peer=refusal.peer, detail={"message": refusal.message},
        )  # fmt: skip
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
        "shown": identity.display_values(found.values, reveal_full_id=True),
    }
    return web.pages.render(request, "window_desk.html", context)
