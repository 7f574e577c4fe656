"""Signed cookies, named per region.

All demo nodes share the host 127.0.0.1 and browsers scope cookies by host,
not port, so every cookie name carries the region code: otherwise node
310000's session cookie would be sent to (and overwritten by) node 320000.
Values are a random token plus an HMAC, so a forged or truncated cookie is
rejected before any database lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

MAX_COOKIE_CHARS = 200


class CookieJar:
    def __init__(self, *, key: bytes, region_code: str, secure: bool) -> None:
        self._key = key
        self._region = region_code
        self._secure = secure

    def name(self, purpose: str) -> str:
        return f"delta_{purpose}_{self._region}"

    def _mac(self, value: str) -> str:
        digest = hmac.new(self._key, f"cookie:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def read(self, request: Request, purpose: str) -> str | None:
        """The token inside the cookie, if the cookie is ours and intact."""
        raw = request.cookies.get(self.name(purpose))
        if not raw or len(raw) > MAX_COOKIE_CHARS or "." not in raw:
            return None
        value, mac = raw.rsplit(".", 1)
        return value if same_text(mac, self._mac(value)) else None

    def write(
        self,
        response: Response,
        purpose: str,
        value: str,
        *,
        max_age: int | None = None,
        cross_site: bool = False,
    ) -> None:
        """``cross_site``: the cookie must come back on the SAML POST from another node.

        Nodes on one site (the demo, all on 127.0.0.1) manage with SameSite=Lax;
        nodes on different sites need SameSite=None, which browsers accept only
        with Secure, i.e. over https.
        """
        samesite: Literal["lax", "none"] = "none" if cross_site and self._secure else "lax"
        response.set_cookie(
            self.name(purpose),
            f"{value}.{self._mac(value)}",
            max_age=max_age,
            path="/",
            httponly=True,
            samesite=samesite,
            secure=self._secure,
        )

    def clear(self, response: Response, purpose: str) -> None:
        response.delete_cookie(
            self.name(purpose), path="/", httponly=True, samesite="lax", secure=self._secure
        )

    def derived(self, purpose: str, value: str) -> str:
        """A value bound to a cookie's token (the CSRF form token, say)."""
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def same_text(given: str, expected: str) -> bool:
    """Constant-time equality for text from the browser.

    ``hmac.compare_digest`` raises TypeError for ``str`` arguments holding
    anything but ASCII, and cookies and form fields hold whatever a client
    sends: compare the UTF-8 bytes instead (never an exception, never a 500).
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
