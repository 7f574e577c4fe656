"""Random tokens and how they are stored: shared by the web layer and the services.

Cookies, login handles and staff API tokens all carry a random token; the
database keeps only its SHA-256, so a leaked table opens no session. These
two functions know nothing of HTTP, which lets the SSO and staff services use
them without importing the browser-facing :mod:`interregion.web`.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
