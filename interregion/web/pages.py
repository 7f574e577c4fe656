"""Jinja2 pages in Chinese and English, and the one way every refusal is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from interregion.web import refusals
from interregion.web.csrf import form_token
from standards.regions import get

TEMPLATES = Path(__file__).parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


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
                "explanation": refusals.explanation(reason),
                "detail": refusals.detail(message),
                "audit_seq": audit,
            },
            status=status,
        )


def plain_page(text: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=NO_STORE)
