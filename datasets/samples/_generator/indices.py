"""The two environmental indices the samples compute rather than invent.

Air: the AQI of HJ 633-2012 (24-hour breakpoints, 8-hour ozone).
Water: the class of GB 3838-2002 from four key parameters.
"""

from __future__ import annotations

import math

_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
_AIR_BREAKPOINTS = {
    "SO2": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "NO2": (0, 40, 80, 180, 280, 565, 750, 940),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO": (0, 2, 4, 14, 24, 36, 48, 60),
    "O3": (0, 100, 160, 215, 265, 800, 800, 800),
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
}
AIR_LEVELS = ("优", "良", "轻度污染", "中度污染", "重度污染", "严重污染")


def iaqi(pollutant: str, concentration: float) -> int:
    points = _AIR_BREAKPOINTS[pollutant]
    for index in range(1, len(points)):
        low, high = points[index - 1], points[index]
        if concentration <= high and high > low:
            share = (concentration - low) / (high - low)
            return math.ceil(_IAQI[index - 1] + share * (_IAQI[index] - _IAQI[index - 1]))
    return 500


def aqi(concentrations: dict[str, float]) -> tuple[int, str | None, str]:
    """AQI, the primary pollutant(s) (None when AQI ≤ 50) and the level name."""
    scores = {name: iaqi(name, value) for name, value in concentrations.items()}
    value = max(scores.values())
    primary = None
    if value > 50:
        primary = "、".join(name for name, score in scores.items() if score == value)
    bands = (50, 100, 150, 200, 300)
    level = AIR_LEVELS[sum(value > band for band in bands)]
    return value, primary, level


WATER_CLASSES = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
_DO_MIN = (7.5, 6.0, 5.0, 3.0, 2.0)  # dissolved oxygen, mg/L, at least
_CODMN_MAX = (2.0, 4.0, 6.0, 10.0, 15.0)
_NH3N_MAX = (0.15, 0.5, 1.0, 1.5, 2.0)
_TP_RIVER_MAX = (0.02, 0.1, 0.2, 0.3, 0.4)
_TP_LAKE_MAX = (0.01, 0.025, 0.05, 0.1, 0.2)


def _class_at_most(value: float, limits: tuple[float, ...]) -> int:
    for index, limit in enumerate(limits):
        if value <= limit:
            return index
    return len(limits)


def _class_at_least(value: float, limits: tuple[float, ...]) -> int:
    for index, limit in enumerate(limits):
        if value >= limit:
            return index
    return len(limits)


def water_class(
    *, dissolved_oxygen: float, codmn: float, ammonia: float, phosphorus: float, lake: bool
) -> str:
    worst = max(
        _class_at_least(dissolved_oxygen, _DO_MIN),
        _class_at_most(codmn, _CODMN_MAX),
        _class_at_most(ammonia, _NH3N_MAX),
        _class_at_most(phosphorus, _TP_LAKE_MAX if lake else _TP_RIVER_MAX),
    )
    return WATER_CLASSES[worst]


def class_rank(name: str) -> int:
    return WATER_CLASSES.index(name)
