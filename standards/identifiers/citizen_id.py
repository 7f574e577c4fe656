"""Citizen identity numbers (公民身份号码, GB 11643-1999).

Eighteen characters: a six-digit GB/T 2260 area code, the birth date as
YYYYMMDD, a three-digit sequence (odd for men, even for women) and a check
character computed with ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


class InvalidCitizenId(ValueError):
    pass


@dataclass(frozen=True)
class CitizenId:
    value: str
    area_code: str
    birth_date: date
    sequence: str

    @property
    def sex(self) -> str:
        return "male" if int(self.sequence) % 2 else "female"


def check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_citizen_id(raw: str) -> CitizenId:
    value = raw.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidCitizenId("a citizen ID has 17 digits and a check digit or X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidCitizenId("the birth date in the citizen ID is not a date") from exc
    if value[17] != check_char(value[:17]):
        raise InvalidCitizenId("the check character of the citizen ID does not match")
    return CitizenId(value=value, area_code=value[:6], birth_date=born, sequence=value[14:17])


def is_valid_citizen_id(raw: str) -> bool:
    try:
        parse_citizen_id(raw)
    except InvalidCitizenId:
        return False
    return True


def make_citizen_id(area_code: str, birth: date, sequence: int) -> str:
    """Build a checksum-valid number (used for clearly fake demo residents)."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
