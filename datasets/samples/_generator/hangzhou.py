"""Hangzhou packages: libraries and museums, meals for older people, social organisations."""

from __future__ import annotations

import random

from . import model as m
from .common import seeded, street_short, weighted, words
from .geo import HANGZHOU, District, point
from .geo import street_address as address
from .names import BRANDS
from .orgs import ORG
from .shared import social_organizations

BBOX = HANGZHOU.bbox

# --- libraries and museums -------------------------------------------------------------------

_MUSEUM_THEMES = words(
    "丝绸 茶叶 工艺美术 刀剪剑 扇 伞 运河 中药 印学 陶瓷 古籍 钱币 服饰 玉器 木雕 石刻 船舶 "
    "铁路 邮政 消防 气象 地质 海洋 昆虫 植物 汽车 钟表 竹编 漆器 金石 家具 灯彩 皮影 越剧 "
    "武术 围棋 纺织 造纸 农耕 水利 桥梁 城市规划 儿童 自然 科技 书法 民俗 非遗 名人 教育"
)
_MUSEUM_KIND = {
    "丝绸 茶叶 刀剪剑 扇 伞 中药 船舶 铁路 邮政 消防 气象 汽车 纺织 造纸 水利 桥梁": "行业类",
    "地质 海洋 昆虫 植物 自然 科技 儿童 城市规划": "自然科技类",
    "工艺美术 印学 陶瓷 玉器 木雕 石刻 竹编 漆器 金石 家具 灯彩 书法": "艺术类",
}


def _museum_category(theme: str) -> str:
    for themes, kind in _MUSEUM_KIND.items():
        if theme in themes.split():
            return kind
    return "历史文化类"


