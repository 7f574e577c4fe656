"""Where to send the browser after a login: our own pages only (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_NEXT = "/service"
MAX_NEXT_CHARS = 300


def safe_next(value: str | None, *, default: str = DEFAULT_NEXT) -> str:
    """A relative path on this node, or ``default``.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (which
    browsers read as slashes), control characters and anything with a scheme
    or host once parsed.
    """
    if not value or len(value) > MAX_NEXT_CHARS:
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
