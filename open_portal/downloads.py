"""Resource downloads and validation reports (the open classes decide who may have them).

``/dataset/{id}/resource/{rid}/download/{filename}`` streams an uploaded file
in constant memory, or redirects to a link resource's URL. HTTP semantics
(RFC 9110): a strong ETag (the file's sha256), Last-Modified, conditional
requests (If-None-Match / If-Modified-Since -> 304, If-Match /
If-Unmodified-Since -> 412), single byte ranges (206, 416; If-Range), a
representation digest (RFC 9530 ``Repr-Digest`` and the older ``Digest``),
and Content-Disposition with the UTF-8 file name (RFC 6266 / 8187) next to
an ASCII fallback. Multiple ranges in one request are answered with the
whole file, which RFC 9110 allows.

A download is counted for a full GET, or a range request starting at byte 0:
resuming (``curl -C -``) or fetching the rest of a file in pieces adds nothing.

Behind nginx (``DELTA_ACCEL_REDIRECT`` names nginx's internal location for the
storage objects) the portal still decides who may have the file and what the
answer is (304, 412, 416, 200 or 206, and whether it counts), but nginx sends
the bytes: the portal answers ``X-Accel-Redirect`` and nginx serves the file
from disk with sendfile. The validators are then nginx's own (ETag
``"<mtime hex>-<size hex>"``, Last-Modified the file's time), computed here
the same way, so both agree on every conditional and range request.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import IO, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from datasets import policy
from datasets import resources as resource_service
from datasets.models import Package, Resource, ResourceValidation
from datasets.policy import Principal
from datasets.storage import LocalStorage
from datasets.unit import CatalogUnit
from delta.errors import NotFound
from open_portal.accounts import browser
from open_portal.accounts import service as accounts
from open_portal.accounts.models import User
from open_portal.accounts.tokens import from_header
from open_portal.runtime import Portal
from open_portal.web.cookies import SESSION

router = APIRouter()

CHUNK = 1024 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
# What the portal tells nginx along with X-Accel-Redirect (docker/nginx.conf.template).
_ACCEL_HEADERS = frozenset(
    {"Content-Type", "Content-Disposition", "Cache-Control", "Vary", "Repr-Digest", "Digest"}
)
# Uploaded files are never rendered as pages of this site, whatever they contain.
_HARDENING = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@dataclass(frozen=True)
class Credentials:
    """Who a request says it is: an API token, or a browser's login session (the
    token inside the portal's signed session cookie)."""

    api_token: str | None = None
    web_session: str | None = None


def request_token(request: Request) -> Credentials:
    token = from_header(request.headers.get("authorization")) or from_header(
        request.headers.get("x-ckan-api-key")
    )
    if token:
        return Credentials(api_token=token)
    web = getattr(request.app.state, "web", None)
    return Credentials(web_session=web.cookies.read(request, SESSION) if web else None)


def caller(session: Any, credentials: Credentials) -> Principal:
    user: User | None
    if credentials.api_token:
        user = accounts.user_for_token(session, credentials.api_token)
    else:
        user = browser.user_for_session(session, credentials.web_session)
    return accounts.principal_for(session, user)


DOWNLOAD_PATH = "/dataset/{package_id}/resource/{resource_id}/download/{filename:path}"


