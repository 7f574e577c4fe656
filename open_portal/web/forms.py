"""Reading posted forms: CSRF first, then the fields (always strings, bounded)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from open_portal.web.actions import PageError
from open_portal.web.cookies import CSRF_FIELD, CSRF_HEADER
from open_portal.web.render import visit_of

MAX_FIELD = 10_000


def checked(request: Request, form: FormData) -> dict[str, Any]:
    """The form's fields, after its CSRF token proved it came from our own page."""
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not visit_of(request).web.cookies.csrf_ok(request, str(token or "")):
        raise PageError(400, "The form expired or came from another site; reload and retry")
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == CSRF_FIELD or not isinstance(value, str):
            continue
        text = value[:MAX_FIELD]
        if key in fields:
            previous = fields[key]
            fields[key] = [*(previous if isinstance(previous, list) else [previous]), text]
        else:
            fields[key] = text
    return fields


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no ``//`` or backslash tricks."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\r\n\t\\") or len(value) > 1000:
        return default
    return value
