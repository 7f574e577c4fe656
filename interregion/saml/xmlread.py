"""Strict readers for the elements we consume: exactly the shape we expect, or a refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interregion.clock import parse_saml_instant
from interregion.saml.errors import SamlRefused
from signing.errors import MixedContent
from signing.xmldsig import signed_text


def one(parent: Any, tag: str, *, what: str) -> Any:
    """The single child ``tag`` of ``parent``; none or several is a refusal."""
    found = parent.findall(tag)
    if len(found) != 1:
        raise SamlRefused("malformed", f"expected exactly one {what}, found {len(found)}")
    return found[0]


def optional_one(parent: Any, tag: str, *, what: str) -> Any | None:
    found = parent.findall(tag)
    if len(found) > 1:
        raise SamlRefused("malformed", f"expected at most one {what}, found {len(found)}")
    return found[0] if found else None


def text_of(element: Any, *, what: str, max_chars: int = 1024) -> str:
    """A leaf's text, trimmed; mixed content (a comment-split value, say) is refused."""
    try:
        value = signed_text(element).strip()
    except MixedContent:
        raise SamlRefused("malformed", f"{what} is not a single text value") from None
    if not value or len(value) > max_chars:
        raise SamlRefused("malformed", f"{what} is empty or too long")
    return value


def instant(element: Any, attribute: str) -> datetime:
    """A required ``xs:dateTime`` attribute, in UTC."""
    value = element.get(attribute)
    if value is None:
        raise SamlRefused("malformed", f"{attribute} is missing")
    try:
        return parse_saml_instant(value)
    except ValueError:
        raise SamlRefused("malformed", f"{attribute} is not a UTC date-time") from None


def required_attribute(element: Any, name: str) -> str:
    value = element.get(name)
    if not value:
        raise SamlRefused("malformed", f"{name} is missing")
    return str(value)
