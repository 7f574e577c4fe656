"""Staff login pages: password, then TOTP, then a session (cookie ``delta_staff_<code>``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from interregion.clock import utcnow
from interregion.identity.service import LoginRefused
from interregion.sso import sessions
from interregion.staff import service
from interregion.staff.auth import STAFF, actor
from interregion.staff.models import StaffAccount
from interregion.web.context import WebDep, see_other
from interregion.web.safe_next import safe_next

router = APIRouter(include_in_schema=False)
PENDING_LIFETIME = timedelta(minutes=5)
LOGIN_ERROR = (
    "用户名或密码错误，或账户已锁定、停用 / "
    "Wrong username or password, or the account is locked or disabled."
)
TOTP_ERROR = (
    "动态口令不正确或已使用，或账户已临时锁定 / "
    "The code is wrong or was already used, or the account is locked for a while."
)


def _next(value: str | None) -> str:
    return safe_next(value, default="/cases")


@router.get("/staff/login")
def login_form(request: Request, web: WebDep, next: str = "", error: str = "") -> Response:
    return web.pages.render(
        request,
        "staff_login.html",
        {"next": _next(next), "error": LOGIN_ERROR if error else ""},
        status=401 if error else 200,
    )


@router.post("/staff/login")
def login_submit(
    request: Request,
    web: WebDep,
    *,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=400)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now, node, target = utcnow(), web.node, _next(next)
    try:
        with node.transaction() as session:
            account = service.check_password(session, username=username, password=password, now=now)
            token, _ = sessions.create(
                session,
                purpose=STAFF,
                now=now,
                lifetime=PENDING_LIFETIME,
                pending_account_id=account.id,
            )
    except LoginRefused as refusal:
        node.audit.append(
            event="staff.login",
            outcome="refused",
            reason=refusal.reason,
            actor=f"username:{username[:64]}",
            now=now,
        )
        return see_other(f"/staff/login?{urlencode({'next': target, 'error': '1'})}")
    node.audit.append(event="staff.login", actor=actor(account), detail={"next": "totp"}, now=now)
    response = see_other(f"/staff/totp?{urlencode({'next': target})}")
    web.cookies.write(response, STAFF, token)
    return response


def _pending(web: WebDep, request: Request) -> StaffAccount | None:
    with web.node.transaction() as session:
        row = sessions.load(session, web.cookies.read(request, STAFF), purpose=STAFF, now=utcnow())
        if row is None or not row.pending_account_id:
            return None
        return session.get(StaffAccount, row.pending_account_id)


@router.get("/staff/totp")
def totp_form(request: Request, web: WebDep, next: str = "", error: str = "") -> Response:
    if _pending(web, request) is None:
        return see_other(f"/staff/login?{urlencode({'next': _next(next)})}")
    return web.pages.render(
        request,
        "staff_totp.html",
        {"next": _next(next), "error": TOTP_ERROR if error else ""},
        status=401 if error else 200,
    )


@router.post("/staff/totp")
def totp_submit(
    request: Request,
    web: WebDep,
    *,
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=400)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now, node, target = utcnow(), web.node, _next(next)
    lifetime = node.session_lifetime
    with node.transaction() as session:
        row = sessions.load(session, web.cookies.read(request, STAFF), purpose=STAFF, now=now)
        account = session.get(StaffAccount, row.pending_account_id) if row else None
        if row is None or account is None:
            return see_other(f"/staff/login?{urlencode({'next': target})}")
        try:
            service.check_totp(session, account=account, code=code, now=now)
        except LoginRefused as refusal:
            reason = refusal.reason
        else:
            reason = ""
            # A fresh token for the logged-in session: the pre-login one is worthless now.
            row.pending_account_id = None
            row.account_id = account.id
            token, _ = sessions.rotate(session, row, now=now, lifetime=lifetime)
    if reason:
        node.audit.append(
            event="staff.totp", outcome="refused", reason=reason, actor=actor(account), now=now
        )
        return see_other(f"/staff/totp?{urlencode({'next': target, 'error': '1'})}")
    node.audit.append(event="staff.totp", actor=actor(account), now=now)
    response = see_other(target)
    web.cookies.write(response, STAFF, token)
    return response


@router.post("/staff/logout")
def logout(request: Request, web: WebDep, csrf: Annotated[str, Form()] = "") -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    with web.node.transaction() as session:
        sessions.end(session, web.cookies.read(request, STAFF))
    web.node.audit.append(event="staff.logout")
    response = see_other("/staff/login")
    web.cookies.clear(response, STAFF)
    return response
