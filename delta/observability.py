"""One middleware for the portal and the nodes: request IDs, request metrics, access log.

It sits outside everything else in the app (even the handler that turns an
unexpected error into a 500), so every answer carries ``X-Request-ID`` and is
counted, and every log line written while handling a request names it.
:func:`install` also mounts ``/healthz``, ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from delta import metrics, request_id
from delta.health import Check, health_router
from delta.settings import Settings

access_log = logging.getLogger("delta.access")

# Shared with every copy of the scope that middleware makes (/en/... pages copy it):
# the route and action found deep inside are written here for the outer middleware.
LABELS_KEY = "delta.labels"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HEADER = request_id.HEADER.lower().encode("latin-1")


def label_action(request: Request, name: str) -> None:
    """Called by the CKAN dispatcher for a known action: its calls get their own metrics."""
    labels = request.scope.get(LABELS_KEY)
    if labels is not None:
        labels["action"] = name


def route_label(route: Any) -> str:
    """The matched route's template (``/dataset/{package_id}``), never the raw path."""
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    if not hasattr(route, "endpoint"):  # a Mount: the rest of the path is the mounted app's
        return f"{path}/{{path}}"
    return path


class Observability:
    def __init__(self, app: ASGIApp, *, trust_request_id: bool, log_access: bool) -> None:
        self.app = app
        self.trust_request_id = trust_request_id
        self.log_access = log_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id.from_headers(scope["headers"], trust=self.trust_request_id)
        token = request_id.bind(rid)
        labels: dict[str, Any] = {}
        scope[LABELS_KEY] = labels
        status = 500  # what the server answers if the app fails before starting a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER]
                headers.append((_HEADER, rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        metrics.HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.HTTP_IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_label(labels.get("route"))
            metrics.observe_request(method, route, status, elapsed)
            action = labels.get("action")
            if action:
                metrics.observe_action(action, status, elapsed)
            if self.log_access:
                access_log.info(
                    "%s %s %d %.1f ms",
                    method,
                    scope["path"],
                    status,
                    elapsed * 1000,
                    extra={
                        "http": {
                            "method": method,
                            "route": route,
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 2),
                        }
                    },
                )
            request_id.reset(token)


class RouteCapture:
    """Innermost middleware: hands the route the router matched to the outer middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            labels = scope.get(LABELS_KEY)
            if labels is not None:
                labels["route"] = scope.get("route")


def install(
    app: FastAPI,
    settings: Settings,
    *,
    identity: Callable[[], Mapping[str, Any]],
    checks: Mapping[str, Check],
) -> None:
    """Health, readiness and metrics routes, and the middleware around the whole app.

    Call it before adding any other middleware, so the route capture is innermost.
    """
    metrics.check_mode()
    app.add_middleware(RouteCapture)
    app.include_router(
        health_router(
            identity=identity, checks=checks, timeout_seconds=settings.readiness_timeout_seconds
        )
    )

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    # Outside Starlette's error middleware: a 500 carries the request ID too.
    build = app.build_middleware_stack

    def build_with_observability() -> ASGIApp:
        return Observability(
            build(), trust_request_id=settings.trust_request_id, log_access=settings.access_log
        )

    app.build_middleware_stack = build_with_observability  # type: ignore[method-assign]
