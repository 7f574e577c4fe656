"""Domain errors shared by every product.

Services raise these; each HTTP adapter maps them to its own envelope (the CKAN
envelope on the Action API, problem+json elsewhere).
"""

from __future__ import annotations

from typing import Any

# A field name mapped to its messages, or for lists (resources, extras) a list of such dicts.
ErrorDict = dict[str, Any]


class DomainError(Exception):
    """Base of all expected, user-facing errors."""


class NotFound(DomainError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotAuthorized(DomainError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    def __init__(self, errors: ErrorDict) -> None:
        super().__init__(str(errors))
        self.errors = errors

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class BadRequest(DomainError):
    """The request itself is malformed (not JSON, wrong method, too large)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
