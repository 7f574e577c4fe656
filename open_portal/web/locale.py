"""Which language a request gets, and the ``/en/...`` URLs.

Order: the ``/en`` path prefix (shareable English URLs), then ``?lang=``
(the language switch, remembered in a cookie), then that cookie, then
``Accept-Language``, then zh-CN.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from open_portal.web import i18n
from open_portal.web.cookies import LANG

EN_PREFIX = "/en"


class EnglishPrefix:
    """``/en/dataset`` is ``/dataset`` in English: strip the prefix, remember it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == EN_PREFIX or path.startswith(EN_PREFIX + "/"):
                scope = dict(scope)
                scope["path"] = path[len(EN_PREFIX) :] or "/"
                scope["raw_path"] = scope["path"].encode("utf-8")
                scope.setdefault("state", {})
                scope["state"] = {**scope["state"], "locale_prefix": EN_PREFIX}
        await self.app(scope, receive, send)


def prefix_of(request: Request) -> str:
    return str(getattr(request.state, "locale_prefix", ""))


def chosen(request: Request) -> str | None:
    """A language the visitor picked with the switch just now (to remember)."""
    return i18n.parse_tag(request.query_params.get("lang"))


def locale_of(request: Request, remembered: str | None) -> str:
    if prefix_of(request) == EN_PREFIX:
        return "en"
    return (
        chosen(request)
        or i18n.parse_tag(remembered)
        or i18n.from_accept_language(request.headers.get("accept-language"))
        or i18n.DEFAULT
    )


def remembered_language(request: Request) -> str | None:
    value = request.cookies.get(LANG)
    return value if value in i18n.TAGS.values() else None
