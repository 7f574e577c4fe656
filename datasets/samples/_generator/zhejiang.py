"""Zhejiang packages: provincial environment, statistics and culture departments."""

from __future__ import annotations

import random
from datetime import date

from . import model as m
from .common import days, months, seeded, weighted, words
from .environment import air_fields, air_sample, water_fields, water_sample
from .geo import ZHEJIANG_CITIES, City, District, point
from .geo import street_address as address
from .indices import class_rank
from .orgs import ORG

PROVINCE_BBOX = (118.00, 27.00, 122.95, 31.20)
CITY_CODES = sorted(c.code for c in ZHEJIANG_CITIES)

# --- city air quality ----------------------------------------------------------------------

# PM2.5 level relative to the provincial mean: the north (Hangzhou Bay) is dustier.
_AIR_BIAS = {
    "杭州市": 1.15,
    "宁波市": 0.95,
    "温州市": 0.9,
    "嘉兴市": 1.15,
    "湖州市": 1.15,
    "绍兴市": 1.15,
    "金华市": 1.05,
    "衢州市": 1.05,
    "舟山市": 0.6,
    "台州市": 0.8,
    "丽水市": 0.75,
}


def _city_air_rows(rng: random.Random, first: date, last: date) -> list[m.Row]:
    rows = []
    base = 28.0
    for day in days(first, last):
        progress = (day - first).days / 90
        base = 0.6 * base + 0.4 * 20 * (1 + progress) * rng.lognormvariate(0, 0.4)
        ozone = rng.gauss(118 - 55 * progress, 22)
        for where in ZHEJIANG_CITIES:
            sample = air_sample(
                rng,
                pm25=base * _AIR_BIAS[where.name] * rng.lognormvariate(0, 0.15),
                ozone=ozone,
                traffic=1.1 if where.name in ("杭州市", "宁波市") else 0.9,
            )
            rows.append({"city_code": where.code, "city_name": where.name, "date": day, **sample})
    return rows


def city_air_quality() -> m.Package:
    name = "zj-city-air-quality-daily"
    rng = seeded(name)
    first, last = date(2024, 10, 1), date(2024, 12, 29)
    return m.Package(
        name=name,
        title="浙江省设区市环境空气质量日报",
        title_en="Daily ambient air quality of Zhejiang's prefecture-level cities",
        summary="本数据集发布全省11个设区市逐日的环境空气质量指数（AQI）、空气质量级别、首要污染物"
        "和六项污染物日均浓度。",
        summary_en="Daily AQI, quality level, primary pollutant and six pollutant concentrations "
        "of Zhejiang's 11 cities, October to December 2024.",
        keywords=["空气质量", "空气质量指数", "日报", "设区市"],
        organization=ORG["zhejiang-ecology-environment"],
        region_code="330000",
        theme="资源环境",
        open_class="unconditional",
        update_frequency="daily",
        temporal=(first.isoformat(), last.isoformat()),
        licence="cc-by-4.0",
        created="2024-12-30T08:30:00+08:00",
        version="4.90.0",
        tables=[
            m.Table(
                "daily",
                "设区市逐日空气质量",
                "每市每日一行。",
                [
                    m.string(
                        "city_code",
                        "行政区划代码",
                        "GB/T 2260 设区市代码",
                        required=True,
                        enum=CITY_CODES,
                    ),
                    m.string("city_name", "设区市", "设区市名称", required=True),
                    m.date("date", "日期", "日期", required=True),
                    *air_fields(),
                ],
                _city_air_rows(rng, first, last),
                primary_key=["city_code", "date"],
            )
        ],
    )


# --- drinking water sources ----------------------------------------------------------------

_RESERVOIR_WORDS = words(
    "青山 白沙 龙潭 梅溪 双溪 九龙 石门 东坑 西坑 南山 大岭 桃源 岭下 云峰 白岩 上林 银坑 "
    "枫树岭 龙门坑 坑口"
)
# Rivers used for drinking water, with a district they flow through.
_RIVERS = {
    "杭州市": "富春江:富阳区 钱塘江:萧山区 东苕溪:余杭区",
    "宁波市": "姚江:江北区",
    "温州市": "瓯江:鹿城区 瓯江:龙湾区",
    "嘉兴市": "太浦河:嘉善县 长山河:南湖区",
    "湖州市": "东苕溪:吴兴区 西苕溪:吴兴区",
    "绍兴市": "曹娥江:上虞区",
    "金华市": "金华江:婺城区 东阳江:金东区",
    "衢州市": "衢江:衢江区 乌溪江:柯城区",
    "舟山市": "",
    "台州市": "椒江:椒江区",
    "丽水市": "瓯江:莲都区 好溪:莲都区",
}


