"""Request IDs: one per request, accepted from a trusted caller or made here, in every log line.

``X-Request-ID`` travels with a request through nginx, the portal and the
region nodes (their back-channel calls forward it), so one ID finds every
log line a request caused. An incoming ID is taken only when the operator
trusts callers to send one (``DELTA_TRUST_REQUEST_ID``, on by default: nginx
and the other nodes send it) and it is of a safe form: 8 to 128 letters,
digits, ``.``, ``_`` or ``-``, and nothing that looks like a personal ID
number. Anything else is replaced by a fresh ID, never echoed or logged.
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar

import httpx

from standards.masking import redact_identifiers

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
_SAFE = re.compile(r"[A-Za-z0-9._-]{8,128}")

_current: ContextVar[str | None] = ContextVar("delta_request_id", default=None)


def new_request_id() -> str:
    """32 random hex digits (as nginx's $request_id)."""
    return os.urandom(16).hex()


def is_acceptable(value: str) -> bool:
    """A safe form for logs and headers, and no citizen-ID-shaped number in it."""
    return bool(_SAFE.fullmatch(value)) and redact_identifiers(value) == value


def from_headers(headers: list[tuple[bytes, bytes]], *, trust: bool) -> str:
    """The request's ID: the caller's when trusted and acceptable, else a new one."""
    if trust:
        for key, value in headers:
            if key == _HEADER_KEY:
                candidate = value.decode("latin-1")
                return candidate if is_acceptable(candidate) else new_request_id()
    return new_request_id()


def current() -> str | None:
    """The ID of the request being handled in this context (None outside requests)."""
    return _current.get()


def bind(request_id: str | None) -> object:
    """Make ``request_id`` current; returns a token for :func:`reset`."""
    return _current.set(request_id)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def forward(request: httpx.Request) -> None:
    """An httpx ``request`` event hook: calls made while handling a request carry its ID
    (``httpx.Client(event_hooks={"request": [request_id.forward]})``)."""
    request_id = _current.get()
    if request_id and HEADER not in request.headers:
        request.headers[HEADER] = request_id


class RequestIdFilter(logging.Filter):
    """Puts the current request's ID on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get() or "-"
        return True
