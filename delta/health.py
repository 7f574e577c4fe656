"""``/healthz`` (the process answers) and ``/readyz`` (what it depends on answers too).

A load balancer or orchestrator restarts a process whose ``/healthz`` fails
and stops sending traffic to one whose ``/readyz`` fails; so ``/healthz``
never looks beyond the process, and ``/readyz`` runs each named check with a
time limit. A failed check is named in the answer with the kind of error
only; the full message goes to the log (messages can carry host names).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from delta.http import problem

log = logging.getLogger(__name__)

# A check returns normally when its dependency answers and raises when it does not.
Check = Callable[[], object]


class NotReady(Exception):
    """A check's own verdict (e.g. the search cluster answers but is red)."""


def health_router(
    *,
    identity: Callable[[], Mapping[str, Any]],
    checks: Mapping[str, Check],
    timeout_seconds: float,
) -> APIRouter:
    router = APIRouter()
    probes = {name: _Probe(name, check) for name, check in checks.items()}

    @router.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    def healthz() -> Response:
        return JSONResponse({"status": "ok", **identity()}, headers={"Cache-Control": "no-store"})

    @router.api_route("/readyz", methods=["GET", "HEAD"], include_in_schema=False)
    async def readyz() -> Response:
        results = await asyncio.gather(*(probe.run(timeout_seconds) for probe in probes.values()))
        outcome = dict(zip(probes, results, strict=True))
        if all(result == "ok" for result in outcome.values()):
            return JSONResponse(
                {"status": "ready", "checks": outcome}, headers={"Cache-Control": "no-store"}
            )
        failed = ", ".join(name for name, result in outcome.items() if result != "ok")
        response = problem(503, "Service Unavailable", f"not ready: {failed}", checks=outcome)
        response.headers["Cache-Control"] = "no-store"
        return response

    return router


class _Probe:
    """One check; a run still going (a hung dependency) is awaited again, never doubled,
    so frequent probes cannot pile up blocked threads in the server's thread pool."""

    def __init__(self, name: str, check: Check) -> None:
        self.name, self.check = name, check
        self.task: asyncio.Future[object] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def run(self, timeout_seconds: float) -> str:
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.loop is not loop:
            self.task = asyncio.ensure_future(run_in_threadpool(self.check))
            self.task.add_done_callback(_retrieve)
            self.loop = loop
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout_seconds)
        except TimeoutError:
            log.warning("readiness check %s: no answer within %.1f s", self.name, timeout_seconds)
            return "timeout"
        except NotReady as exc:
            log.warning("readiness check %s: %s", self.name, exc)
            return "not ready"
        except Exception as exc:
            log.warning("readiness check %s failed: %s: %s", self.name, type(exc).__name__, exc)
            return f"error: {type(exc).__name__}"
        return "ok"


def _retrieve(task: asyncio.Future[object]) -> None:
    if not task.cancelled():
        task.exception()  # seen: no "exception was never retrieved" at shutdown