def _water_sources(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < 60:
        where = rng.choice(ZHEJIANG_CITIES)
        district = rng.choice(where.districts)
        rivers = _RIVERS[where.name].split()
        reservoir = not rivers or rng.random() < 0.6
        if reservoir:
            label = f"{district.short}{rng.choice(_RESERVOIR_WORDS)}水库饮用水水源地"
        else:
            river, on = rng.choice(rivers).split(":")
            district = where.district(on)
            label = f"{river}{district.short}段饮用水水源地"
        if label in names:
            continue
        names.add(label)
        lon, lat = point(rng, district)
        rows.append(
            {
                "source_code": f"ZJYS{len(rows) + 1:03d}",
                "source_name": label,
                "city": where.name,
                "county": district.name,
                "source_type": "湖库型" if reservoir else "河流型",
                "served_population_10k": round(rng.uniform(5, 320), 1),
                "protection_area_km2": round(rng.uniform(1.5, 120), 2),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _source_monthly(rng: random.Random, sources: list[m.Row]) -> list[m.Row]:
    rows = []
    for source in sources:
        cleanliness = rng.uniform(0.75, 0.98)
        for period in months("2024-01", "2024-12"):
            sample = water_sample(
                rng,
                int(period[5:]),
                lake=source["source_type"] == "湖库型",
                cleanliness=cleanliness,
            )
            rows.append(
                {
                    "source_code": source["source_code"],
                    "month": period,
                    **sample,
                    "meets_standard": class_rank(str(sample["water_class"])) <= class_rank("Ⅲ"),
                }
            )
    return rows


def drinking_water() -> m.Package:
    name = "zj-drinking-water-sources"
    rng = seeded(name)
    sources = _water_sources(rng)
    return m.Package(
        name=name,
        title="浙江省县级以上集中式饮用水水源地水质状况",
        title_en="Water quality of Zhejiang's centralised drinking-water sources",
        summary="本数据集发布县级以上集中式饮用水水源地的名称、类型、服务人口、保护区面积和位置，"
        "以及2024年逐月水质监测结果和达标情况。",
        summary_en="Centralised drinking-water sources (county level and above) with type, "
        "population served, protection zone and location, and their 2024 monthly quality.",
        keywords=["饮用水水源地", "水质", "水源保护"],
        organization=ORG["zhejiang-ecology-environment"],
        region_code="330000",
        theme="资源环境",
        open_class="conditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="other-open",
        created="2025-01-16T15:00:00+08:00",
        version="1.12.0",
        tables=[
            m.Table(
                "sources",
                "饮用水水源地",
                "县级以上集中式饮用水水源地。",
                [
                    m.identifier("source_code", "水源地编码", "水源地编码", r"^ZJYS\d{3}$"),
                    m.string("source_name", "水源地名称", "水源地名称", required=True, unique=True),
                    m.string("city", "设区市", "所在设区市", required=True),
                    m.string("county", "县（市、区）", "所在县级行政区"),
                    m.string(
                        "source_type", "水源类型", "湖库型或河流型", enum=["湖库型", "河流型"]
                    ),
                    m.number("served_population_10k", "服务人口", "服务人口，万人", minimum=0),
                    m.number(
                        "protection_area_km2", "保护区面积", "保护区面积，平方公里", minimum=0
                    ),
                    *m.coordinates(PROVINCE_BBOX),
                ],
                sources,
                primary_key=["source_code"],
            ),
            m.Table(
                "monthly_quality",
                "逐月水质",
                "各水源地2024年逐月监测结果（Ⅲ类及以上为达标）。",
                [
                    m.reference("source_code", "水源地编码", "对应饮用水水源地表"),
                    m.yearmonth("month", "监测月份", "监测月份（YYYY-MM）"),
                    *water_fields(),
                    m.boolean("meets_standard", "是否达标", "是否达到Ⅲ类及以上"),
                ],
                _source_monthly(rng, sources),
                primary_key=["source_code", "month"],
                foreign_keys=[(["source_code"], "sources", ["source_code"])],
            ),
        ],
    )


# --- GDP and population by city --------------------------------------------------------------

# 2024 anchors (rounded public orders of magnitude): GDP 100m yuan, primary and secondary
# shares (%), resident population (10k), its yearly growth (%), urbanisation (%).
_CITY_FACTS: dict[str, tuple[float, float, float, float, float, float]] = {
    "杭州市": (21860, 1.7, 29.0, 1262.4, 3.0, 84.0),
    "宁波市": (18148, 2.3, 46.0, 969.7, 2.0, 79.0),
    "温州市": (9719, 1.9, 41.0, 976.0, 0.8, 74.0),
    "嘉兴市": (7569, 2.0, 52.0, 562.4, 1.5, 73.0),
    "湖州市": (4300, 4.0, 50.0, 344.6, 0.8, 68.0),
    "绍兴市": (8369, 3.2, 46.0, 538.3, 0.8, 72.0),
    "金华市": (6500, 2.8, 40.0, 719.8, 1.5, 71.0),
    "衢州市": (2300, 5.0, 44.0, 229.5, 0.2, 60.0),
    "舟山市": (2100, 9.5, 45.0, 117.3, 0.3, 73.0),
    "台州市": (6600, 5.0, 43.0, 669.8, 0.5, 66.0),
    "丽水市": (2100, 5.5, 39.0, 251.1, 0.3, 65.0),
}
# Nominal GDP growth (%) of each year over the year before, 2016-2024.
_NOMINAL_GROWTH = dict(
    zip(range(2016, 2025), (8.0, 9.5, 9.0, 8.0, 3.5, 12.5, 4.5, 6.0, 5.0), strict=True)
)
# Growth at comparable prices (%), provincial pattern; cities scatter around it.
_REAL_GROWTH = dict(
    zip(range(2016, 2025), (7.6, 7.8, 7.1, 6.8, 3.6, 8.5, 3.1, 6.0, 5.5), strict=True)
)
YEARS = range(2015, 2025)


def _series(rng: random.Random, where: City) -> dict[int, dict[str, float]]:
    gdp, primary, secondary, population, pop_growth, urban = _CITY_FACTS[where.name]
    out: dict[int, dict[str, float]] = {}
    for year in reversed(YEARS):
        back = 2024 - year
        out[year] = {
            "gdp": gdp,
            "primary": primary + 0.15 * back,
            "secondary": secondary + 0.5 * back,
            "population": population,
            "urban": urban - 0.8 * back,
        }
        growth = _NOMINAL_GROWTH.get(year)
        if growth is not None:
            gdp /= 1 + (growth + rng.uniform(-1.5, 1.5)) / 100
            population /= 1 + (pop_growth + rng.uniform(-0.3, 0.3)) / 100
    return out


def _gdp_and_population(rng: random.Random) -> tuple[list[m.Row], list[m.Row]]:
    gdp_rows, population_rows = [], []
    for where in ZHEJIANG_CITIES:
        series = _series(rng, where)
        for year in YEARS:
            point_ = series[year]
            gdp = round(point_["gdp"], 2)
            primary = round(gdp * point_["primary"] / 100, 2)
            secondary = round(gdp * point_["secondary"] / 100, 2)
            real = _REAL_GROWTH.get(year)
            gdp_rows.append(
                {
                    "city_code": where.code,
                    "city_name": where.name,
                    "year": year,
                    "gdp_100m_yuan": gdp,
                    "primary_industry_100m_yuan": primary,
                    "secondary_industry_100m_yuan": secondary,
                    "tertiary_industry_100m_yuan": round(gdp - primary - secondary, 2),
                    "real_growth_pct": round(real + rng.uniform(-1.0, 1.0), 1) if real else None,
                    "per_capita_gdp_yuan": round(gdp * 1e8 / (point_["population"] * 1e4)),
                }
            )
            births = rng.uniform(10.5, 11.5) - (year - 2015) * 0.5
            deaths = rng.uniform(5.9, 6.6) + (year - 2015) * 0.06
            population = round(point_["population"], 1)
            population_rows.append(
                {
                    "city_code": where.code,
                    "city_name": where.name,
                    "year": year,
                    "resident_population_10k": population,
                    "urban_population_10k": round(population * point_["urban"] / 100, 1),
                    "urbanization_rate_pct": round(point_["urban"], 1),
                    "birth_rate_permille": round(births, 2),
                    "death_rate_permille": round(deaths, 2),
                    "natural_growth_rate_permille": round(births - deaths, 2),
                }
            )
    return gdp_rows, population_rows


def _city_key() -> list[m.Field]:
    return [
        m.string(
            "city_code", "行政区划代码", "GB/T 2260 设区市代码", required=True, enum=CITY_CODES
        ),
        m.string("city_name", "设区市", "设区市名称", required=True),
        m.year("year", "年份", "统计年度"),
    ]


def gdp_by_city() -> m.Package:
    name = "zj-gdp-by-city"
    gdp_rows, _ = _gdp_and_population(seeded("zj-city-statistics"))
    yuan = "亿元，当年价格"
    return m.Package(
        name=name,
        title="浙江省各设区市地区生产总值",
        title_en="GDP of Zhejiang's prefecture-level cities, 2015-2024",
        summary="本数据集发布2015—2024年全省11个设区市的地区生产总值及三次产业增加值、"
        "按可比价格计算的增长速度和人均地区生产总值。",
        summary_en="GDP of the 11 cities of Zhejiang with value added of the three sectors, "
        "real growth and GDP per capita, 2015-2024.",
        keywords=["地区生产总值", "经济总量", "三次产业", "统计年鉴"],
        organization=ORG["zhejiang-statistics"],
        region_code="330000",
        theme="经济建设",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2015-01-01", "2024-12-31"),
        licence="cc0-1.0",
        created="2025-03-10T09:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "gdp",
                "设区市地区生产总值",
                "每市每年一行。",
                [
                    *_city_key(),
                    m.number("gdp_100m_yuan", "地区生产总值", yuan, minimum=0),
                    m.number("primary_industry_100m_yuan", "第一产业增加值", yuan, minimum=0),
                    m.number("secondary_industry_100m_yuan", "第二产业增加值", yuan, minimum=0),
                    m.number("tertiary_industry_100m_yuan", "第三产业增加值", yuan, minimum=0),
                    m.number(
                        "real_growth_pct", "增长速度", "按可比价格计算的增长率（%），2015年为空"
                    ),
                    m.integer("per_capita_gdp_yuan", "人均地区生产总值", "按常住人口计算，元"),
                ],
                gdp_rows,
                primary_key=["city_code", "year"],
            )
        ],
    )


def population_by_city() -> m.Package:
    name = "zj-resident-population-by-city"
    _, population_rows = _gdp_and_population(seeded("zj-city-statistics"))
    return m.Package(
        name=name,
        title="浙江省各设区市常住人口与城镇化率",
        title_en="Resident population and urbanisation of Zhejiang's cities, 2015-2024",
        summary="本数据集发布2015—2024年全省11个设区市的年末常住人口、城镇人口、城镇化率以及"
        "人口出生率、死亡率和自然增长率。",
        summary_en="Year-end resident and urban population, urbanisation rate, birth, death and "
        "natural growth rates of Zhejiang's 11 cities, 2015-2024.",
        keywords=["常住人口", "城镇化率", "人口统计"],
        organization=ORG["zhejiang-statistics"],
        region_code="330000",
        theme="社会发展",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2015-01-01", "2024-12-31"),
        licence="cc0-1.0",
        created="2025-03-10T09:10:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "population",
                "设区市人口",
                "每市每年一行。",
                [
                    *_city_key(),
                    m.number("resident_population_10k", "年末常住人口", "万人", minimum=0),
                    m.number("urban_population_10k", "城镇人口", "万人", minimum=0),
                    m.number("urbanization_rate_pct", "城镇化率", "%", minimum=0, maximum=100),
                    m.number("birth_rate_permille", "出生率", "‰", minimum=0),
                    m.number("death_rate_permille", "死亡率", "‰", minimum=0),
                    m.number("natural_growth_rate_permille", "自然增长率", "‰"),
                ],
                population_rows,
                primary_key=["city_code", "year"],
            )
        ],
    )


