"""Security headers on every portal response (finding 7).

* ``Content-Security-Policy``: everything from our own origin only (front-end
  assets are served from it, see delta.assets), no inline script or style, no
  plugins, no framing, forms post back to us. The portal's pages need nothing
  else (open_portal/web: no inline script or style). A response that sets its
  own policy keeps it: downloads are sandboxed more tightly still, the API docs
  pages (delta.api_docs) allow the inline styles Swagger UI and ReDoc set.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (browsers
  without ``frame-ancestors``), ``Referrer-Policy: strict-origin-when-cross-origin``.

It wraps the whole application, error pages included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ASGIApp = Callable[..., Any]

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}
_ENCODED = [(name.encode(), value.encode()) for name, value in HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware: adds what a response does not set itself; streams pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _ENCODED if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Wrap all of ``app`` -- its error handling too, so 500 pages carry the headers."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
