"""Logging set-up: one format, and no personal ID number ever reaches a log line.

Two formats: JSON lines for production (one object per line, with the
request ID; what log collectors read) and plain text for a terminal. Both
carry the request ID and both are masked: the message and traceback by
:class:`RedactIdentifiers`, and a JSON line once more as a whole, so a
structured field can never carry an ID number past it either.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from delta.request_id import RequestIdFilter
from standards.masking import redact_identifiers

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Structured fields a record may carry (``extra={"http": {...}}``) that JSON lines keep.
_FIELDS = ("http",)


class RedactIdentifiers(logging.Filter):
    """Mask citizen-ID-shaped numbers in the final message, whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_identifiers(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        # Tracebacks too: database errors quote their statements' parameters. The formatter
        # uses a record's exc_text when it is set, so the redacted text is what gets written.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_identifiers(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_identifiers(record.stack_info)
        return True


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last resort does):
    a handler bound to the stream of set-up time breaks once a tool or test swaps it."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, request_id, message, ..."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return redact_identifiers(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    root = logging.getLogger()
    handler = next(
        (h for h in root.handlers if any(isinstance(f, RedactIdentifiers) for f in h.filters)),
        None,
    )
    if handler is None:
        handler = _CurrentStderr()
        handler.addFilter(RequestIdFilter())
        handler.addFilter(RedactIdentifiers())
        root.handlers[:] = [handler]
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root.setLevel(level)
    # Access logs carry query strings; route them through the same redacting handler.
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