# --- A-level scenic areas --------------------------------------------------------------------

_SCENIC_WORDS = words(
    "龙门 石门 桃花 清溪 云溪 翠峰 白云 凤凰 莲花 青龙 飞瀑 竹海 梅岭 月湖 枫林 茶园 花海 "
    "天池 峡谷 溪口 渔村 古堰 书院 红岩 仙人 金沙 银湖 松谷 鹿鸣 芦花"
)
_SCENIC_SUFFIX = (
    ("景区", "自然景观"),
    ("风景区", "自然景观"),
    ("古镇", "历史文化"),
    ("古村落", "历史文化"),
    ("湿地公园", "自然景观"),
    ("森林公园", "自然景观"),
    ("文化园", "历史文化"),
    ("田园综合体", "乡村旅游"),
    ("村景区", "乡村旅游"),
    ("度假区", "度假休闲"),
    ("主题乐园", "主题乐园"),
    ("革命纪念地", "红色旅游"),
    ("工业旅游区", "工业旅游"),
)
_SCENIC_WEIGHT = {
    "杭州市": 40,
    "宁波市": 35,
    "温州市": 35,
    "嘉兴市": 20,
    "湖州市": 25,
    "绍兴市": 30,
    "金华市": 35,
    "衢州市": 25,
    "舟山市": 15,
    "台州市": 30,
    "丽水市": 30,
}


