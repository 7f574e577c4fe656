"""Masking of personal identifiers for pages and logs (personal data is minimised)."""

from __future__ import annotations

import re

# 18-character citizen IDs and USCCs, and 15-digit legacy citizen IDs, anywhere in text.
_CITIZEN_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_LEGACY_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{6})(\d{3})(?![0-9A-Za-z])")


def mask_citizen_id(value: str) -> str:
    """Keep the first 3 and last 2 characters: ``110***********123X`` style."""
    if len(value) < 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_uscc(value: str) -> str:
    """A USCC names a company, not a person: it is public; keep it readable."""
    return value


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def redact_identifiers(text: str) -> str:
    """Mask every citizen-ID-shaped number in free text (log lines, error messages)."""
    text = _CITIZEN_ID.sub(lambda m: mask_citizen_id(m.group(0)), text)
    return _LEGACY_ID.sub(lambda m: mask_citizen_id(m.group(0)), text)
