"""HTTP pieces every product shares: problem+json errors (RFC 9457) and their handlers.

The CKAN Action API answers in CKAN's own envelope; everything else answers
errors as problem+json, never with a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from delta.errors import BadRequest, DomainError, NotAuthorized, NotFound, ValidationFailed

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
_STATUSES = {status.value for status in HTTPStatus}


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def problem_from(exc: DomainError) -> Response:
    if isinstance(exc, NotFound):
        return problem(404, "Not Found", exc.message)
    if isinstance(exc, NotAuthorized):
        return problem(403, "Forbidden", exc.message)
    if isinstance(exc, ValidationFailed):
        return problem(422, "Invalid input", errors=exc.errors)
    if isinstance(exc, BadRequest):
        return problem(exc.status, "Bad Request", exc.message)
    return problem(400, "Bad Request", str(exc))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> Response:
        return problem_from(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(422, "Invalid input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        title = HTTPStatus(exc.status_code).phrase if exc.status_code in _STATUSES else "Error"
        response = problem(exc.status_code, title, str(exc.detail))
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal Server Error")
