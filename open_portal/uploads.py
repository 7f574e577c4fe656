"""Resumable uploads over HTTP: the tus 1.0.0 protocol (core, creation, termination).

``POST /api/uploads`` starts one (``Upload-Length``; ``Upload-Metadata`` with
``filename`` and ``package_id``), ``HEAD /api/uploads/{id}`` says how many
bytes arrived, ``PATCH`` appends from there, ``DELETE`` abandons it. A broken
connection keeps what arrived; the client asks ``HEAD`` and continues. The
finished upload becomes a resource through the web page or ``resource_create``
with ``upload_id``. Callers authenticate with an API token or, from our pages,
with the browser session plus the page's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from datasets.resumable import Busy, OffsetMismatch, ResumableStore
from delta.errors import DomainError, NotAuthorized, ValidationFailed
from delta.http import problem, problem_from
from open_portal.downloads import Credentials, caller, request_token
from open_portal.runtime import Portal
from open_portal.web.cookies import CSRF_HEADER

router = APIRouter(include_in_schema=False)

TUS_VERSION = "1.0.0"
PREFIX = "/api/uploads"
BUFFER = 1024 * 1024


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def store_of(portal: Portal) -> ResumableStore:
    return ResumableStore(portal.storage)


def _metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    out: dict[str, str] = {}
    for pair in header.split(",")[:20]:
        key, _, value = pair.strip().partition(" ")
        if not key:
            continue
        try:
            out[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise ValidationFailed.on("Upload-Metadata", f"{key[:50]}: not base64 UTF-8") from None
    return out


def _check_csrf(request: Request, credentials: Credentials) -> None:
    if credentials.api_token:
        return
    web = request.app.state.web
    if not web.cookies.csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise NotAuthorized("Missing or wrong X-CSRF-Token for a browser upload")


def _failed(exc: DomainError) -> Response:
    if isinstance(exc, OffsetMismatch):
        response = problem(409, "Conflict", f"The upload continues at byte {exc.expected}")
        response.headers.update(_headers(**{"Upload-Offset": str(exc.expected)}))
        return response
    if isinstance(exc, Busy):
        return problem(423, "Locked", "Another request is writing this upload")
    response = problem_from(exc)
    response.headers["Tus-Resumable"] = TUS_VERSION
    return response


@router.options(PREFIX)
@router.options(PREFIX + "/{upload_id}")
async def capabilities(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    return Response(
        status_code=204,
        headers=_headers(
            **{"Tus-Version": TUS_VERSION, "Tus-Extension": "creation,termination",
               "Tus-Max-Size": str(portal.settings.max_upload_bytes)}
        ),
    )  # fmt: skip


@router.post(PREFIX)
async def create(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    credentials = request_token(request)
    try:
        _check_csrf(request, credentials)
        length = int(request.headers.get("upload-length", ""))
        meta = _metadata(request.headers.get("upload-metadata", ""))
        row_id = await run_in_threadpool(_create, portal, credentials, meta, length)
    except ValueError:
        return problem(400, "Bad Request", "Upload-Length must be a whole number of bytes")
    except DomainError as exc:
        return _failed(exc)
    return Response(
        status_code=201, headers=_headers(Location=f"{PREFIX}/{row_id}", **{"Upload-Offset": "0"})
    )


def _create(portal: Portal, credentials: Credentials, meta: dict[str, str], length: int) -> str:
    settings = portal.settings
    with portal.unit_of_work() as unit:
        row = store_of(portal).start(
            unit.session,
            actor=caller(unit.session, credentials),
            package_ref=meta.get("package_id", ""),
            filename=meta.get("filename", "upload"),
            length=length,
            max_bytes=settings.max_upload_bytes,
            lifetime=timedelta(hours=settings.resumable_upload_hours),
        )
        return row.id


def _find(portal: Portal, credentials: Credentials, upload_id: str) -> Any:
    with portal.sessions() as session:
        row = store_of(portal).find(
            session, actor=caller(session, credentials), upload_id=upload_id
        )
        session.expunge(row)
        return row


@router.head(PREFIX + "/{upload_id}")
async def status(upload_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    try:
        row = await run_in_threadpool(_find, portal, request_token(request), upload_id)
        offset = store_of(portal).offset(row.id)
    except DomainError as exc:
        return Response(status_code=problem_from(exc).status_code, headers=_headers())
    return Response(
        status_code=200,
        headers=_headers(**{"Upload-Offset": str(offset), "Upload-Length": str(row.length)}),
    )


@router.patch(PREFIX + "/{upload_id}")
async def append(upload_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    credentials = request_token(request)
    if request.headers.get("content-type") != "application/offset+octet-stream":
        return problem(415, "Unsupported Media Type", "Send application/offset+octet-stream")
    try:
        _check_csrf(request, credentials)
        offset = int(request.headers.get("upload-offset", ""))
        row = await run_in_threadpool(_find, portal, credentials, upload_id)
        with store_of(portal).appending(row, offset) as appender:
            buffer = bytearray()
            try:
                async for chunk in request.stream():
                    buffer += chunk
                    if len(buffer) >= BUFFER:
                        await run_in_threadpool(appender.write, bytes(buffer))
                        buffer.clear()
            except ClientDisconnect:
                pass  # keep what arrived: the client continues from HEAD's offset
            if buffer:
                await run_in_threadpool(appender.write, bytes(buffer))
            reached = appender.offset
    except ValueError:
        return problem(400, "Bad Request", "Upload-Offset must be a whole number of bytes")
    except DomainError as exc:
        return _failed(exc)
    return Response(status_code=204, headers=_headers(**{"Upload-Offset": str(reached)}))


@router.delete(PREFIX + "/{upload_id}")
async def terminate(upload_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    credentials = request_token(request)
    try:
        _check_csrf(request, credentials)
        await run_in_threadpool(_terminate, portal, credentials, upload_id)
    except DomainError as exc:
        return _failed(exc)
    return Response(status_code=204, headers=_headers())


def _terminate(portal: Portal, credentials: Credentials, upload_id: str) -> None:
    with portal.unit_of_work() as unit:
        store = store_of(portal)
        row = store.find(unit.session, actor=caller(unit.session, credentials), upload_id=upload_id)
        store.forget(unit.session, row)
