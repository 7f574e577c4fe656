"""Nanjing packages of the municipal health commission."""

from __future__ import annotations

import random
from datetime import date

from . import model as m
from .common import random_date, seeded, street_short, weighted
from .geo import NANJING, District, point, switchboard
from .geo import street_address as address
from .names import BRANDS
from .orgs import ORG

# --- Nanjing medical institutions ------------------------------------------------------------


# kind: (weight, name pattern, category, grades, ownership, beds range). In patterns
# {d} is the district, {s} a street of it and {b} a fictional brand.
# fmt: off
_HOSPITALS = {
    "人民医院": (0.08, "南京市{d}人民医院", "综合医院", "三级乙等 二级甲等", "公立", (300, 900)),
    "中医院": (0.06, "南京市{d}中医院", "中医医院", "二级甲等 三级乙等", "公立", (200, 600)),
    "妇幼": (0.04, "南京市{d}妇幼保健院", "妇幼保健院", "二级甲等", "公立", (60, 300)),
    "社区": (
        0.5, "南京市{d}{s}社区卫生服务中心", "社区卫生服务中心", "一级 未定级", "公立", (0, 60)
    ),
    "民营综合": (0.12, "南京{b}医院", "综合医院", "二级乙等 一级 未定级", "社会办", (50, 300)),
    "护理院": (0.06, "南京{b}护理院", "护理院", "未定级", "社会办", (50, 200)),
    "口腔": (0.04, "南京{b}口腔医院", "专科医院", "二级乙等 一级 未定级", "社会办", (20, 80)),
    "眼科": (0.04, "南京{b}眼科医院", "专科医院", "二级乙等 一级 未定级", "社会办", (20, 120)),
    "康复": (0.04, "南京{b}康复医院", "专科医院", "二级乙等 一级 未定级", "社会办", (60, 150)),
    "妇产": (0.02, "南京{b}妇产医院", "专科医院", "二级乙等 一级", "社会办", (30, 120)),
}
# fmt: on


def _hospital(rng: random.Random, district: District) -> tuple[str, str, str, str, int]:
    """Name, category, grade, ownership and beds."""
    kind = weighted(rng, [(key, spec[0]) for key, spec in _HOSPITALS.items()])
    _, pattern, category, grades, ownership, (low, high) = _HOSPITALS[kind]
    name = pattern.format(d=district.name, s=rng.choice(district.streets), b=rng.choice(BRANDS))
    return name, category, rng.choice(grades.split()), ownership, rng.randint(low, high)


