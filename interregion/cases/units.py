"""The units staff work in: accepting windows (专窗) and deciding departments, per region.

A unit code names one desk in the federation: windows are
``<district code>-ZC<nn>`` (the district's service centre), departments
``<province code>-<abbreviation>``. Staff accounts carry one unit code
(their "window"); matters name the department that decides them.
"""

from __future__ import annotations

from dataclasses import dataclass

from standards.regions import DELTA_PROVINCES, get


@dataclass(frozen=True)
class Unit:
    code: str
    region: str
    kind: str  # "window" | "department"
    name: str
    name_en: str

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "region": self.region,
            "kind": self.kind,
            "name": self.name,
            "name_en": self.name_en,
        }


# (abbreviation, Chinese suffix in a province, in Shanghai, English)
_DEPARTMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("SCJG", "市场监督管理局", "市场监督管理局", "Administration for Market Regulation"),
    ("RS", "人力资源和社会保障厅", "人力资源和社会保障局", "Human Resources and Social Security"),
    ("YB", "医疗保障局", "医疗保障局", "Healthcare Security Administration"),
    ("GJJ", "住房公积金管理中心", "住房公积金管理中心", "Housing Provident Fund Centre"),
    ("JJ", "公安厅交通警察总队", "公安局交通警察总队", "Traffic Police"),
    ("HJ", "公安厅户政管理处", "公安局人口管理办公室", "Household Registration"),
    ("WJ", "卫生健康委员会", "卫生健康委员会", "Health Commission"),
    ("ZR", "自然资源厅不动产登记中心", "不动产登记局", "Real Estate Registration"),
    ("MZ", "民政厅", "民政局", "Civil Affairs"),
    ("JY", "教育厅", "教育委员会", "Education"),
    ("JT", "交通运输厅", "交通委员会", "Transport"),
    ("SW", "税务局", "税务局", "Tax Service"),
    ("CL", "残疾人联合会", "残疾人联合会", "Disabled Persons' Federation"),
)

# The special windows of the demo: (district code, window number).
_WINDOWS: dict[str, tuple[tuple[str, int], ...]] = {
    "310000": (("310104", 1), ("310107", 1)),
    "320000": (("320505", 1), ("320102", 1)),
    "330000": (("330106", 1), ("330102", 1)),
    "340000": (("340104", 1), ("341302", 1)),
}


def department_code(region: str, abbreviation: str) -> str:
    return f"{region}-{abbreviation}"


def _departments(region: str) -> list[Unit]:
    province = get(region)
    assert province is not None
    units = []
    for abbreviation, suffix, shanghai_suffix, english in _DEPARTMENTS:
        name = province.name + (shanghai_suffix if region == "310000" else suffix)
        units.append(
            Unit(
                code=department_code(region, abbreviation),
                region=region,
                kind="department",
                name=name,
                name_en=f"{province.name_en} {english}",
            )
        )
    return units


def _windows(region: str) -> list[Unit]:
    units = []
    for district, number in _WINDOWS[region]:
        place = get(district)
        place_name = place.name if place else district
        place_en = place.name_en if place else district
        units.append(
            Unit(
                code=f"{district}-ZC{number:02d}",
                region=region,
                kind="window",
                name=f"{place_name}政务服务中心长三角“一网通办”专窗",
                name_en=f"{place_en} service centre, Yangtze River Delta window",
            )
        )
    return units


UNITS: dict[str, Unit] = {
    unit.code: unit
    for region in DELTA_PROVINCES
    for unit in (*_windows(region), *_departments(region))
}


def unit(code: str) -> Unit | None:
    return UNITS.get(code)


def units_of(region: str, kind: str | None = None) -> list[Unit]:
    return [u for u in UNITS.values() if u.region == region and (kind is None or u.kind == kind)]


def first_window(region: str) -> Unit:
    return units_of(region, "window")[0]
