"""Quick charts of a DataStore table: what to suggest, and the data each chart shows.

A date column suggests a line chart, a text column with a few repeating values a
bar chart, and a column of the delta's places (codes or names: 310115, 浦东新区,
苏州市, 苏州) a map of the provinces and cities.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from standards import regions

DATE_TYPES = {"date", "timestamp"}
NUMERIC = {"int", "numeric", "float"}
TEXT = {"text"}
_REGION_NAMES = re.compile(
    r"(区划|地区|行政区|区县|区域|城市|省份|地市|region|district|city|province)", re.I
)
_LABELS = re.compile(r"(^|_)(year|seq|id|no|code|年份?|序号|编号|代码)($|_)", re.I)
MAP_PROVINCES = regions.DELTA_PROVINCES


@cache
def _place_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for region in regions.gazetteer().values():
        if not regions.is_delta_region(region.code):
            continue
        for name in (region.name, region.short, *region.aliases):
            if name:
                index.setdefault(name, region.code)
    return index


def region_code(value: Any) -> str | None:
    """The GB/T 2260 code a cell names, if it names a place of the delta."""
    text = str(value or "").strip()
    if regions.is_delta_region(text) and regions.is_known(text):
        return text
    return _place_index().get(text)


def map_feature(code: str) -> str:
    """The map shape a place falls in: Shanghai's districts, the other provinces' cities."""
    if regions.province_of(code) == "310000" or regions.level_of(code) == "province":
        return code
    return regions.city_of(code)


def suggestions(fields: list[dict[str, Any]], sample: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Quick charts for a table: ``[{"chart_type", "x", "y", "aggregate", "title"}]``."""
    usable = [f for f in fields if not f["id"].startswith("_")]
    # A measure, not a label: years, sequence numbers and codes make poor totals.
    numbers = [f["id"] for f in usable if _kind(f) in NUMERIC and not _LABELS.search(f["id"])]
    measure = {"y": numbers[0], "aggregate": "sum"} if numbers else {"aggregate": "count"}
    out: list[dict[str, str]] = []
    dates = [f["id"] for f in usable if _kind(f) in DATE_TYPES]
    if dates:
        out.append({"chart_type": "line", "x": dates[0], **measure})
    places = [f["id"] for f in usable if _kind(f) in TEXT | {"int"} and _is_region(f["id"], sample)]
    if places:
        out.append({"chart_type": "map", "x": places[0], **measure})
    categories = [
        f["id"] for f in usable
        if _kind(f) in TEXT and f["id"] not in places and _repeats(f["id"], sample)
    ]  # fmt: skip
    if categories:
        out.append({"chart_type": "bar", "x": categories[0], **measure})
    return out


def _kind(field: dict[str, Any]) -> str:
    kind = str(field.get("type", ""))
    return {"float8": "float", "timestamp": "timestamp"}.get(kind, kind)


def _is_region(name: str, sample: list[dict[str, Any]]) -> bool:
    values = [row.get(name) for row in sample if row.get(name) not in (None, "")]
    if not values:
        return False
    known = sum(1 for value in values if region_code(value))
    return known >= max(1, len(values) * 0.6) or (bool(_REGION_NAMES.search(name)) and known > 0)


def _repeats(name: str, sample: list[dict[str, Any]]) -> bool:
    values = [row.get(name) for row in sample if row.get(name) not in (None, "")]
    distinct = len(set(values))
    return 1 < distinct <= max(2, len(values) // 2) and distinct <= 60
