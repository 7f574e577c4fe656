"""The browser's cookies: session, CSRF seed, language -- and the CSRF check.

Cookies are HttpOnly, SameSite=Lax, Secure whenever the site is served over
https, and signed (random token + HMAC) so a forged or truncated one is
refused before any database lookup. A form carries ``HMAC(key, seed)`` of the
browser's CSRF seed cookie: a cross-site page can make the browser send the
cookie but cannot read it, so it cannot make the token. A present ``Origin``
header must be ours too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

SESSION = "delta_portal_session"
CSRF = "delta_portal_csrf"
LANG = "delta_lang"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
_MAX = 200


class Cookies:
    def __init__(self, *, key: bytes, site_url: str) -> None:
        self._key = key
        self.secure = site_url.lower().startswith("https://")
        parts = urlsplit(site_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def read(self, request: Request, name: str) -> str | None:
        raw = request.cookies.get(name)
        if not raw or len(raw) > _MAX or "." not in raw:
            return None
        value, mac = raw.rsplit(".", 1)
        return value if hmac.compare_digest(mac, self._mac(name, value)) else None

    def write(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        response.set_cookie(
            name,
            f"{value}.{self._mac(name, value)}",
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=self.secure)

    # -- CSRF ------------------------------------------------------------------------

    def csrf_seed(self, request: Request) -> tuple[str, bool]:
        """The browser's seed, and whether it is new (the response must then set it)."""
        seed = self.read(request, CSRF)
        return (seed, False) if seed else (secrets.token_urlsafe(24), True)

    def csrf_token(self, seed: str) -> str:
        return self._mac("csrf-form", seed)

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        seed = self.read(request, CSRF)
        if not seed or not token or len(token) > _MAX:
            return False
        origin = request.headers.get("origin")
        own = {self.origin, f"{request.url.scheme}://{request.headers.get('host', '')}"}
        if origin and origin not in own:
            return False
        return hmac.compare_digest(token, self.csrf_token(seed))
