"""One clock for the node (aware UTC), and the SAML/ISO 8601 forms of its readings."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def saml_instant(moment: datetime) -> str:
    """``xs:dateTime`` in UTC with a ``Z``, to the second (what SAML profiles expect)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_saml_instant(value: str) -> datetime:
    """Parse an ``xs:dateTime``; a time without a zone is refused rather than guessed."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("time without a time zone")
    try:
        # 0001-01-01T00:00:00+01:00 is a valid xs:dateTime but falls before year 1 in UTC.
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("time outside the calendar") from None
