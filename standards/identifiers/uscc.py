"""Unified social credit codes (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import re
from collections.abc import Collection

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


class InvalidUSCC(ValueError):
    pass


def check_char(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse_uscc(raw: str, *, legacy_exceptions: Collection[str] = ()) -> str:
    """Return the normalised code, or raise.

    ``legacy_exceptions`` lists early pilot codes that fail the check yet were
    legally issued; they are accepted as they are, and only those.
    """
    value = raw.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidUSCC(
            "a unified social credit code has 18 characters from "
            "0-9 and A-Y without I, O, S, V, Z, with digits 3-8 an area code"
        )
    if value in legacy_exceptions:
        return value
    if value[17] != check_char(value[:17]):
        raise InvalidUSCC("the check character of the unified social credit code does not match")
    return value


def is_valid_uscc(raw: str, *, legacy_exceptions: Collection[str] = ()) -> bool:
    try:
        parse_uscc(raw, legacy_exceptions=legacy_exceptions)
    except InvalidUSCC:
        return False
    return True


def make_uscc(authority: str, kind: str, area_code: str, organisation_code: str) -> str:
    """Build a checksum-valid code (used for clearly fake demo companies)."""
    first17 = f"{authority}{kind}{area_code}{organisation_code}"
    if len(first17) != 17 or any(char not in _VALUE for char in first17):
        raise InvalidUSCC(
            "authority, kind, area and organisation code must give 17 valid characters"
        )
    return first17 + check_char(first17)
