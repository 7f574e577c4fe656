"""Home-side pages: receive the AuthnRequest, log in (password, TOTP), consent, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from interregion.clock import utcnow
from interregion.identity.levels import parse_level
from interregion.licences import window as window_licences
from interregion.saml.bindings import decode_post_field
from interregion.saml.errors import SamlRefused
from interregion.sso import idp_service, sessions
from interregion.sso.idp_service import LoginNotFound, Step
from interregion.sso.models import BrowserSession, IdpAuthnRequest
from interregion.web.context import NodeWeb, WebDep, see_other
from standards.regions import get

router = APIRouter()
NEUTRAL_LOGIN_ERROR = (
    "用户名或密码错误，或账户已临时锁定 / Wrong username or password, or the account is locked."
)
RETURNING = "正在返回服务 / Returning to the service"
TOTP_ERROR = (
    "动态口令不正确或已使用，或账户已临时锁定 / "
    "The code is wrong or was already used, or the account is locked for a while."
)


def _step_path(step: Step, handle: str) -> str:
    return f"/idp/{step}?{urlencode({'r': handle})}"


def _gone(request: Request, web: WebDep) -> Response:
    # Expired, finished, or a handle copied from another browser: worth an audit record.
    seq = web.node.audit.append(
        event="idp.login-not-found", outcome="refused", reason="login-not-found",
        detail={"path": request.url.path},
    )  # fmt: skip
    return web.pages.refusal(
        request,
        audit=seq,
        reason="login-not-found",
        message=(
            "登录已过期或不属于本浏览器，请从服务重新开始 / "
            "This login expired or belongs to another browser; start again from the service."
        ),
        status=404,
    )


def _audience(request_row: IdpAuthnRequest) -> dict[str, str]:
    region = get(request_row.sp_region)
    return {
        "code": request_row.sp_region,
        "name": region.name if region else request_row.sp_region,
        "name_en": region.name_en if region else request_row.sp_region,
        "kind": request_row.kind,
        "level": parse_level(request_row.min_level).label,
    }


def _open(
    session: Session, web: NodeWeb, request: Request, handle: str, *, now: datetime
) -> tuple[IdpAuthnRequest, BrowserSession]:
    """The login in progress ``handle``, if it belongs to this browser's home session."""
    browser_token = web.cookies.read(request, sessions.IDP)
    return idp_service.open_request(session, handle=handle, browser_token=browser_token, now=now)


def _go(web: NodeWeb, step: Step, handle: str, token: str | None) -> Response:
    response = see_other(_step_path(step, handle))
    if token:
        web.cookies.write(response, sessions.IDP, token, cross_site=True)
    return response


@router.post("/saml/sso")
def single_sign_on(
    request: Request,
    web: WebDep,
    *,
    saml_request: Annotated[str, Form(alias="SAMLRequest")] = "",
    relay_state: Annotated[str, Form(alias="RelayState")] = "",
) -> Response:
    now, node = utcnow(), web.node
    try:
        document = decode_post_field(
            saml_request, field="SAMLRequest", max_bytes=node.settings.max_xml_bytes
        )
        with node.transaction() as session:
            started, verified = idp_service.receive_request(
                session,
                node=node,
                document=document,
                relay_state=relay_state,
                browser_token=web.cookies.read(request, sessions.IDP),
                now=now,
            )
    except SamlRefused as refusal:
        return web.saml_refusal(request, refusal, event="idp.request-refused", now=now)
    node.audit.append(
        event="idp.request-received",
        peer=verified.sp.region_code,
        detail={"request_id": verified.request_id, "level": verified.min_level.value},
        now=now,
    )
    return _go(web, started.step, started.handle, started.browser_token)


@router.get("/idp/continue")
def continue_login(request: Request, web: WebDep, r: str = "") -> Response:
    now = utcnow()
    with web.node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=now)
        except LoginNotFound:
            return _gone(request, web)
        step = idp_service.next_step(session, request=row, idp=idp)
    return _go(web, step, r, None)


@router.get("/idp/login")
def login_form(request: Request, web: WebDep, r: str = "", error: str = "") -> Response:
    with web.node.transaction() as session:
        try:
            row, _ = _open(session, web, request, r, now=utcnow())
        except LoginNotFound:
            return _gone(request, web)
        audience = _audience(row)
    message = NEUTRAL_LOGIN_ERROR if error else ""
    return web.pages.render(
        request,
        "login.html",
        {"handle": r, "audience": audience, "error": message},
        status=401 if error else 200,
    )


@router.post("/idp/login")
def login_submit(
    request: Request,
    web: WebDep,
    *,
    r: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now, node = utcnow(), web.node
    with node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=now)
        except LoginNotFound:
            return _gone(request, web)
        outcome = idp_service.login(
            session, node=node, request=row, idp=idp, username=username, password=password, now=now
        )
        peer = row.sp_region
        account_id = outcome.account.id if outcome.account else ""
    if outcome.step is None:
        node.audit.append(
            event="idp.login", outcome="refused", reason=outcome.refused,
            actor=f"username:{username[:64]}", peer=peer, now=now,
        )  # fmt: skip
        return see_other(f"/idp/login?{urlencode({'r': r, 'error': '1'})}")
    node.audit.append(
        event="idp.login", actor=f"account:{account_id}", peer=peer,
        detail={"next": outcome.step}, now=now,
    )  # fmt: skip
    return _go(web, outcome.step, r, outcome.browser_token)


