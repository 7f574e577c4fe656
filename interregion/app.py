"""The application factory: one FastAPI app per region node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from delta import __version__, metrics, observability
from delta.api_docs import OPENAPI_URL, install_api_docs
from delta.assets import router as vendor_router
from delta.http import install_error_handlers, problem
from delta.logging import configure_logging
from delta.settings import Settings, load_settings
from interregion.audit.flood import RefusalGuard
from interregion.cases import outbox
from interregion.cases.setup import case_desk, install_cases
from interregion.clock import utcnow
from interregion.federation.router import router as federation_router
from interregion.licences.api import router as licence_api_router
from interregion.licences.desk import router as licence_desk_router
from interregion.licences.holder import router as licence_holder_router
from interregion.licences.router import router as licence_router
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
    configure_logging(settings.log_level, json_lines=settings.json_logs)
    node = Node.open(settings, region_code)
    cookies = CookieJar(
        key=node.secrets.cookie_key,
        region_code=region_code,
        secure=node.member().base_url.startswith("https://"),
    )
    web = NodeWeb(node=node, cookies=cookies, pages=Pages(region_code=region_code, cookies=cookies))
    cases = case_desk(node)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        cases.worker.start()  # window cases: the outbox is emptied while the app runs
        yield
        cases.worker.stop()
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
    observability.install(
        app,
        settings,
        identity=lambda: _identity(node),
        checks={"database": lambda: _database_answers(node), "registry": node.federation},
    )
    metrics.sampled_gauge(
        "delta_case_outbox_messages",
        "Window-case messages not yet delivered to a peer; stuck: older than "
        "DELTA_CASE_STUCK_AFTER_SECONDS.",
        lambda: _outbox_depth(node),
        labelnames=("state",),
    )

    @app.exception_handler(SigningError)
    async def _federation_unavailable(_: Request, error: SigningError) -> Response:
        # Only reached when the registry itself is unusable (stale, never fetched).
        return problem(503, "Service Unavailable", f"federation: {error.reason}")

    app.middleware("http")(browser_protections(node, cookies))
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_xml_bytes * 2 + FORM_OVERHEAD,
        # Window cases take scanned materials: one per upload, more per exchange batch.
        larger={
            "/cases/exchange/": settings.case_max_material_bytes * 2 + FORM_OVERHEAD,
            "/cases/": settings.case_max_material_bytes + FORM_OVERHEAD,
        },
    )
    # Outermost: a client over its refusal limit is answered before any other work.
    app.add_middleware(
        RefusalGuard,
        limiter=node.refusal_limiter,
        folding=node.audit.folding,
        secret=node.secrets.cookie_key,
    )
    app.include_router(federation_router)
    app.include_router(sp_router)
    app.include_router(idp_router)
    app.include_router(window_router)
    app.include_router(licence_router)
    app.include_router(licence_api_router)
    app.include_router(licence_holder_router)
    app.include_router(licence_desk_router)
    install_cases(app, cases)
    app.include_router(vendor_router)  # before the /static mount, which would shadow it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _identity(node: Node) -> dict[str, object]:
    """What /healthz has always said about a node (the registry serial: None when stale)."""
    try:
        serial: int | None = node.federation().serial
    except SigningError:
        serial = None
    return {"service": "node", "region": node.region_code, "registry_serial": serial}


def _database_answers(node: Node) -> None:
    with node.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _outbox_depth(node: Node) -> dict[tuple[str, ...], float]:
    """Read at every scrape from the node's database (any worker may answer it)."""
    stuck_after = timedelta(seconds=node.settings.case_stuck_after_seconds)
    with node.sessions() as session:
        found = outbox.counts(session, now=utcnow(), stuck_after=stuck_after)
    return {("undelivered",): found["undelivered"], ("stuck",): found["stuck"]}
