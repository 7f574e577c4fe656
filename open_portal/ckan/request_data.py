"""Turning an HTTP request into an action's data dict, with explicit limits.

GET takes the query string (only for side-effect-free actions, as CKAN);
POST takes JSON, a form, or multipart with file parts. Bodies over the limit,
malformed JSON, non-object JSON and null bytes are refused before any action
runs, so they cannot change anything.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

from datasets.storage import Upload
from delta.errors import BadRequest, ValidationFailed

MAX_FORM_FIELDS = 1000
MAX_FILES = 1
MAX_FIELD_BYTES = 1024 * 1024


class BodyTooLarge(BadRequest):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than the limit of {limit} bytes", status=413)


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
    request: Request, *, side_effect_free: bool, body_limit: int
) -> tuple[dict[str, Any], dict[str, Upload]]:
    if request.method == "GET":
        if not side_effect_free:
            raise BadRequest("JSON Error: Invalid request. Please use POST method for your request")
        data = _mixed(list(request.query_params.multi_items()))
        check_no_null_bytes(data)
        return data, {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _multipart(request)
    body = await _body(request, body_limit)
    if content_type == "application/x-www-form-urlencoded":
        return _form(body), {}
    data = _json(body)
    check_no_null_bytes(data)
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
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"JSON Error: Error decoding JSON data: {_short(exc)}") from None
    if not isinstance(data, dict):
        raise BadRequest(
            "Bad request data: Request data JSON decoded to a "
            f"{type(data).__name__} but it needs to be a dictionary."
        )
    return data


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
    data = _mixed(items)
    check_no_null_bytes(data)
    return data


async def _multipart(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except BodyTooLarge:
        raise
    except Exception as exc:  # starlette raises its own HTTPException / MultiPartException
        raise BadRequest(f"Error decoding multipart form data: {_short(exc)}") from None
    fields: list[tuple[str, Any]] = []
    uploads: dict[str, Upload] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            uploads[key] = Upload(
                filename=value.filename or "upload",
                stream=value.file,
                content_type=value.content_type,
            )
        else:
            fields.append((key, value))
    data = _mixed(fields)
    check_no_null_bytes(data)
    return data, uploads


def check_no_null_bytes(data: Any, path: str = "") -> None:
    """NUL cannot be stored (PostgreSQL refuses it) and is never meaningful text."""
    if isinstance(data, str):
        if "\x00" in data:
            raise ValidationFailed({path or "__root__": ["Null bytes are not allowed"]})
    elif isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in str(key):
                raise ValidationFailed({"__root__": ["Null bytes are not allowed in keys"]})
            check_no_null_bytes(value, path or str(key))
    elif isinstance(data, list):
        for item in data:
            check_no_null_bytes(item, path)


def _short(exc: Exception) -> str:
    return str(exc)[:200]
