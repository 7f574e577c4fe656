"""Logging set-up: one format, and no personal ID number ever reaches a log line."""

from __future__ import annotations

import logging
import sys

from standards.masking import redact_identifiers


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


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(f, RedactIdentifiers) for h in root.handlers for f in h.filters):
        root.setLevel(level)
        return
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactIdentifiers())
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs carry query strings; route them through the same redacting handler.
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
