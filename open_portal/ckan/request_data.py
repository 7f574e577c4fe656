"""Turning an HTTP request into an action's data dict, with explicit limits.

GET takes the query string (only for side-effect-free actions, as CKAN);
POST takes JSON, a form, or multipart with file parts. Bodies over the limit,
malformed JSON, non-object JSON and null bytes are refused before any action
runs, so they cannot change anything.

Multipart is parsed as it streams in (python-multipart's push parser): form
fields are kept in memory (small, limited), the file part goes straight into
a storage temporary file -- hashed, size-limited, in constant memory -- and
reaches the action already staged. Before the first file byte is stored the
``gate`` may refuse (the dispatcher checks the caller may write there).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from datasets.storage import LocalStorage, StagedFile, Upload, UploadTooLarge, UploadWriter
from delta.errors import BadRequest, DomainError, ValidationFailed

MAX_FORM_FIELDS = 1000
MAX_FILES = 1
MAX_FIELD_BYTES = 1024 * 1024
WRITE_BATCH = 1024 * 1024  # file bytes handed to a worker thread at a time
# After refusing an upload, read (and drop) this much more so the client sees the answer.
DRAIN_AFTER_REFUSAL = 16 * 1024 * 1024

Gate = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class UploadTarget:
    """Where the file part of a multipart request goes, and who decides it may."""

    storage: LocalStorage
    max_bytes: int
    gate: Gate | None = None
    # Actions that take no file still accept multipart; their file parts are read
    # (within the form size limit) and dropped, never stored.
    accepts_files: bool = True


class BodyTooLarge(BadRequest):
    def __init__(self, limit: int, *, what: str = "Request body") -> None:
        super().__init__(f"{what} is larger than the limit of {limit} bytes", status=413)


def _mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """CKAN's rule: a key given once maps to its value, a repeated key to a list."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            current = out[key]
            out[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[key] = value
    return out


async def read_action_data(
    request: Request,
    *,
    side_effect_free: bool,
    body_limit: int,
    uploads: UploadTarget | None = None,
) -> tuple[dict[str, Any], dict[str, Upload]]:
    if request.method == "GET":
        if not side_effect_free:
            raise BadRequest("JSON Error: Invalid request. Please use POST method for your request")
        data = _mixed(list(request.query_params.multi_items()))
        check_text(data)
        return data, {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        if uploads is None:
            raise BadRequest("This action takes no file uploads")
        return await _multipart(request, uploads, body_limit)
    body = await _body(request, body_limit)
    # Form bodies may carry a whole JSON document too (see _form): check either way.
    data = _form(body) if content_type == "application/x-www-form-urlencoded" else _json(body)
    check_text(data)
    return data, {}


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"JSON Error: Error decoding JSON data: {_short(exc)}") from None
    if not isinstance(data, dict):
        raise BadRequest(
            "Bad request data: Request data JSON decoded to a "
            f"{type(data).__name__} but it needs to be a dictionary."
        )
    return data


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and which no database
    # stores in a JSON column.
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:40]} is out of range")
    return number


def _form(body: bytes) -> dict[str, Any]:
    try:
        items = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"Error decoding form data: {_short(exc)}") from None
    # CKAN also accepts a JSON document posted as the single key of a form.
    if len(items) == 1 and items[0][1] in ("", "1"):
        try:
            return _json(items[0][0].encode("utf-8"))
        except BadRequest:
            pass
    return _mixed(items)


async def _multipart(
    request: Request, target: UploadTarget, body_limit: int
) -> tuple[dict[str, Any], dict[str, Upload]]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > target.max_bytes + body_limit:
        raise BodyTooLarge(target.max_bytes, what="The uploaded file")
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadRequest("Error decoding multipart form data: no boundary")
    reader = _MultipartReader(target, body_limit)
    chunks = request.stream()
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in chunks:
            parser.write(chunk)
            await reader.handle_events()
        parser.finalize()
        await reader.handle_events()
        if reader.in_part:
            raise BadRequest("Error decoding multipart form data: the body ended inside a part")
    except BaseException as exc:
        reader.discard()  # not awaited: a cancelled request must still clean up
        if isinstance(exc, UploadTooLarge):
            await _drain(chunks)
            raise BodyTooLarge(exc.limit, what="The uploaded file") from None
        if isinstance(exc, DomainError):
            await _drain(chunks)
            raise
        if isinstance(exc, Exception):
            raise BadRequest(f"Error decoding multipart form data: {_short(exc)}") from None
        raise
    data = _mixed(reader.fields)
    check_text(data)
    return data, reader.uploads


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    read = 0
    try:
        async for chunk in chunks:
            read += len(chunk)
            if read > DRAIN_AFTER_REFUSAL:
                return
    except Exception:  # noqa: S110  (the client gave up; the answer is decided already)
        pass


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    ignored: bool = False


