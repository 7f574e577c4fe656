"""Swagger UI and ReDoc for an app's OpenAPI document, served whole from our origin.

FastAPI's own pages load their scripts from a CDN (a blank page offline, and a
third party sees every visit) and start Swagger UI with an inline script. These
pages take the npm packages' files through :mod:`delta.assets` and start Swagger
UI from a small script of ours, so nothing but our origin is ever asked for and a
``script-src 'self'`` policy holds. The portal and the region nodes both use them.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from delta.assets import vendor_url

OPENAPI_URL = "/api/openapi.json"
SWAGGER_URL = "/api/docs"
REDOC_URL = "/api/redoc"
_INIT_SCRIPT = Path(__file__).with_name("api_docs.js")
_INIT_URL = f"{SWAGGER_URL}/start.js"
# Both viewers style with inline styles and ReDoc searches in a blob: worker; nothing
# may come from elsewhere (ReDoc's bundle would fetch its maker's logo from a CDN).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/api/docs`` (Swagger UI) and ``/api/redoc`` for ``app``'s OpenAPI document;
    ``/docs`` and ``/redoc``, where people try first, lead there. Create ``app`` with
    ``docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL``."""
    router = APIRouter(include_in_schema=False)
    title = escape(app.title)

    @router.get(SWAGGER_URL)
    def swagger_ui() -> Response:
        return _page(
            f"{title} - API",
            f'<link rel="stylesheet" href="{vendor_url("swagger-ui.css")}">',
            f'<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>\n'
            f'<script src="{vendor_url("swagger-ui-bundle.js")}"></script>\n'
            f'<script src="{_INIT_URL}"></script>',
        )

    @router.get(_INIT_URL)
    def swagger_ui_start() -> Response:
        return FileResponse(_INIT_SCRIPT, media_type="text/javascript")

    @router.get(REDOC_URL)
    def redoc() -> Response:
        return _page(
            f"{title} - API reference",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<redoc spec-url="{OPENAPI_URL}"></redoc>\n'
            f'<script src="{vendor_url("redoc.standalone.js")}"></script>',
        )

    @router.get("/docs")
    def docs() -> Response:
        return RedirectResponse(SWAGGER_URL)

    @router.get("/redoc")
    def redoc_elsewhere() -> Response:
        return RedirectResponse(REDOC_URL)

    app.include_router(router)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="{vendor_url("favicon-32x32.png")}">
{head}
</head>
<body>
{body}
</body>
</html>
""",
        headers={"Content-Security-Policy": POLICY},
    )