def medical_institutions() -> m.Package:
    name = "nanjing-medical-institutions"
    rng = seeded(name)
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < 160:
        district = rng.choice(NANJING.districts)
        label, category, grade, ownership, beds = _hospital(rng, district)
        if label in seen:
            continue
        seen.add(label)
        lon, lat = point(rng, district)
        rows.append(
            {
                "institution_id": f"NJYL{len(rows) + 1:04d}",
                "name": label,
                "category": category,
                "grade": grade,
                "ownership": ownership,
                "district": district.name,
                "address": address(rng, NANJING, district),
                "beds": beds,
                "emergency_department": category in ("综合医院", "中医医院") and beds >= 100,
                "phone": switchboard(rng, NANJING),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return m.Package(
        name=name,
        title="南京市医疗机构名录",
        title_en="Directory of medical institutions in Nanjing",
        summary="本数据集发布南京市医疗机构的名称、类别、等级、举办主体、地址、编制床位、"
        "急诊设置和联系电话。",
        summary_en="Medical institutions in Nanjing with category, grade, ownership, address, "
        "beds, emergency department and switchboard number.",
        keywords=["医疗机构", "医院", "社区卫生服务中心"],
        organization=ORG["nanjing-health"],
        region_code="320100",
        theme="卫生健康",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2024-10-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-09T11:00:00+08:00",
        version="2.2.0",
        tables=[
            m.Table(
                "institutions",
                "医疗机构",
                "每行一个医疗机构。",
                [
                    m.identifier("institution_id", "机构编号", "机构编号", r"^NJYL\d{4}$"),
                    m.string("name", "机构名称", "医疗机构名称", required=True, unique=True),
                    m.string("category", "机构类别", "医疗机构类别", required=True),
                    m.string(
                        "grade",
                        "等级",
                        "医院等级",
                        enum=["三级甲等", "三级乙等", "二级甲等", "二级乙等", "一级", "未定级"],
                    ),
                    m.string("ownership", "举办主体", "公立或社会办", enum=["公立", "社会办"]),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("address", "地址", "机构地址"),
                    m.integer("beds", "编制床位", "编制床位数", minimum=0),
                    m.boolean("emergency_department", "设置急诊", "是否设置急诊科"),
                    m.string("phone", "联系电话", "机构总机", pattern=r"^025-\d{8}$"),
                    *m.coordinates(NANJING.bbox),
                ],
                rows,
                primary_key=["institution_id"],
            )
        ],
    )


# --- Nanjing childcare -----------------------------------------------------------------------


def _childcare(rng: random.Random, district: District) -> m.Row:
    nature = weighted(rng, (("公办", 0.2), ("普惠性民办", 0.4), ("民办", 0.4)))
    street = rng.choice(district.streets)
    if nature == "公办":
        label = f"南京市{district.name}{street_short(street)}社区托育服务中心"
        fee = rng.randrange(1500, 2600, 100)
    elif rng.random() < 0.3:
        label = f"南京市{district.name}{street_short(street)}幼儿园（托班）"
        fee = rng.randrange(2000, 3600, 100)
    else:
        kind = rng.choice(("托育中心", "婴幼儿照护服务中心", "育儿园"))
        label = f"南京{rng.choice(BRANDS)}{kind}（{district.short}）"
        low, high = (2000, 3600) if nature == "普惠性民办" else (3500, 7600)
        fee = rng.randrange(low, high, 100)
    services = ["全日托", *rng.sample(("半日托", "计时托", "临时托"), rng.randint(0, 2))]
    return {
        "name": label,
        "district": district.name,
        "street": street,
        "address": address(rng, NANJING, district),
        "nature": nature,
        "service_types": "；".join(services),
        "capacity": rng.randrange(20, 160, 5),
        "age_range": rng.choice(("6-36个月", "12-36个月", "18-36个月", "24-36个月")),
        "monthly_fee_yuan": fee,
        "filing_date": random_date(rng, date(2020, 3, 1), date(2024, 12, 15)),
    }


def childcare() -> m.Package:
    name = "nanjing-childcare-institutions"
    rng = seeded(name)
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < 180:
        district = rng.choice(NANJING.districts)
        row = _childcare(rng, district)
        if row["name"] in seen:
            continue
        seen.add(row["name"])
        lon, lat = point(rng, district)
        rows.append(
            {"institution_id": f"NJTY{len(rows) + 1:04d}", **row, "longitude": lon, "latitude": lat}
        )
    return m.Package(
        name=name,
        title="南京市备案托育机构名录",
        title_en="Registered childcare (0-3 years) institutions in Nanjing",
        summary="本数据集发布在卫生健康部门备案的托育机构的名称、地址、性质、托育服务类型、"
        "托位数、收托月龄、月收费标准和备案日期。",
        summary_en="Childcare institutions for children under three registered with the health "
        "commission: address, nature, services, places, age range, monthly fee, filing date.",
        keywords=["托育机构", "婴幼儿照护", "普惠托育"],
        organization=ORG["nanjing-health"],
        region_code="320100",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2020-03-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-09T11:30:00+08:00",
        version="1.9.0",
        tables=[
            m.Table(
                "institutions",
                "托育机构",
                "每行一个备案托育机构。",
                [
                    m.identifier("institution_id", "机构编号", "机构编号", r"^NJTY\d{4}$"),
                    m.string("name", "机构名称", "托育机构名称", required=True, unique=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("street", "街道", "所在街道"),
                    m.string("address", "地址", "机构地址"),
                    m.string("nature", "机构性质", "机构性质", enum=["公办", "普惠性民办", "民办"]),
                    m.string("service_types", "服务类型", "托育服务类型，中文分号分隔"),
                    m.integer("capacity", "托位数", "备案托位数", minimum=0),
                    m.string("age_range", "收托月龄", "收托婴幼儿月龄范围"),
                    m.integer("monthly_fee_yuan", "月收费", "全日托月收费标准，元", minimum=0),
                    m.date("filing_date", "备案日期", "备案日期", required=True),
                    *m.coordinates(NANJING.bbox),
                ],
                rows,
                primary_key=["institution_id"],
            )
        ],
    )


BUILDERS = (medical_institutions, childcare)