# HEAD answers as GET does; listed once in the OpenAPI document (one operation id each).
@router.head(DOWNLOAD_PATH, include_in_schema=False)
@router.get(DOWNLOAD_PATH)
async def download(package_id: str, resource_id: str, filename: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    plan = await run_in_threadpool(
        _plan, portal, package_id, resource_id, request_token(request), request
    )
    return plan.response(head=request.method == "HEAD")


@router.get("/dataset/{package_id}/resource/{resource_id}/validation.json")
async def validation_report(package_id: str, resource_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    body = await run_in_threadpool(
        _validation, portal, package_id, resource_id, request_token(request)
    )
    headers = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
    return JSONResponse(body, headers=headers)


@dataclass
class _Plan:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    file: IO[bytes] | None = None
    start: int = 0
    length: int = 0
    redirect: str | None = None
    accel: str | None = None  # nginx's internal URI of the file: nginx sends it

    def response(self, *, head: bool) -> Response:
        if self.redirect is not None:
            return RedirectResponse(self.redirect, status_code=302, headers=self.headers)
        if self.accel is not None:
            # nginx keeps Content-Type, Content-Disposition and Cache-Control from this
            # answer; its internal location adds Vary and the digests back from it.
            handed = {k: v for k, v in self.headers.items() if k in _ACCEL_HEADERS}
            return Response(status_code=200, headers={**handed, "X-Accel-Redirect": self.accel})
        if head or self.file is None or self.status not in (200, 206):
            if self.file is not None:
                self.file.close()
            return Response(status_code=self.status, headers=self.headers)
        return StreamingResponse(
            _stream(self.file, self.start, self.length),
            status_code=self.status,
            headers=self.headers,
        )


def _stream(file: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        remaining = length
        while remaining > 0:
            chunk = file.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        file.close()


def _plan(
    portal: Portal, package_ref: str, resource_id: str, token: Credentials, request: Request
) -> _Plan:
    with portal.unit_of_work() as unit:
        actor = caller(unit.session, token)
        package, resource = resource_service.get_data_resource(
            unit, actor=actor, resource_id=resource_id, package_ref=package_ref
        )
        privacy = _cache_control(package)
        if resource.url_type != "upload" or not resource.storage_key:
            target = resource.url or ""
            if not target.lower().startswith(("http://", "https://")):
                raise NotFound("This resource has no file or link to download")
            if request.method == "GET":
                portal.downloads.record(resource.id, resource.package_id)
            return _Plan(
                302, {"Cache-Control": privacy, "Vary": "Authorization, Cookie"}, redirect=target
            )
        accel = portal.settings.accel_redirect
        try:
            if accel:
                plan = _accel_plan(accel, portal.storage, resource, request.headers, privacy)
            else:
                plan = _file_plan(
                    portal.storage.open(resource.storage_key), resource, request.headers, privacy
                )
        except FileNotFoundError:
            raise NotFound("The file of this resource is missing") from None
        try:
            if request.method == "GET" and (
                plan.status == 200 or (plan.status == 206 and plan.start == 0)
            ):
                portal.downloads.record(resource.id, resource.package_id)
        except BaseException:
            if plan.file is not None:
                plan.file.close()
            raise
        return plan


def _cache_control(package: Package) -> str:
    """Files anyone may have may be cached anywhere (but revalidated); others only by
    the caller -- a shared cache must not hand a draft's file to the next visitor."""
    dataset = policy.Dataset.of(package)
    public = policy.can(policy.ANONYMOUS, policy.Action.READ_DATA, dataset)
    return "public, no-cache" if public else "private, no-cache"


def _file_plan(file: IO[bytes], resource: Resource, headers: Headers, privacy: str) -> _Plan:
    """The portal sends the file itself; its validators are the file's sha256 and the
    resource's modification time."""
    try:
        size = _size(file)
        sha256 = resource.hash or ""
        etag = f'"{sha256}"' if sha256 else f'"{size:x}-{resource.storage_key}"'
        modified = (resource.last_modified or resource.created).replace(tzinfo=UTC, microsecond=0)
        plan = _decide(resource, headers, privacy, size=size, etag=etag, modified=modified)
    except BaseException:
        file.close()
        raise
    if plan.status in (200, 206):
        plan.file = file
    else:
        file.close()
    return plan


def _accel_plan(
    location: str, storage: LocalStorage, resource: Resource, headers: Headers, privacy: str
) -> _Plan:
    """nginx sends the file; decide with the validators nginx will send (its static module's)."""
    path = storage.path(resource.storage_key or "")
    stat = path.stat()
    seconds = int(stat.st_mtime)
    etag = f'"{seconds:x}-{stat.st_size:x}"'
    modified = datetime.fromtimestamp(seconds, UTC)
    plan = _decide(resource, headers, privacy, size=stat.st_size, etag=etag, modified=modified)
    if plan.status in (200, 206):
        plan.accel = location + path.relative_to(storage.objects).as_posix()
    return plan


def _decide(
    resource: Resource,
    headers: Headers,
    privacy: str,
    *,
    size: int,
    etag: str,
    modified: datetime,
) -> _Plan:
    """The answer to a download request (status, headers, byte range) without the bytes."""
    sha256 = resource.hash or ""
    common = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": privacy,
        "Vary": "Authorization, Cookie",
        "Accept-Ranges": "bytes",
    }
    precondition = _preconditions(headers, etag, modified)
    if precondition is not None:
        return _Plan(precondition, common)
    full = {
        **common,
        **_HARDENING,
        "Content-Type": resource.mimetype or "application/octet-stream",
        "Content-Disposition": content_disposition(resource.url or "download"),
    }
    if len(sha256) == 64:
        digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        full["Repr-Digest"] = f"sha-256=:{digest}:"
        full["Digest"] = f"sha-256={digest}"
    try:
        wanted = _range(headers, etag, modified, size)
    except _Unsatisfiable:
        return _Plan(416, {**common, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        return _Plan(200, {**full, "Content-Length": str(size)}, None, 0, size)
    start, end = wanted
    partial = {
        **full,
        "Content-Length": str(end - start + 1),
        "Content-Range": f"bytes {start}-{end}/{size}",
    }
    return _Plan(206, partial, None, start, end - start + 1)


def _size(file: IO[bytes]) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def _preconditions(headers: Headers, etag: str, modified: datetime) -> int | None:
    """RFC 9110 section 13.2.2, in its order: 412 or 304 when a condition says so."""
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _etag_matches(if_match, etag, weak=False):
            return 412
    else:
        since = _http_date(headers.get("if-unmodified-since"))
        if since is not None and modified > since:
            return 412
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return 304 if _etag_matches(if_none_match, etag, weak=True) else None
    since = _http_date(headers.get("if-modified-since"))
    if since is not None and modified <= since:
        return 304
    return None


class _Unsatisfiable(Exception):
    pass


def _range(headers: Headers, etag: str, modified: datetime, size: int) -> tuple[int, int] | None:
    """The one byte range to send, or None for the whole file; raises _Unsatisfiable."""
    value = headers.get("range")
    if_range = headers.get("if-range")
    if not value or (if_range is not None and not _if_range_holds(if_range, etag, modified)):
        return None
    match = _RANGE.match(value)
    if match is None or match.groups() == ("", ""):
        return None  # several ranges, or a unit we do not serve: send it whole
    first, last = match.groups()
    if not first:  # the last N bytes
        suffix = int(last)
        if not (suffix and size):
            raise _Unsatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if start >= size:
        raise _Unsatisfiable
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if end >= start else None  # an invalid range is ignored


def _if_range_holds(value: str, etag: str, modified: datetime) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        return _etag_matches(value, etag, weak=False)
    since = _http_date(value)
    return since is not None and since == modified


def _etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    if header.strip() == "*":
        return True
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag.startswith("W/"):
            if not weak:
                continue
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187)."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    fallback = _ascii(stem) or "download"
    if extension and _ascii(extension):
        fallback += "." + _ascii(extension)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._\- ()\[\]]", "_", folded).strip(" _")


def _validation(
    portal: Portal, package_ref: str, resource_id: str, token: Credentials
) -> dict[str, Any]:
    with portal.unit_of_work() as unit:
        actor = caller(unit.session, token)
        return report_of(unit, actor, package_ref, resource_id)


def report_of(
    unit: CatalogUnit, actor: Principal, package_ref: str, resource_id: str
) -> dict[str, Any]:
    """The newest validation report of a resource's file (same access rule as the file)."""
    _, resource = resource_service.get_data_resource(
        unit, actor=actor, resource_id=resource_id, package_ref=package_ref
    )
    if not resource.validation_status:
        raise NotFound("This resource has not been validated (it is not a table upload)")
    stored = unit.session.get(ResourceValidation, resource.id)
    if stored is not None and stored.storage_key != resource.storage_key:
        stored = None  # the report of an earlier file; the current one is pending
    return {
        "resource_id": resource.id,
        "status": resource.validation_status,
        "file_sha256": resource.hash,
        "finished": stored.finished.isoformat() if stored and stored.finished else None,
        "source_encoding": stored.source_encoding if stored else None,
        "schema": stored.table_schema if stored else None,
        "report": stored.report if stored else None,
    }
