"""The portal's application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from delta import __version__, observability
from delta.api_docs import OPENAPI_URL, install_api_docs
from delta.assets import router as vendor_router
from delta.health import NotReady
from delta.http import install_error_handlers
from delta.logging import configure_logging
from delta.settings import Settings, load_settings
from open_portal import headers as security_headers
from open_portal.ckan import openapi as ckan_openapi
from open_portal.ckan.dispatcher import router as ckan_router
from open_portal.ckan.registry import is_read_action
from open_portal.cors import ApiCors
from open_portal.datapackage import router as datapackage_router
from open_portal.datastore_dump import router as dump_router
from open_portal.dcat.negotiation import RdfNegotiation
from open_portal.dcat.router import router as dcat_router
from open_portal.downloads import router as downloads_router
from open_portal.harvest.runtime import start_harvest_scheduler
from open_portal.runtime import Portal
from open_portal.web import site as web_site

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level, json_lines=settings.json_logs)
    portal = Portal.open(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        temporary, orphans = portal.sweep_storage()
        if temporary or orphans:
            log.info(
                "storage sweep: %d temporary and %d orphaned files removed", temporary, orphans
            )
        if settings.ingest_worker:
            portal.ingest.start()
        harvest_scheduler = start_harvest_scheduler(portal) if settings.harvest_scheduler else None
        yield
        if harvest_scheduler is not None:
            harvest_scheduler.stop()
        portal.close()

    app = FastAPI(
        title="Delta Open Data Portal",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    install_api_docs(app)
    app.state.portal = portal
    install_error_handlers(app)
    # First: its route capture must be the innermost middleware (delta/observability.py).
    observability.install(
        app,
        settings,
        identity=lambda: {"service": "portal", "version": __version__},
        checks={
            "database": lambda: _database_answers(portal),
            "search": lambda: _search_answers(portal),
        },
    )
    app.add_middleware(
        ApiCors,
        read_origins=settings.cors_read_origin_set,
        write_origins=settings.cors_write_origin_set,
        is_read_action=is_read_action,
    )
    app.include_router(ckan_router)
    app.include_router(downloads_router)
    app.include_router(dump_router)
    app.include_router(datapackage_router)
    # Before the pages: /dataset/{name}.ttl must not be taken for a page's name.
    app.include_router(dcat_router)
    app.add_middleware(RdfNegotiation)
    web_site.install(app, portal)
    app.include_router(vendor_router)
    ckan_openapi.install(app)
    security_headers.install(app)
    return app


def _database_answers(portal: Portal) -> None:
    with portal.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _search_answers(portal: Portal) -> None:
    health = portal.search.health()
    if not health.ok:
        raise NotReady(f"{health.backend}: {health.detail}")
