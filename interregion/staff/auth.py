"""Who is asking: staff from a browser session (pages) or from an API token (JSON API).

Pages answer an anonymous request with the login page; the JSON API with
401 problem+json. Every refusal of a logged-in staff member (wrong role,
another window's case) is a :class:`Refused`, which the handler installed by
:func:`install` turns into an audit record and a clear page or problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.sso import sessions
from interregion.staff import service
from interregion.staff.models import StaffAccount
from interregion.web.context import NodeWeb, WebDep, get_web, see_other
from interregion.web.safe_next import safe_next

STAFF = "staff"  # browser_session purpose and cookie name
API_PREFIX = "/cases/api/"


@dataclass
class Refused(Exception):
    """A refusal worth an audit record; shown as a page or as problem+json."""

    reason: str
    message: str
    status: int = 403
    event: str = "case.refused"
    actor: str = ""
    peer: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def actor(account: StaffAccount) -> str:
    return f"staff:{account.username}"


def staff_from_session(web: NodeWeb, request: Request) -> StaffAccount | None:
    now = utcnow()
    with web.node.transaction() as session:
        row = sessions.load(session, web.cookies.read(request, STAFF), purpose=STAFF, now=now)
        if row is None or not row.account_id:
            return None
        account = session.get(StaffAccount, row.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return account


def page_staff(request: Request, web: Annotated[NodeWeb, Depends(get_web)]) -> StaffAccount:
    account = staff_from_session(web, request)
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(safe_next(target, default="/cases"))
    return account


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffApiToken",
    description="A staff API token (`dst_…`): `delta staff token --region CODE --username NAME`.",
)


def api_staff(
    request: Request,
    web: Annotated[NodeWeb, Depends(get_web)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffAccount:
    token = credentials.credentials if credentials else ""
    with web.node.transaction() as session:
        account = service.account_for_token(session, token, now=utcnow()) if token else None
    if account is None:
        raise Refused(
            "not-authenticated",
            "a valid staff API token is required (Authorization: Bearer dst_…)",
            401,
            event="staff.api-refused",
            detail={"path": request.url.path},
        )
    return account


PageStaff = Annotated[StaffAccount, Depends(page_staff)]
ApiStaff = Annotated[StaffAccount, Depends(api_staff)]


def require_role(account: StaffAccount, *roles: str, action: str) -> None:
    if account.role not in roles:
        raise Refused(
            "role-not-allowed",
            f"a {account.role} may not {action} (needs {' or '.join(roles)})",
            actor=actor(account),
            detail={"action": action, "role": account.role},
        )


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith(API_PREFIX) or path == "/window/identity-assertions"


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_: Request, error: LoginRequired) -> Response:
        return see_other(f"/staff/login?{urlencode({'next': error.next_path})}")

    @app.exception_handler(Refused)
    async def _refused(request: Request, error: Refused) -> Response:
        # The audit append is blocking database work: keep it off the event loop.
        return await run_in_threadpool(refusal_response, request, get_web(request), error)


def refusal_response(request: Request, web: WebDep, error: Refused) -> Response:
    seq = web.node.audit.append(
        event=error.event,
        outcome="refused",
        reason=error.reason,
        actor=error.actor,
        peer=error.peer,
        detail={"message": error.message, "path": request.url.path, **error.detail},
    )
    if _is_api(request) or request.headers.get("accept", "").startswith("application/json"):
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        response = problem(
            error.status, "Refused", error.message, reason=error.reason, audit_record=seq
        )
        response.headers.update(headers)
        return response
    return web.pages.refusal(
        request, reason=error.reason, message=error.message, status=error.status, audit=seq
    )
