"""The application factory: one FastAPI app per region node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from delta import __version__
from delta.api_docs import OPENAPI_URL, install_api_docs
from delta.assets import router as vendor_router
from delta.http import install_error_handlers, problem
from delta.logging import configure_logging
from delta.settings import Settings, load_settings
from interregion.federation.router import router as federation_router
from interregion.node import Node
from interregion.sso.router_idp import router as idp_router
from interregion.sso.router_sp import router as sp_router
from interregion.web.context import NodeWeb
from interregion.web.cookies import CookieJar
from interregion.web.middleware import BodyLimit, browser_protections
from interregion.web.pages import Pages
from interregion.window.router import router as window_router
from signing.errors import SigningError
from standards.regions import get

STATIC = Path(__file__).parent / "web" / "static"
# Forms carry at most one base64 SAML message; a little room on top of the XML limit.
FORM_OVERHEAD = 64 * 1024


def create_node_app(settings: Settings | None = None, region_code: str = "310000") -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    node = Node.open(settings, region_code)
    cookies = CookieJar(
        key=node.secrets.cookie_key,
        region_code=region_code,
        secure=node.member().base_url.startswith("https://"),
    )
    web = NodeWeb(node=node, cookies=cookies, pages=Pages(region_code=region_code, cookies=cookies))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        node.close()

    region = get(region_code)
    app = FastAPI(
        title=f"Delta interchange node {region_code} {region.name if region else ''}".strip(),
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    install_api_docs(app)
    app.state.web = web
    install_error_handlers(app)

    @app.exception_handler(SigningError)
    async def _federation_unavailable(_: Request, error: SigningError) -> Response:
        # Only reached when the registry itself is unusable (stale, never fetched).
        return problem(503, "Service Unavailable", f"federation: {error.reason}")

    app.middleware("http")(browser_protections(node, cookies))
    app.add_middleware(BodyLimit, max_bytes=settings.max_xml_bytes * 2 + FORM_OVERHEAD)
    app.include_router(federation_router)
    app.include_router(sp_router)
    app.include_router(idp_router)
    app.include_router(window_router)
    app.include_router(vendor_router)  # before the /static mount, which would shadow it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
