"""Puts the web pages into the portal's app: routers, static files, error pages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from starlette.responses import FileResponse, Response

from delta.http import problem
from open_portal import uploads
from open_portal.runtime import Portal
from open_portal.web import accounts, applications, catalog, preview, publish
from open_portal.web.actions import PageError
from open_portal.web.labels import N_
from open_portal.web.locale import EnglishPrefix
from open_portal.web.render import ONE_YEAR, STATIC, STATIC_PREFIX, visit_of
from open_portal.web.state import WebState

log = logging.getLogger(__name__)

TITLES = {
    400: N_("This request could not be handled"),
    403: N_("You may not see this page"),
    404: N_("Page not found"),
}
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}


def install(app: FastAPI, portal: Portal) -> None:
    app.state.web = WebState.create(portal.settings)
    app.add_middleware(EnglishPrefix)
    # publish first: /dataset/new must not be taken for a dataset named "new".
    routers = (publish.router, catalog.router, preview.router, accounts.router,
               applications.router, uploads.router)  # fmt: skip
    for router in routers:
        app.include_router(router)

    @app.get(STATIC_PREFIX + "/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        path = STATIC / name
        suffix = path.suffix
        if "/" in name or suffix not in STATIC_TYPES or not path.is_file():
            return problem(404, "Not Found", f"no static file {name!r}")
        return FileResponse(
            path,
            media_type=STATIC_TYPES[suffix],
            headers={"Cache-Control": f"public, max-age={ONE_YEAR}, immutable"},
        )

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        visit = visit_of(request)
        login_url = None
        if exc.status == 403 and visit.web.cookies.read(request, "delta_portal_session") is None:
            login_url = visit.url("/user/login", next=request.url.path)
        return visit.render(
            "error.html",
            {
                "title": visit.gettext(TITLES.get(exc.status, TITLES[400])),
                "message": exc.message,
                "login_url": login_url,
            },
            status=exc.status,
        )
