"""CSRF protection for our own forms: a per-browser seed cookie and a token derived from it.

The seed cookie is set on the first response to a browser; each form carries
``HMAC(key, seed)``. A cross-site page can make the browser send the cookie
but cannot read it, so it cannot produce the token. A present ``Origin``
header must also be ours. The SAML endpoints that receive cross-site POSTs
by design (SSO and ACS) are protected by their signatures instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from interregion.tokens import new_token
from interregion.web.cookies import CookieJar, same_text

SEED = "csrf"


def seed_of(request: Request, cookies: CookieJar) -> tuple[str, bool]:
    """The browser's CSRF seed, and whether it is new (so the response must set it)."""
    seed = cookies.read(request, SEED)
    return (seed, False) if seed else (new_token(), True)


def form_token(cookies: CookieJar, seed: str) -> str:
    return cookies.derived(SEED, seed)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csrf_ok(request: Request, cookies: CookieJar, *, token: str, own_url: str) -> bool:
    seed = cookies.read(request, SEED)
    if not seed or not token:
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin != _origin(own_url):
        return False
    return same_text(token, form_token(cookies, seed))
