"""API tokens: 256 random bits, shown once, stored as a SHA-256 digest.

A slow hash adds nothing for values with this much entropy and would cost
every API call; a plain digest with a unique index makes lookup one query.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "dlt_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def from_header(value: str | None) -> str | None:
    """Tokens arrive raw (CKAN) or as ``Bearer <token>``."""
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value or None
