"""Air and surface-water samples and their columns, shared by the environmental packages."""

from __future__ import annotations

import random

from . import model as m
from .indices import AIR_LEVELS, aqi, water_class

_CONCENTRATION = "日均浓度，微克/立方米"


def air_sample(
    rng: random.Random, *, pm25: float, ozone: float, traffic: float = 1.0
) -> dict[str, int | float | str | None]:
    """One day of the six pollutants around the given PM2.5 and ozone levels, with its AQI."""
    pm25 = max(4.0, pm25)
    values: dict[str, float] = {
        "PM2.5": round(pm25),
        "PM10": round(pm25 * rng.uniform(1.35, 1.85)),
        "O3": round(max(20.0, ozone) * rng.uniform(0.88, 1.1)),
        "NO2": round(rng.uniform(16, 40) * traffic),
        "SO2": rng.randint(4, 10),
        "CO": round(rng.uniform(0.45, 0.95), 1),
    }
    index, primary, level = aqi(values)
    return {
        "aqi": index,
        "quality_level": level,
        "primary_pollutant": primary,
        "pm25": values["PM2.5"],
        "pm10": values["PM10"],
        "o3_8h": values["O3"],
        "no2": values["NO2"],
        "so2": values["SO2"],
        "co": values["CO"],
    }


def air_fields() -> list[m.Field]:
    return [
        m.integer(
            "aqi", "空气质量指数", "AQI（HJ 633-2012）", required=True, minimum=0, maximum=500
        ),
        m.string(
            "quality_level",
            "空气质量级别",
            "优、良、轻度污染、中度污染、重度污染、严重污染",
            required=True,
            enum=list(AIR_LEVELS),
        ),
        m.string("primary_pollutant", "首要污染物", "AQI大于50时的首要污染物"),
        m.integer("pm25", "细颗粒物", f"PM2.5{_CONCENTRATION}", minimum=0),
        m.integer("pm10", "可吸入颗粒物", f"PM10{_CONCENTRATION}", minimum=0),
        m.integer("o3_8h", "臭氧8小时", "臭氧日最大8小时滑动平均，微克/立方米", minimum=0),
        m.integer("no2", "二氧化氮", f"二氧化氮{_CONCENTRATION}", minimum=0),
        m.integer("so2", "二氧化硫", f"二氧化硫{_CONCENTRATION}", minimum=0),
        m.number("co", "一氧化碳", "一氧化碳日均浓度，毫克/立方米", minimum=0),
    ]


_MONTH_TEMPERATURE = (6, 7, 11, 17, 22, 26, 30, 30, 26, 20, 14, 8)


def _oxygen_saturation(temperature: float) -> float:
    return 14.62 - 0.3898 * temperature + 0.006969 * temperature**2 - 0.00005897 * temperature**3


def water_sample(
    rng: random.Random, month: int, *, lake: bool, cleanliness: float
) -> dict[str, float | str]:
    """One monthly sample; ``cleanliness`` runs from 0 (poor) to 1 (very clean)."""
    temperature = _MONTH_TEMPERATURE[month - 1] + rng.gauss(0, 1.2)
    winter = month in (12, 1, 2)
    dirt = 1 - cleanliness
    dissolved = _oxygen_saturation(temperature) * rng.uniform(0.72, 0.98)
    codmn = rng.uniform(1.6, 2.6) + dirt * rng.uniform(1.0, 3.5)
    ammonia = (0.05 + dirt * 0.7) * rng.lognormvariate(0, 0.35) * (1.3 if winter else 1)
    phosphorus = (0.03 if lake else 0.06) + dirt * (0.06 if lake else 0.12)
    phosphorus *= rng.lognormvariate(0, 0.25)
    values: dict[str, float | str] = {
        "water_temp_c": round(temperature, 1),
        "ph": round(rng.uniform(7.2, 8.4), 2),
        "dissolved_oxygen_mg_l": round(dissolved, 2),
        "codmn_mg_l": round(codmn, 2),
        "ammonia_nitrogen_mg_l": round(ammonia, 3),
        "total_phosphorus_mg_l": round(phosphorus, 3),
    }
    values["water_class"] = water_class(
        dissolved_oxygen=round(dissolved, 2),
        codmn=round(codmn, 2),
        ammonia=round(ammonia, 3),
        phosphorus=round(phosphorus, 3),
        lake=lake,
    )
    return values


def water_fields() -> list[m.Field]:
    return [
        m.number("water_temp_c", "水温", "水温，摄氏度"),
        m.number("ph", "pH值", "酸碱度，无量纲", minimum=0, maximum=14),
        m.number("dissolved_oxygen_mg_l", "溶解氧", "溶解氧，毫克/升", minimum=0),
        m.number("codmn_mg_l", "高锰酸盐指数", "高锰酸盐指数，毫克/升", minimum=0),
        m.number("ammonia_nitrogen_mg_l", "氨氮", "氨氮，毫克/升", minimum=0),
        m.number("total_phosphorus_mg_l", "总磷", "总磷，毫克/升", minimum=0),
        m.string(
            "water_class",
            "水质类别",
            "按 GB 3838-2002 评价的水质类别",
            required=True,
            enum=["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"],
        ),
    ]