class _MultipartReader:
    """Collects python-multipart's callbacks, then acts on them outside the parser."""

    def __init__(self, target: UploadTarget, body_limit: int) -> None:
        self.target = target
        self.body_limit = body_limit
        self.fields: list[tuple[str, Any]] = []
        self.uploads: dict[str, Upload] = {}
        self.in_part = False
        self._events: list[tuple[str, bytes]] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._header = [b"", b""]
        self._part = _Part()
        self._writer: UploadWriter | None = None
        # File bytes waiting for the writer thread, kept as the parser's own chunks:
        # joining them would allocate large buffers that the allocator keeps around.
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._field_bytes = 0
        self._staged: list[StagedFile] = []

    def callbacks(self) -> Any:
        def data_event(kind: str) -> Callable[[bytes, int, int], None]:
            return lambda data, start, end: self._events.append((kind, data[start:end]))

        def event(kind: str) -> Callable[[], None]:
            return lambda: self._events.append((kind, b""))

        return {
            "on_part_begin": event("begin"),
            "on_part_data": data_event("data"),
            "on_part_end": event("end"),
            "on_header_field": data_event("field"),
            "on_header_value": data_event("value"),
            "on_header_end": event("header_end"),
            "on_headers_finished": event("headers_done"),
        }

    async def handle_events(self) -> None:
        events, self._events = self._events, []
        for kind, data in events:
            if kind == "data":
                await self._data(data)
            elif kind == "begin":
                self.in_part = True
                self._part, self._headers = _Part(), []
            elif kind == "field":
                self._header[0] += data
            elif kind == "value":
                self._header[1] += data
            elif kind == "header_end":
                self._headers.append((self._header[0].lower(), self._header[1]))
                self._header = [b"", b""]
            elif kind == "headers_done":
                await self._start_part()
            elif kind == "end":
                await self._end_part()
                self.in_part = False

    async def _start_part(self) -> None:
        headers = dict(self._headers)
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise BadRequest('Error decoding multipart form data: a part has no "name"')
        self._part.name = _decode(options[b"name"])
        if b"filename" not in options:
            if len(self.fields) >= MAX_FORM_FIELDS:
                raise BadRequest(f"Too many form fields (at most {MAX_FORM_FIELDS})")
            return
        if not self.target.accepts_files:
            self._part.ignored = True
            return
        if self._staged or self._writer is not None:
            raise BadRequest(f"At most {MAX_FILES} file may be uploaded per request")
        self._part.filename = _decode(options[b"filename"])
        content_type = headers.get(b"content-type")
        self._part.content_type = _decode(content_type) if content_type else None
        if self.target.gate is not None:
            await self.target.gate(_mixed(self.fields))
        self._writer = await run_in_threadpool(
            self.target.storage.writer, max_bytes=self.target.max_bytes
        )

    async def _data(self, data: bytes) -> None:
        if self._writer is not None:
            self._pending.append(data)
            self._pending_bytes += len(data)
            if self._pending_bytes >= WRITE_BATCH:
                await self._flush()
            return
        self._field_bytes += len(data)
        if self._field_bytes > self.body_limit:
            raise BodyTooLarge(self.body_limit)
        if self._part.ignored:
            return
        if len(self._part.data) + len(data) > MAX_FIELD_BYTES:
            raise BadRequest(f"A form field is larger than {MAX_FIELD_BYTES} bytes")
        self._part.data += data

    async def _flush(self) -> None:
        if self._writer is not None and self._pending:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            await run_in_threadpool(self._writer.write_all, batch)

    async def _end_part(self) -> None:
        if self._part.ignored:
            return
        if self._writer is None:
            try:
                value = self._part.data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(f"Form field {self._part.name[:100]!r} is not UTF-8") from None
            self.fields.append((self._part.name, value))
            return
        await self._flush()
        writer, self._writer = self._writer, None
        staged = await run_in_threadpool(writer.finish)
        self._staged.append(staged)
        self.uploads[self._part.name] = Upload(
            filename=self._part.filename or "upload",
            content_type=self._part.content_type,
            staged=staged,
        )

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        for staged in self._staged:
            staged.discard()


def _decode(raw: bytes) -> str:
    """Browsers send UTF-8 names; a few old clients send Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def check_text(data: Any, path: str = "") -> None:
    """Refuse text nothing can store: NUL (PostgreSQL refuses it, and it is never
    meaningful) and lone UTF-16 surrogates (JSON's ``"\\ud800"``), which no database
    driver can encode -- they would otherwise fail deep inside an action as a 500."""
    if isinstance(data, str):
        if "\x00" in data:
            raise ValidationFailed({path or "__root__": ["Null bytes are not allowed"]})
        if _SURROGATE.search(data):
            raise ValidationFailed({path or "__root__": [_SURROGATE_MESSAGE]})
    elif isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in str(key):
                raise ValidationFailed({"__root__": ["Null bytes are not allowed in keys"]})
            if _SURROGATE.search(str(key)):
                raise ValidationFailed({"__root__": [f"{_SURROGATE_MESSAGE} (in a key)"]})
            check_text(value, path or str(key))
    elif isinstance(data, list):
        for item in data:
            check_text(item, path)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_MESSAGE = "Must be valid Unicode text (a lone surrogate is not)"


def _short(exc: Exception) -> str:
    return str(exc)[:200]
