"""CORS for the portal's API: other sites' pages may read; writing is opt-in per site.

- Read actions (``side_effect_free``), file downloads, Data Package descriptors and
  DataStore dumps answer pages of the origins in ``DELTA_CORS_ORIGINS`` (default
  ``*``: every site), anonymously: only ``Content-Type`` and ``Range`` may be sent.
- Write actions, and any request that carries a user's API token, answer only
  pages of the origins named in ``DELTA_CORS_WRITE_ORIGINS`` (default: none). Such
  a page holds a user's token and acts as that user, so the operator names each
  site that may; every API write needs a token header, which makes it a
  "non-simple" request that the browser asks about first, so the refusal holds.
- Never ``Access-Control-Allow-Credentials``: cookies are not sent cross-site.

A plain ASGI middleware (streaming downloads pass through untouched). It answers
preflights itself: an allowed one with 204, a refused one with 403 problem+json
naming what is not allowed, so a developer sees why in the browser's console.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACTION_PREFIXES = ("/api/3/action/", "/api/action/")
DATA_PREFIXES = ("/dataset/", "/datastore/dump/")
READ_HEADERS = frozenset({"content-type", "range"})
TOKEN_HEADERS = frozenset({"authorization", "x-ckan-api-key"})
EXPOSED = "Content-Disposition, Content-Range, Accept-Ranges, ETag"
MAX_AGE = "600"


class ApiCors:
    def __init__(
        self,
        app: ASGIApp,
        *,
        read_origins: frozenset[str] | None,
        write_origins: frozenset[str],
        is_read_action: Callable[[str], bool],
    ) -> None:
        """``read_origins`` None: every origin may read."""
        self.app = app
        self.read_origins = read_origins
        self.write_origins = write_origins
        self.is_read_action = is_read_action

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = _methods(scope["path"]) if scope["type"] == "http" else None
        if methods is None:
            await self.app(scope, receive, send)
            return
        origin = (_header(scope, b"origin") or "").lower()
        if not origin:
            # Caches must not hand this answer to a page of another site that needs CORS.
            await self.app(scope, receive, self._with_headers(send, None))
            return
        writes = self._writes(scope["path"])
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, origin, methods, writes)
            return
        trusted = origin in self.write_origins
        carries_token = any(_header(scope, h.encode()) for h in TOKEN_HEADERS)
        allowed = trusted or (not writes and not carries_token and self._may_read(origin))
        await self.app(scope, receive, self._with_headers(send, origin if allowed else None))

    def _writes(self, path: str) -> bool:
        for prefix in ACTION_PREFIXES:
            if path.startswith(prefix):
                return not self.is_read_action(path[len(prefix) :])
        return False

    def _may_read(self, origin: str) -> bool:
        return self.read_origins is None or origin in self.read_origins

    def _allow_origin(self, origin: str) -> str:
        # "*" where every site gets the same answer; the origin itself where it matters.
        if self.read_origins is None and origin not in self.write_origins:
            return "*"
        return origin

    def _with_headers(self, send: Send, origin: str | None) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"vary", b"Origin"))
                if origin is not None:
                    headers.append(
                        (b"access-control-allow-origin", self._allow_origin(origin).encode())
                    )
                    headers.append((b"access-control-expose-headers", EXPOSED.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_cors

    async def _preflight(
        self, scope: Scope, send: Send, origin: str, methods: tuple[str, ...], writes: bool
    ) -> None:
        trusted = origin in self.write_origins
        method = (_header(scope, b"access-control-request-method") or "").upper()
        asked = {
            h.strip().lower()
            for h in (_header(scope, b"access-control-request-headers") or "").split(",")
            if h.strip()
        }
        allowed_headers = READ_HEADERS | (TOKEN_HEADERS if trusted else frozenset())
        refusal = None
        if not trusted and (writes or not self._may_read(origin)):
            refusal = (
                f"{origin} may not call this from a browser: writes, and reads with a token, "
                "only from the sites in DELTA_CORS_WRITE_ORIGINS"
                if writes or self._may_read(origin)
                else f"{origin} is not in DELTA_CORS_ORIGINS"
            )
        elif method not in methods:
            refusal = f"{method or 'that method'} is not allowed here; use {', '.join(methods)}"
        elif not asked <= allowed_headers:
            refusal = (
                f"header {', '.join(sorted(asked - allowed_headers))} is not allowed from "
                f"{origin}; a user's token only from the sites in DELTA_CORS_WRITE_ORIGINS"
            )
        if refusal:
            await _answer(send, 403, _problem(refusal), [(b"vary", b"Origin")])
            return
        await _answer(
            send,
            204,
            b"",
            [
                (b"access-control-allow-origin", self._allow_origin(origin).encode()),
                (b"access-control-allow-methods", ", ".join(methods).encode()),
                (b"access-control-allow-headers", ", ".join(sorted(allowed_headers)).encode()),
                (b"access-control-max-age", MAX_AGE.encode()),
                (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            ],
        )


def _methods(path: str) -> tuple[str, ...] | None:
    """The methods other sites may use on ``path``; None where CORS does not apply."""
    if path.startswith(ACTION_PREFIXES):
        return ("GET", "POST")
    if path.startswith(DATA_PREFIXES) or path == "/api/openapi.json":
        return ("GET", "HEAD")
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _problem(detail: str) -> bytes:
    body = {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": detail}
    return json.dumps(body).encode()


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if body:
        headers = [*headers, (b"content-type", b"application/problem+json")]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
