"""Accounts in the browser: register, verify the address, log in and out, the account
page with API tokens (shown once) and one's data-use applications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from delta.errors import ValidationFailed
from open_portal.accounts import browser
from open_portal.web.actions import Act, PageError, acting, perform
from open_portal.web.cookies import SESSION
from open_portal.web.forms import checked, safe_next
from open_portal.web.labels import N_
from open_portal.web.render import visit_of

router = APIRouter(include_in_schema=False)

LOGIN_MESSAGES = {
    "invalid": N_("Wrong user name or password."),
    "pending": N_("Please verify your e-mail address first: follow the link we sent you."),
    "locked": N_("Too many failed attempts: this account is locked for a while. Try again later."),
}


def _redirect(request: Request, path: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    visit_of(request).finish(response)
    return response


# --- registration --------------------------------------------------------------------


@router.get("/user/register")
def register_form(request: Request) -> Response:
    with acting(request) as act:
        return act.render("register.html", {"form": {}, "errors": {}})


@router.post("/user/register")
async def register(request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_register, request, fields)


def _register(request: Request, fields: dict[str, Any]) -> Response:
    visit = visit_of(request)
    errors: dict[str, list[str]] = {}
    if fields.get("password") != fields.get("password2"):
        errors["password2"] = [visit.gettext("The passwords do not match.")]
    if not errors:
        try:
            _create_and_mail(request, fields)
        except ValidationFailed as exc:
            errors = {k: v for k, v in exc.errors.items() if isinstance(v, list)}
    with acting(request) as act:
        if errors:
            shown = {k: v for k, v in fields.items() if "password" not in k}
            return act.render("register.html", {"form": shown, "errors": errors}, status=422)
        return act.render("registered.html", {"email": fields.get("email", "")})


def _create_and_mail(request: Request, fields: dict[str, Any]) -> None:
    visit = visit_of(request)
    portal = request.app.state.portal
    settings = portal.settings
    with portal.unit_of_work() as unit:
        user = browser.register(
            unit.session,
            name=str(fields.get("name", "")),
            email=str(fields.get("email", "")),
            password=str(fields.get("password", "")),
            fullname=str(fields.get("fullname", "")),
        )
        token = browser.verification_token(
            visit.web.key, user, valid_for=timedelta(hours=settings.verification_hours)
        )
        link = f"{unit.site_url.rstrip('/')}{visit.url('/user/verify', token=token)}"
        browser.send_verification(
            visit.web.mailer,
            user=user,
            link=link,
            subject=visit.gettext("Verify your e-mail address"),
            body_template=visit.gettext(
                "Welcome to the Delta Open Data Portal. Open this link to verify "
                "your e-mail address and activate your account:\n\n{link}\n"
            ),
        )


@router.get("/user/verify")
def verify(request: Request, token: str = "") -> Response:
    portal = request.app.state.portal
    try:
        with portal.unit_of_work() as unit:
            user = browser.verify_email(unit.session, visit_of(request).web.key, token)
            name = user.name
    except ValidationFailed as exc:
        raise PageError(400, "; ".join(exc.errors.get("token", []))) from None
    with acting(request) as act:
        return act.render("verified.html", {"name": name})


# --- login and logout ----------------------------------------------------------------


@router.get("/user/login")
def login_form(request: Request, next: str = "") -> Response:
    with acting(request) as act:
        return act.render("login.html", {"next": safe_next(next, ""), "message": ""})


@router.post("/user/login")
async def login(request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_login, request, fields)


def _login(request: Request, fields: dict[str, Any]) -> Response:
    portal = request.app.state.portal
    settings = portal.settings
    visit = visit_of(request)
    policy = browser.LoginPolicy(
        max_failures=settings.login_max_failures,
        lock=timedelta(minutes=settings.login_lock_minutes),
    )
    try:
        user_id = browser.authenticate(
            portal.sessions,
            login=str(fields.get("login", "")),
            password=str(fields.get("password", "")),
            policy=policy,
        )
    except browser.LoginRefused as refused:
        with acting(request) as act:
            return act.render(
                "login.html",
                {
                    "next": safe_next(fields.get("next"), ""),
                    "message": visit.gettext(LOGIN_MESSAGES[refused.reason]),
                    "login": fields.get("login", ""),
                },
                status=429 if refused.reason == "locked" else 401,
            )
    lifetime = timedelta(hours=settings.web_session_hours)
    with portal.unit_of_work() as unit:
        token = browser.open_session(unit.session, user_id=user_id, lifetime=lifetime)
    response = _redirect(request, visit.url(safe_next(fields.get("next"), "/user/account")))
    visit.web.cookies.write(response, SESSION, token, max_age=int(lifetime.total_seconds()))
    return response


@router.post("/user/logout")
async def logout(request: Request) -> Response:
    checked(request, await request.form())
    visit = visit_of(request)
    token = visit.web.cookies.read(request, SESSION)
    portal = request.app.state.portal

    def close() -> None:
        with portal.unit_of_work() as unit:
            browser.close_session(unit.session, token)

    await run_in_threadpool(close)
    response = _redirect(request, visit.url("/"))
    visit.web.cookies.clear(response, SESSION)
    return response


# --- the account page ------------------------------------------------------------------


def _signed_in(act: Act) -> Any:
    if act.user is None:
        raise PageError(403, act.visit.gettext("Please log in first."))
    return act.user


@router.get("/user/account")
def account(request: Request) -> Response:
    with acting(request) as act:
        return _account_page(act, new_token=None, errors={})


def _account_page(
    act: Act, *, new_token: dict[str, str] | None, errors: dict[str, Any], status: int = 200
) -> Response:
    user = _signed_in(act)
    tokens = act.call("api_token_list", {"user": user.id})
    applications = act.call("data_application_list", {"limit": 200})
    mine = [a for a in applications if a["applicant_id"] == user.id]
    to_review = [a for a in applications if a["applicant_id"] != user.id]
    return act.render(
        "account.html",
        {
            "profile": act.call("user_show", {"id": user.id}),
            "tokens": [t for t in tokens if not t.get("revoked")],
            "new_token": new_token,
            "applications": mine,
            "pending_reviews": [a for a in to_review if a["status"] == "pending"],
            "errors": errors,
        },
        status=status,
    )


@router.post("/user/account/tokens")
async def create_token(request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_create_token, request, fields)


def _create_token(request: Request, fields: dict[str, Any]) -> Response:
    with acting(request) as act:
        user_id = _signed_in(act).id
    data = {"user": user_id, "name": str(fields.get("name", "")).strip()}
    if str(fields.get("days", "")).strip():
        data |= {"expires_in": fields["days"], "unit": "86400"}
    try:
        created = perform(request, "api_token_create", data)
    except ValidationFailed as exc:
        with acting(request) as act:
            return _account_page(act, new_token=None, errors=exc.errors, status=422)
    with acting(request) as act:
        # The token is shown on this response only: the portal keeps a digest of it.
        response = _account_page(act, new_token={"name": data["name"], **created}, errors={})
        response.headers["Cache-Control"] = "no-store"
        return response


@router.post("/user/account/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request) -> Response:
    checked(request, await request.form())
    await run_in_threadpool(perform, request, "api_token_revoke", {"jti": token_id})
    return _redirect(request, visit_of(request).url("/user/account"))
