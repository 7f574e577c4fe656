"""Rendering a page for one visit: language, links, CSRF token, cookies, headers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from delta.assets import vendor_url
from open_portal.web import i18n, locale
from open_portal.web.cookies import CSRF, LANG
from open_portal.web.state import WebState, web_state

STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/web"
ONE_YEAR = 365 * 24 * 3600


@cache
def static_url(name: str) -> str:
    """Our own static file, with its content hash so browsers may keep it for a year."""
    digest = sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC_PREFIX}/{name}?v={digest}"


@dataclass
class Visit:
    request: Request
    web: WebState
    locale: str
    prefix: str
    csrf_seed: str
    new_seed: bool

    @property
    def lang(self) -> str:
        return i18n.TAGS[self.locale]

    def gettext(self, message: str) -> str:
        return i18n.gettext(self.locale, message)

    def url(self, path: str, **params: Any) -> str:
        """A link on this site, in the visit's URL language (``/en/...`` stays English)."""
        query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")], doseq=True)
        return f"{self.prefix}{path}" + (f"?{query}" if query else "")

    @property
    def csrf_token(self) -> str:
        return self.web.cookies.csrf_token(self.csrf_seed)

    def switch_url(self, target: str) -> str:
        """This page in the other language (``?lang=`` remembers the choice)."""
        request = self.request
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        params.append(("lang", i18n.TAGS[target]))
        return f"{request.url.path}?{urlencode(params)}"

    def alternate_urls(self) -> dict[str, str]:
        """hreflang links: the Chinese and the English URL of this page."""
        request = self.request
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        query = urlencode(params)
        path = request.url.path
        return {
            "zh-CN": f"{path}?{urlencode([*params, ('lang', 'zh-CN')])}",
            "en": f"{locale.EN_PREFIX}{path}" + (f"?{query}" if query else ""),
        }

    def render(
        self,
        template: str,
        context: dict[str, Any],
        *,
        user: Any = None,
        status: int = 200,
    ) -> Response:
        page = self.web.template(self.locale, template).render(
            visit=self,
            user=user,
            url=self.url,
            static_url=static_url,
            vendor_url=vendor_url,
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        self.finish(response)
        return response

    def finish(self, response: Response) -> None:
        """Cookies and headers every page response carries."""
        if self.new_seed:
            self.web.cookies.write(response, CSRF, self.csrf_seed, max_age=None)
        picked = locale.chosen(self.request)
        if picked:
            response.set_cookie(
                LANG, i18n.TAGS[picked], max_age=ONE_YEAR, path="/", samesite="lax",
                secure=self.web.cookies.secure,
            )  # fmt: skip
        response.headers["Vary"] = "Accept-Language, Cookie"
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.headers["Content-Language"] = self.lang


def visit_of(request: Request) -> Visit:
    cached = getattr(request.state, "visit", None)
    if isinstance(cached, Visit):
        return cached
    web = web_state(request)
    seed, new = web.cookies.csrf_seed(request)
    visit = Visit(
        request=request,
        web=web,
        locale=locale.locale_of(request, locale.remembered_language(request)),
        prefix=locale.prefix_of(request),
        csrf_seed=seed,
        new_seed=new,
    )
    request.state.visit = visit
    return visit