def _libraries(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    main = HANGZHOU.district("上城区")
    entries: list[tuple[str, str, District]] = [("杭州图书馆", "市级", main)]
    for district in HANGZHOU.districts:
        entries.append((f"杭州市{district.name}图书馆", "区级", district))
        for street in rng.sample(district.streets, min(4, len(district.streets))):
            entries.append(
                (f"杭州市{district.name}图书馆{street_short(street)}分馆", "街道分馆", district)
            )
    size = {
        "市级": (40_000, 60_000, 300, 600),
        "区级": (8_000, 30_000, 60, 200),
        "街道分馆": (300, 2_500, 3, 20),
    }
    for serial, (label, level, district) in enumerate(entries, start=1):
        low, high, books_low, books_high = size[level]
        area = rng.randrange(low, high, 10)
        lon, lat = point(rng, district)
        rows.append(
            {
                "library_id": f"HZTS{serial:03d}",
                "name": label,
                "level": level,
                "district": district.name,
                "address": address(rng, HANGZHOU, district),
                "floor_area_m2": area,
                "collection_10k_volumes": round(rng.uniform(books_low, books_high), 1),
                "seats": round(area / rng.uniform(12, 25)),
                "opening_hours": "周一至周日 09:00-21:00"
                if level != "街道分馆"
                else rng.choice(("周二至周日 09:00-17:00", "周一至周日 09:00-20:30")),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _museums(rng: random.Random) -> list[m.Row]:
    entries: list[tuple[str, str, str, District | None]] = [
        (f"杭州市{d.name}博物馆", "综合类", "国有", d) for d in HANGZHOU.districts
    ]
    for theme in rng.sample(_MUSEUM_THEMES, 45):
        entries.append(
            (
                f"杭州{theme}博物馆",
                _museum_category(theme),
                "国有" if rng.random() < 0.6 else "非国有",
                None,
            )
        )
    brands = rng.sample(BRANDS, 16)
    for brand in brands:
        entries.append((f"杭州{brand}{rng.choice(('艺术馆', '美术馆'))}", "艺术类", "非国有", None))
    rows = []
    for serial, (label, kind, ownership, home) in enumerate(entries, start=1):
        district = home or rng.choice(HANGZHOU.districts)
        lon, lat = point(rng, district)
        free = ownership == "国有" or rng.random() < 0.3
        rows.append(
            {
                "museum_id": f"HZBWG{serial:03d}",
                "name": label,
                "category": kind,
                "ownership": ownership,
                "district": district.name,
                "address": address(rng, HANGZHOU, district),
                "free_admission": free,
                "annual_visitors_10k": round(
                    rng.lognormvariate(2.3, 0.8) if ownership == "国有" else rng.uniform(0.3, 6), 1
                ),
                "opening_hours": rng.choice(("09:00-16:30", "09:00-17:00", "09:30-16:30")),
                "closed_day": rng.choice(("周一", "周一", "周一", "周二")),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def libraries_museums() -> m.Package:
    name = "hangzhou-libraries-museums"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="杭州市公共图书馆和博物馆名录",
        title_en="Public libraries and museums in Hangzhou",
        summary="本数据集发布杭州市公共图书馆（市馆、区馆及街道分馆）和备案博物馆、美术馆的地址、"
        "规模、开放时间、是否免费和年接待观众量。",
        summary_en="Public libraries (city, district and branch libraries) and registered "
        "museums and galleries in Hangzhou with size, hours, admission and visitors.",
        keywords=["图书馆", "博物馆", "公共文化服务"],
        organization=ORG["zhejiang-culture-tourism"],
        region_code="330100",
        theme="文化休闲",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-02-14T10:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "libraries",
                "公共图书馆",
                "市级、区级公共图书馆和街道分馆。",
                [
                    m.identifier("library_id", "图书馆编号", "图书馆编号", r"^HZTS\d{3}$"),
                    m.string("name", "名称", "图书馆名称", required=True, unique=True),
                    m.string("level", "层级", "层级", enum=["市级", "区级", "街道分馆"]),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("address", "地址", "地址"),
                    m.integer("floor_area_m2", "建筑面积", "馆舍建筑面积，平方米", minimum=0),
                    m.number("collection_10k_volumes", "馆藏量", "纸质馆藏，万册", minimum=0),
                    m.integer("seats", "阅览座位", "阅览座位数", minimum=0),
                    m.string("opening_hours", "开放时间", "开放时间"),
                    *m.coordinates(BBOX),
                ],
                _libraries(rng),
                primary_key=["library_id"],
            ),
            m.Table(
                "museums",
                "博物馆和美术馆",
                "备案博物馆、美术馆（JSON 数组）。",
                [
                    m.identifier("museum_id", "博物馆编号", "博物馆编号", r"^HZBWG\d{3}$"),
                    m.string("name", "名称", "博物馆名称", required=True, unique=True),
                    m.string(
                        "category",
                        "类别",
                        "博物馆类别",
                        enum=["综合类", "历史文化类", "艺术类", "自然科技类", "行业类"],
                    ),
                    m.string("ownership", "性质", "国有或非国有", enum=["国有", "非国有"]),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("address", "地址", "地址"),
                    m.boolean("free_admission", "免费开放", "是否免费开放"),
                    m.number(
                        "annual_visitors_10k", "年接待观众", "2024年接待观众，万人次", minimum=0
                    ),
                    m.string("opening_hours", "开放时间", "开放时间"),
                    m.string("closed_day", "闭馆日", "每周闭馆日（法定节假日除外）"),
                    *m.coordinates(BBOX),
                ],
                _museums(rng),
                format="json",
                primary_key=["museum_id"],
            ),
        ],
    )


# --- meals for older people ----------------------------------------------------------------

_MEAL_POINTS = (("老年食堂", 0.45), ("助餐点", 0.45), ("中心厨房", 0.1))


def _meal_point(rng: random.Random, district: District) -> m.Row:
    street = rng.choice(district.streets)
    kind = weighted(rng, _MEAL_POINTS)
    community = (
        f"{street_short(street)}{rng.choice(('', '东', '西', '南', '北', '新', '一', '二'))}社区"
    )
    if kind == "中心厨房":
        label = f"{district.name}{street}中心厨房"
        seats, meals = 0, rng.randrange(300, 2000, 10)
    elif kind == "老年食堂":
        label = f"{street}{community}老年食堂"
        seats, meals = rng.randrange(30, 160, 2), rng.randrange(80, 500, 5)
    else:
        label = f"{street}{community}助餐点"
        seats, meals = rng.randrange(8, 40, 2), rng.randrange(20, 150, 5)
    return {
        "name": label,
        "point_type": kind,
        "district": district.name,
        "street": street,
        "address": address(rng, HANGZHOU, district),
        "seats": seats,
        "daily_meals": meals,
        "lunch_price_yuan": rng.choice((12, 13, 14, 15, 16, 18)),
        "senior_subsidy": rng.choice(
            (
                "60周岁以上每餐补助2元",
                "80周岁以上每餐补助3元",
                "60周岁以上每餐补助1元，80周岁以上补助3元",
            )
        ),
        "meal_delivery": kind == "中心厨房" or rng.random() < 0.45,
        "open_hours": rng.choice(("10:30-12:30", "10:30-13:00", "10:30-12:30；16:30-18:00")),
    }


def elderly_meals() -> m.Package:
    name = "hangzhou-elderly-meal-services"
    rng = seeded(name)
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < 260:
        district = rng.choice(HANGZHOU.districts)
        row = _meal_point(rng, district)
        if row["name"] in seen:
            continue
        seen.add(row["name"])
        lon, lat = point(rng, district)
        rows.append(
            {"point_id": f"HZZC{len(rows) + 1:04d}", **row, "longitude": lon, "latitude": lat}
        )
    return m.Package(
        name=name,
        title="杭州市老年助餐服务点",
        title_en="Meal services for older people in Hangzhou",
        summary="本数据集发布杭州市老年食堂、助餐点和中心厨房的地址、座位数、日均供餐量、午餐价格、"
        "老年人就餐补助标准、是否送餐上门和供餐时间。",
        summary_en="Canteens, meal points and central kitchens serving older people in Hangzhou "
        "with seats, meals per day, lunch price, senior subsidy, delivery and hours.",
        keywords=["老年食堂", "助餐服务", "居家养老"],
        organization=ORG["hangzhou-civil-affairs"],
        region_code="330100",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2024-10-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-11T09:00:00+08:00",
        version="1.7.0",
        tables=[
            m.Table(
                "meal_points",
                "助餐服务点",
                "每行一个助餐服务点。",
                [
                    m.identifier("point_id", "服务点编号", "服务点编号", r"^HZZC\d{4}$"),
                    m.string("name", "名称", "服务点名称", required=True, unique=True),
                    m.string("point_type", "类型", "服务点类型", enum=[k for k, _ in _MEAL_POINTS]),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("street", "街道", "所在街道"),
                    m.string("address", "地址", "地址"),
                    m.integer("seats", "就餐座位", "堂食座位数，中心厨房为0", minimum=0),
                    m.integer("daily_meals", "日均供餐", "日均供餐份数", minimum=0),
                    m.integer("lunch_price_yuan", "午餐价格", "标准午餐价格，元", minimum=0),
                    m.string("senior_subsidy", "就餐补助", "老年人就餐补助标准"),
                    m.boolean("meal_delivery", "送餐上门", "是否提供送餐上门"),
                    m.string("open_hours", "供餐时间", "供餐时间"),
                    *m.coordinates(BBOX),
                ],
                rows,
                primary_key=["point_id"],
            )
        ],
    )


def social_orgs() -> m.Package:
    name = "hangzhou-social-organizations"
    return social_organizations(
        name=name,
        rng=seeded(name),
        where=HANGZHOU,
        district_codes={},
        count=260,
        organization=ORG["hangzhou-civil-affairs"],
        region_code="330100",
        title_en="Registered social organisations in Hangzhou",
        created="2025-01-03T15:00:00+08:00",
    )


BUILDERS = (libraries_museums, elderly_meals, social_orgs)
