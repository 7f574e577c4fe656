"""GB/T 2260 administrative divisions of the Yangtze River Delta.

Codes are six digits: ``PP0000`` a province-level unit, ``PPCC00`` a
prefecture-level city, anything else a county-level unit (for Shanghai, its
districts). Containment follows from the digits, so it works for codes that
are valid but not in our gazetteer too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["province", "city", "district"]

DELTA_PROVINCES = ("310000", "320000", "330000", "340000")
# Shanghai is a province-level municipality: its districts sit directly under it.
MUNICIPALITIES = ("110000", "120000", "310000", "500000")

_CODE = re.compile(r"^[1-9]\d{5}$")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str
    level: Level
    short: str | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def province_code(self) -> str:
        return province_of(self.code)


def is_well_formed(code: str) -> bool:
    return bool(_CODE.match(code))


def province_of(code: str) -> str:
    return code[:2] + "0000"


def city_of(code: str) -> str:
    """The prefecture-level unit a code lies in (for municipalities, the municipality)."""
    if province_of(code) in MUNICIPALITIES:
        return province_of(code)
    return code[:4] + "00"


def level_of(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00") and province_of(code) not in MUNICIPALITIES:
        return "city"
    return "district"


def contains(outer: str, inner: str) -> bool:
    """True when ``inner`` lies inside ``outer`` (a region contains itself)."""
    if outer == inner:
        return True
    level = level_of(outer)
    if level == "province":
        return province_of(inner) == outer
    if level == "city":
        return inner[:4] == outer[:4]
    return False


def enclosing(code: str) -> list[str]:
    """``code`` and the wider regions that contain it (its city, its province), narrowest
    first; a code that is not well-formed stands alone."""
    if not is_well_formed(code):
        return [code]
    return list(dict.fromkeys((code, city_of(code), province_of(code))))


@cache
def gazetteer() -> dict[str, Region]:
    raw = json.loads(resources.files("standards.data").joinpath("gbt2260.json").read_text("utf-8"))
    return {
        row["code"]: Region(
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            level=row["level"],
            short=row.get("short"),
            aliases=tuple(row.get("aliases", ())),
        )
        for row in raw
    }


def get(code: str) -> Region | None:
    return gazetteer().get(code)


def is_known(code: str) -> bool:
    return code in gazetteer()


def is_delta_region(code: str) -> bool:
    return is_well_formed(code) and province_of(code) in DELTA_PROVINCES


def name_of(code: str) -> str:
    region = get(code)
    return region.name if region else code
