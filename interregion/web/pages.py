"""Jinja2 pages in Chinese and English, and the one way every refusal is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from interregion.web.csrf import form_token
from standards.regions import get

TEMPLATES = Path(__file__).parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# Refusal reasons people see; the code itself is shown too, for support calls.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "replayed": (
        "该登录凭证已被使用过",
        "This login response has already been used.",
    ),
    "wrong-destination": (
        "该登录凭证是发给其他服务的",
        "This login response was meant for another service.",
    ),
    "wrong-recipient": (
        "该登录凭证是发给其他服务的",
        "This login response was meant for another service.",
    ),
    "wrong-audience": (
        "该登录凭证是发给其他服务的",
        "This login response was meant for another service.",
    ),
    "expired": (
        "登录凭证已过期，请重新登录",
        "The login response has expired; please log in again.",
    ),
    "not-yet-valid": (
        "登录凭证的时间不正确",
        "The login response is not valid yet.",
    ),
    "tampered": (
        "登录凭证被篡改",
        "The login response was changed after it was signed.",
    ),
    "signature-wrapping": (
        "登录凭证结构异常（签名包装攻击）",
        "The login response was tampered with (signature wrapping).",
    ),
    "multiple-assertions": (
        "登录凭证包含多个断言",
        "The login response holds more than one assertion.",
    ),
    "signature-invalid": (
        "登录凭证的签名不可信",
        "The login response is not signed by a trusted key.",
    ),
    "unsigned": (
        "登录凭证未签名",
        "The login response is not signed.",
    ),
    "unknown-issuer": (
        "签发方不是联盟成员",
        "The sender is not a member of the federation.",
    ),
    "in-response-to-not-pending": (
        "没有与之对应的登录请求",
        "There is no pending login request for this response.",
    ),
    "not-this-browser": (
        "该登录不是在本浏览器发起的",
        "This login was not started in this browser.",
    ),
    "level-too-low": (
        "认证等级低于服务要求",
        "The level of assurance is lower than the service requires.",
    ),
    "level-not-available": (
        "所属地区无法以所需等级认证",
        "Your home region cannot reach the level this service needs.",
    ),
    "declined": (
        "您拒绝了信息共享",
        "You declined to share your data.",
    ),
    "schema-invalid": (
        "登录凭证格式不符合SAML规范",
        "The message does not follow the SAML schema.",
    ),
    "malformed": (
        "消息格式错误",
        "The message is malformed.",
    ),
}


def make_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=environment)


class Pages:
    def __init__(self, *, region_code: str, cookies: Any) -> None:
        region = get(region_code)
        self._region = {
            "code": region_code,
            "name": region.name if region else region_code,
            "name_en": region.name_en if region else region_code,
            "short": (region.short or "") if region else "",
        }
        self._cookies = cookies
        self._templates = make_templates()

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> Response:
        seed = getattr(request.state, "csrf_seed", "")
        values = {"region": self._region, "csrf_token": form_token(self._cookies, seed)}
        values.update(context or {})
        return self._templates.TemplateResponse(
            request, name, values, status_code=status, headers=NO_STORE
        )

    def refusal(
        self,
        request: Request,
        *,
        reason: str,
        message: str,
        status: int = 400,
        audit: int | None = None,
    ) -> Response:
        return self.render(
            request,
            "error.html",
            {
                "reason": reason,
                "explanation": REASON_TEXT.get(reason, ("", "")),
                "message": message,
                "audit_seq": audit,
            },
            status=status,
        )


def plain_page(text: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=NO_STORE)