def _scenic_row(
    rng: random.Random, where: City, district: District, label: str, kind: str
) -> m.Row:
    level = weighted(rng, (("5A", 0.04), ("4A", 0.3), ("3A", 0.5), ("2A", 0.12), ("A", 0.04)))
    free = kind in ("乡村旅游", "红色旅游") or rng.random() < 0.4
    top = {"5A": 260, "4A": 150, "3A": 80, "2A": 50, "A": 30}[level]
    lon, lat = point(rng, district)
    return {
        "name": label,
        "level": level,
        "city": where.name,
        "county": district.name,
        "address": address(rng, where, district),
        "category": kind,
        "rated_year": rng.randint(2007 if level == "5A" else 2001, 2024),
        "ticket_price_yuan": 0 if free else rng.randrange(20, top + 1, 5),
        "longitude": lon,
        "latitude": lat,
    }


def scenic_areas() -> m.Package:
    name = "zj-a-level-scenic-areas"
    rng = seeded(name)
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < 300:
        where = weighted(rng, [(c, _SCENIC_WEIGHT[c.name]) for c in ZHEJIANG_CITIES])
        district = rng.choice(where.districts)
        suffix, kind = rng.choice(_SCENIC_SUFFIX)
        label = f"{district.short}{rng.choice(_SCENIC_WORDS)}{suffix}"
        if label in names:
            continue
        names.add(label)
        rows.append(
            {
                "scenic_id": f"ZJJQ{len(rows) + 1:04d}",
                **_scenic_row(rng, where, district, label, kind),
            }
        )
    return m.Package(
        name=name,
        title="浙江省A级旅游景区名录",
        title_en="A-level tourist attractions in Zhejiang",
        summary="本数据集发布全省A级旅游景区的名称、等级、所在地、类型、评定年份、门票价格和位置。",
        summary_en="Rated (A to 5A) tourist attractions in Zhejiang with level, location, type, "
        "year rated and ticket price.",
        keywords=["A级景区", "旅游景区", "文旅"],
        organization=ORG["zhejiang-culture-tourism"],
        region_code="330000",
        theme="文化休闲",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2001-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-12T10:00:00+08:00",
        version="2024.1.0",
        tables=[
            m.Table(
                "scenic_areas",
                "A级旅游景区",
                "每行一个A级旅游景区。",
                [
                    m.identifier("scenic_id", "景区编号", "景区编号", r"^ZJJQ\d{4}$"),
                    m.string("name", "景区名称", "景区名称", required=True, unique=True),
                    m.string(
                        "level",
                        "等级",
                        "A级景区等级",
                        required=True,
                        enum=["5A", "4A", "3A", "2A", "A"],
                    ),
                    m.string("city", "设区市", "所在设区市", required=True),
                    m.string("county", "县（市、区）", "所在县级行政区"),
                    m.string("address", "地址", "景区地址"),
                    m.string(
                        "category",
                        "景区类型",
                        "景区类型",
                        enum=sorted({k for _, k in _SCENIC_SUFFIX}),
                    ),
                    m.integer("rated_year", "评定年份", "评定为现等级的年份", minimum=2000),
                    m.integer(
                        "ticket_price_yuan", "门票价格", "成人门票价格，元；0为免费", minimum=0
                    ),
                    *m.coordinates(PROVINCE_BBOX),
                ],
                rows,
                primary_key=["scenic_id"],
            )
        ],
    )


BUILDERS = (
    city_air_quality,
    drinking_water,
    gdp_by_city,
    population_by_city,
    scenic_areas,
)
