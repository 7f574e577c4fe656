"""Request-wide protections: a body size limit, the CSRF seed cookie, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from delta.http import problem
from interregion.node import Node
from interregion.web.cookies import CookieJar
from interregion.web.csrf import SEED, seed_of
from signing.errors import SigningError


class BodyLimit:
    """Refuse bodies over ``max_bytes`` (413) whether or not Content-Length is honest."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Path prefixes with a limit of their own (first match wins), e.g. material uploads.
        self.larger = dict(larger or {})

    def limit_for(self, path: str) -> int:
        return next((v for k, v in self.larger.items() if path.startswith(k)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await problem(413, "Content Too Large", f"the limit is {limit} bytes")(
                scope, receive, send
            )
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await problem(413, "Content Too Large", f"the limit is {limit} bytes")(
                scope, receive, send
            )


class TooLarge(Exception):
    pass


def content_security_policy(node: Node) -> str:
    # Forms post to the other nodes (AuthnRequest, Response): allow exactly the members.
    try:
        origins = " ".join(sorted({m.base_url for m in node.federation().members}))
    except SigningError:
        origins = ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-ancestors 'none'; base-uri 'none'; form-action 'self' {origins}".rstrip()
    )


def browser_protections(
    node: Node, cookies: CookieJar
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        seed, fresh = seed_of(request, cookies)
        request.state.csrf_seed = seed
        response = await call_next(request)
        if fresh:
            cookies.write(response, SEED, seed)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(node))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # SAML messages travel in forms, not URLs; still, never leak our URLs to other sites.
        headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return middleware