@router.get("/idp/totp")
def totp_form(request: Request, web: WebDep, r: str = "", error: str = "") -> Response:
    with web.node.transaction() as session:
        try:
            row, _ = _open(session, web, request, r, now=utcnow())
        except LoginNotFound:
            return _gone(request, web)
        audience = _audience(row)
    return web.pages.render(
        request,
        "totp.html",
        {"handle": r, "audience": audience, "error": TOTP_ERROR if error else ""},
        status=401 if error else 200,
    )


@router.post("/idp/totp")
def totp_submit(
    request: Request,
    web: WebDep,
    *,
    r: Annotated[str, Form()] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now, node = utcnow(), web.node
    with node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=now)
            outcome = idp_service.second_factor(
                session, node=node, request=row, idp=idp, code=code, now=now
            )
        except LoginNotFound:
            return _gone(request, web)
        peer = row.sp_region
        account_id = outcome.account.id if outcome.account else ""
    node.audit.append(
        event="idp.totp", outcome="refused" if outcome.step is None else "ok",
        reason=outcome.refused, actor=f"account:{account_id}", peer=peer, now=now,
    )  # fmt: skip
    if outcome.step is None:
        return see_other(f"/idp/totp?{urlencode({'r': r, 'error': '1'})}")
    return _go(web, outcome.step, r, outcome.browser_token)


@router.get("/idp/consent")
def consent_form(request: Request, web: WebDep, r: str = "") -> Response:
    with web.node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=utcnow())
            if idp_service.next_step(session, request=row, idp=idp) != "consent":
                return see_other(f"/idp/continue?{urlencode({'r': r})}")
            if row.kind == "holder":  # logged in to see one's own licences: nothing to release
                idp_service.unreachable(session, node=web.node, request=row, now=utcnow())
                return see_other("/licences/mine")
            view = idp_service.consent_view(session, node=web.node, request=row, idp=idp)
            licences = (
                window_licences.consent_preview(
                    session, node=web.node, account=view.account, window_region=row.sp_region
                )
                if row.kind == "window"
                else []
            )
        except LoginNotFound:
            return _gone(request, web)
        audience = _audience(row)
        person = view.account.name
    return web.pages.render(
        request,
        "consent.html",
        {
            "handle": r,
            "audience": audience,
            "person": person,
            "released": view.released,
            "full_id_requested": view.full_id_requested,
            "level": view.level,
            "licences": licences,
        },
    )


@router.get("/idp/unreachable")
def unreachable(request: Request, web: WebDep, r: str = "") -> Response:
    """The account cannot reach the level asked for: tell the relying node (a signed status)."""
    now, node = utcnow(), web.node
    with node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=now)
            if idp_service.next_step(session, request=row, idp=idp) != "unreachable":
                return see_other(f"/idp/continue?{urlencode({'r': r})}")
            answer = idp_service.unreachable(session, node=node, request=row, now=now)
        except LoginNotFound:
            return _gone(request, web)
        peer, kind, level = row.sp_region, row.kind, row.min_level
    seq = node.audit.append(
        event="idp.level-not-available", outcome="refused", reason="level-not-available",
        actor=f"account:{idp.account_id or ''}", peer=peer, detail={"required": level}, now=now,
    )  # fmt: skip
    if kind != "saml":
        return web.pages.refusal(
            request,
            reason="level-not-available",
            message=f"required: {level}",
            status=403,
            audit=seq,
        )
    return web.autopost(
        request,
        action=answer.action,
        fields=answer.fields,
        title=RETURNING,
    )


@router.post("/idp/consent")
def consent_submit(
    request: Request,
    web: WebDep,
    *,
    r: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    share_full_id: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now, node = utcnow(), web.node
    with node.transaction() as session:
        try:
            row, idp = _open(session, web, request, r, now=now)
            if idp_service.next_step(session, request=row, idp=idp) != "consent":
                return see_other(f"/idp/continue?{urlencode({'r': r})}")
            answer = idp_service.decide(
                session, node=node, request=row, idp=idp, allow=decision == "allow",
                share_full_id=share_full_id == "yes", now=now,
            )  # fmt: skip
        except LoginNotFound:
            return _gone(request, web)
        peer, kind, request_id = row.sp_region, row.kind, row.request_id
        audience = _audience(row)
    actor = f"account:{answer.account.id}" if answer.account else ""
    allowed = decision == "allow"
    node.audit.append(
        event="idp.consent" if allowed else "idp.consent-declined", actor=actor, peer=peer,
        detail={"kind": kind, "request_id": request_id, "released": list(answer.released)},
        now=now,
    )  # fmt: skip
    if kind == "saml":
        return web.autopost(request, action=answer.action, fields=answer.fields, title=RETURNING)
    if not allowed:
        return web.pages.render(request, "window_declined.html", {"audience": audience})
    return web.pages.render(
        request, "window_code.html", {"code": answer.code, "audience": audience}
    )


@router.post("/idp/logout")
def logout(request: Request, web: WebDep, csrf: Annotated[str, Form()] = "") -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    with web.node.transaction() as session:
        idp_service.end_session(session, browser_token=web.cookies.read(request, sessions.IDP))
    response = see_other("/")
    web.cookies.clear(response, sessions.IDP)
    return response
