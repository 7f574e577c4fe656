"""``GET /healthz``: the portal process answers and reaches its database.

The same path as the region nodes' health check, so one container HEALTHCHECK
serves both. Search is reported but does not fail the check: package_show and
downloads still work while Elasticsearch recovers, and a balancer that dropped
every portal for it would turn a degraded search into an outage.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from delta.http import problem
from open_portal.runtime import Portal

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    try:
        search = await run_in_threadpool(_check, portal)
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        return problem(503, "Service Unavailable", "database unreachable")
    return JSONResponse({"status": "ok", "search": search})


def _check(portal: Portal) -> dict[str, object]:
    with portal.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    health = portal.search.health()
    return {"backend": health.backend, "ok": health.ok}
