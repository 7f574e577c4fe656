"""Shanghai packages of the district bureaus (徐汇, 普陀, 浦东) and the city's service windows."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import model as m
from .common import seeded, street_short, weighted
from .geo import SHANGHAI, City, District, point
from .geo import street_address as address
from .names import company
from .orgs import ORG
from .shared import ServiceHall, matters_table, windows_table

XUHUI = SHANGHAI.district("徐汇区")
PUTUO = SHANGHAI.district("普陀区")
PUDONG = SHANGHAI.district("浦东新区")


def _district_bbox(district: District) -> tuple[float, float, float, float]:
    return City("", "", "", "", 0, (district,)).bbox


# --- 徐汇 public toilets ---------------------------------------------------------------

_XUHUI_PARKS = {
    "徐家汇公园": "综合公园",
    "桂林公园": "专类公园",
    "康健园": "综合公园",
    "漕溪公园": "社区公园",
    "光启公园": "专类公园",
    "华泾公园": "综合公园",
    "衡山公园": "社区公园",
    "襄阳公园": "社区公园",
    "徐汇滨江绿地": "滨江绿地",
    "龙华公园": "社区公园",
    "田林园": "社区公园",
    "长桥公园": "社区公园",
}


def _toilet(rng: random.Random, serial: int, name: str, road: str | None) -> m.Row:
    category = weighted(rng, (("独立式", 0.6), ("附属式", 0.35), ("活动式", 0.05)))
    grade = weighted(rng, (("一类", 0.35), ("二类", 0.55), ("三类", 0.1)))
    male = rng.randint(2, 8)
    lon, lat = point(rng, XUHUI)
    return {
        "toilet_id": f"XHGC{serial:03d}",
        "name": name,
        "street": rng.choice(XUHUI.streets),
        "address": address(rng, SHANGHAI, XUHUI, road),
        "category": category,
        "grade": grade,
        "male_positions": male,
        "female_positions": round(male * rng.uniform(1.5, 2.0)),
        "accessible_positions": rng.randint(1, 2) if grade != "三类" else rng.randint(0, 1),
        "third_restroom": grade == "一类" or rng.random() < 0.3,
        "baby_care": grade == "一类" and rng.random() < 0.7,
        "open_hours": rng.choice(("全天24小时", "全天24小时", "05:30-22:00", "06:00-21:00")),
        "longitude": lon,
        "latitude": lat,
    }


def public_toilets() -> m.Package:
    name = "xuhui-public-toilets"
    rng = seeded(name)
    named: dict[str, str | None] = {}
    while len(named) < 90:
        road, other = rng.sample(XUHUI.roads, 2)
        candidate, on = weighted(
            rng,
            (
                ((f"{rng.choice(sorted(_XUHUI_PARKS))}公厕", None), 0.2),
                ((f"{road}公厕", road), 0.4),
                ((f"{road}（近{other}）公厕", road), 0.4),
            ),
        )
        named.setdefault(candidate, on)
    rows = [
        _toilet(rng, serial, item, road)
        for serial, (item, road) in enumerate(named.items(), start=1)
    ]
    return m.Package(
        name=name,
        title="徐汇区公共厕所分布信息",
        title_en="Public toilets in Xuhui District",
        summary="本数据集发布徐汇区城市公共厕所的名称、地址、类别、等级、男女厕位数、无障碍厕位、"
        "第三卫生间与母婴室设置情况和开放时间。",
        summary_en="Public toilets of Xuhui District with address, category, grade, "
        "positions, accessible facilities, family restrooms and opening hours.",
        keywords=["公共厕所", "公厕", "市容环卫", "无障碍设施"],
        organization=ORG["xuhui-greening-cityscape"],
        region_code="310104",
        theme="城市建设",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-20T09:00:00+08:00",
        version="2024.1.0",
        tables=[
            m.Table(
                "toilets",
                "公共厕所",
                "徐汇区城市公共厕所清单。",
                [
                    m.identifier("toilet_id", "公厕编号", "公厕编号", r"^XHGC\d{3}$"),
                    m.string("name", "名称", "公厕名称", required=True, unique=True),
                    m.string("street", "街道（镇）", "所在街道或镇", enum=list(XUHUI.streets)),
                    m.string("address", "地址", "公厕地址"),
                    m.string(
                        "category",
                        "类别",
                        "独立式、附属式或活动式",
                        enum=["独立式", "附属式", "活动式"],
                    ),
                    m.string(
                        "grade",
                        "等级",
                        "按 CJJ 14 城市公共厕所设计标准的类别",
                        enum=["一类", "二类", "三类"],
                    ),
                    m.integer("male_positions", "男厕位", "男厕位数", minimum=0),
                    m.integer("female_positions", "女厕位", "女厕位数", minimum=0),
                    m.integer("accessible_positions", "无障碍厕位", "无障碍厕位数", minimum=0),
                    m.boolean("third_restroom", "第三卫生间", "是否设置第三卫生间（家庭卫生间）"),
                    m.boolean("baby_care", "母婴室", "是否设置母婴室"),
                    m.string("open_hours", "开放时间", "开放时间"),
                    *m.coordinates(_district_bbox(XUHUI)),
                ],
                rows,
                primary_key=["toilet_id"],
            )
        ],
    )


# --- 徐汇 parks ------------------------------------------------------------------------

_PARK_KINDS = {
    "综合公园": (50_000, 150_000),
    "社区公园": (5_000, 30_000),
    "专类公园": (10_000, 60_000),
    "口袋公园": (500, 5_000),
    "滨江绿地": (20_000, 90_000),
}
_FACILITIES = (
    "儿童游乐",
    "健身步道",
    "公共厕所",
    "健身苑点",
    "休憩廊架",
    "无障碍通道",
    "自行车停放",
)


def _park_rows(rng: random.Random) -> list[m.Row]:
    named = list(_XUHUI_PARKS.items())
    names = set(_XUHUI_PARKS)
    while len(named) < 42:
        kind = weighted(rng, (("社区公园", 0.4), ("口袋公园", 0.6)))
        if kind == "社区公园":
            candidate = f"{street_short(rng.choice(XUHUI.streets))}社区公园"
        else:
            candidate = f"{rng.choice(XUHUI.roads)}{rng.choice(('口袋公园', '街心花园'))}"
        if candidate not in names:
            names.add(candidate)
            named.append((candidate, kind))
    rows = []
    for serial, (park, kind) in enumerate(named, start=1):
        low, high = _PARK_KINDS[kind]
        lon, lat = point(rng, XUHUI)
        rows.append(
            {
                "park_id": f"XHGY{serial:03d}",
                "name": park,
                "park_type": kind,
                "street": rng.choice(XUHUI.streets),
                "address": address(rng, SHANGHAI, XUHUI),
                "area_m2": rng.randrange(low, high, 10),
                "free_admission": True,
                "open_hours": "全天开放"
                if kind in ("口袋公园", "滨江绿地")
                else rng.choice(("05:00-22:00", "06:00-21:00")),
                "opened_year": rng.randint(1950, 2010)
                if kind == "综合公园"
                else rng.randint(1995, 2024),
                "facilities": "；".join(sorted(rng.sample(_FACILITIES, rng.randint(2, 5)))),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def parks() -> m.Package:
    name = "xuhui-parks-green-space"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="徐汇区公园绿地名录",
        title_en="Parks and public green spaces in Xuhui District",
        summary="本数据集发布徐汇区综合公园、社区公园、口袋公园和滨江绿地的类型、面积、开放时间与"
        "主要配套设施。",
        summary_en="Parks, pocket parks and riverside green spaces of Xuhui District with type, "
        "area, opening hours and facilities.",
        keywords=["公园", "口袋公园", "绿地", "休闲游憩"],
        organization=ORG["xuhui-greening-cityscape"],
        region_code="310104",
        theme="文化休闲",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc0-1.0",
        created="2025-01-20T09:30:00+08:00",
        version="2024.1.0",
        tables=[
            m.Table(
                "parks",
                "公园绿地",
                "徐汇区公园与公共绿地。",
                [
                    m.identifier("park_id", "公园编号", "公园编号", r"^XHGY\d{3}$"),
                    m.string("name", "名称", "公园或绿地名称", required=True, unique=True),
                    m.string("park_type", "类型", "公园类型", enum=sorted(_PARK_KINDS)),
                    m.string("street", "街道（镇）", "所在街道或镇"),
                    m.string("address", "地址", "主入口地址"),
                    m.integer("area_m2", "面积", "占地面积，平方米", minimum=0),
                    m.boolean("free_admission", "免费开放", "是否免费开放"),
                    m.string("open_hours", "开放时间", "开放时间"),
                    m.integer("opened_year", "建成开放年份", "建成开放年份", minimum=1900),
                    m.string("facilities", "主要设施", "主要配套设施，中文分号分隔"),
                    *m.coordinates(_district_bbox(XUHUI)),
                ],
                _park_rows(rng),
                primary_key=["park_id"],
            )
        ],
    )


# --- 普陀 schools ----------------------------------------------------------------------

_STAGES = (
    ("小学", 30, (12, 36)),
    ("初级中学", 14, (12, 28)),
    ("九年一贯制学校", 8, (20, 45)),
    ("完全中学", 5, (18, 36)),
    ("高级中学", 7, (12, 30)),
    ("特殊教育学校", 2, (8, 16)),
)
_CN_ORDINALS = "一二三四五六七八"


def _school_names(rng: random.Random, stage: str, count: int, taken: set[str]) -> list[str]:
    places = [street_short(s) for s in PUTUO.streets] + [road[:-1] for road in PUTUO.roads]
    names: list[str] = []
    while len(names) < count:
        place = rng.choice(places)
        if stage == "小学":
            candidate = (
                f"上海市普陀区{place}{rng.choice(('', '第' + rng.choice(_CN_ORDINALS)))}小学"
            )
        elif stage == "初级中学":
            candidate = f"上海市普陀区{place}初级中学"
        elif stage == "九年一贯制学校":
            candidate = f"上海市普陀区{place}学校"
        elif stage == "特殊教育学校":
            candidate = f"上海市普陀区{place}辅读学校"
        else:
            candidate = f"上海市{place}{rng.choice(('', '第' + rng.choice(_CN_ORDINALS)))}中学"
        if candidate not in taken:
            taken.add(candidate)
            names.append(candidate)
    return names


def _school_rows(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    taken: set[str] = set()
    for stage, count, (low, high) in _STAGES:
        for school in _school_names(rng, stage, count, taken):
            classes = rng.randint(low, high)
            size = rng.randint(8, 14) if stage == "特殊教育学校" else rng.randint(30, 42)
            students = classes * size
            lon, lat = point(rng, PUTUO)
            rows.append(
                {
                    "school_id": f"310107{len(rows) + 1:03d}",
                    "name": school,
                    "stage": stage,
                    "ownership": "民办"
                    if stage != "特殊教育学校" and rng.random() < 0.1
                    else "公办",
                    "street": rng.choice(PUTUO.streets),
                    "address": address(rng, SHANGHAI, PUTUO),
                    "classes": classes,
                    "students": students,
                    "full_time_teachers": round(students / rng.uniform(10.5, 14.0))
                    if stage != "特殊教育学校"
                    else round(students / rng.uniform(3, 4.5)),
                    "founded_year": rng.randint(1905, 2018),
                    "longitude": lon,
                    "latitude": lat,
                }
            )
    return rows


def schools() -> m.Package:
    name = "putuo-primary-secondary-schools"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="普陀区中小学校名录",
        title_en="Primary and secondary schools in Putuo District",
        summary="本数据集发布普陀区中小学及特殊教育学校的学段、办学性质、地址、班级数、在校学生数、"
        "专任教师数和建校年份（2024学年）。",
        summary_en="Primary, secondary and special education schools of Putuo District with "
        "stage, ownership, address, classes, pupils and teachers (school year 2024).",
        keywords=["中小学", "学校名录", "基础教育"],
        organization=ORG["putuo-education"],
        region_code="310107",
        theme="教育科技",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2024-09-01", "2025-06-30"),
        licence="cc-by-4.0",
        created="2024-10-15T15:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "schools",
                "中小学校",
                "2024学年普陀区中小学校。",
                [
                    m.identifier("school_id", "学校编号", "学校编号", r"^310107\d{3}$"),
                    m.string("name", "学校名称", "学校名称", required=True, unique=True),
                    m.string(
                        "stage", "学段", "学校类型", required=True, enum=[s for s, _, _ in _STAGES]
                    ),
                    m.string("ownership", "办学性质", "公办或民办", enum=["公办", "民办"]),
                    m.string("street", "街道（镇）", "所在街道或镇"),
                    m.string("address", "地址", "学校地址"),
                    m.integer("classes", "班级数", "班级数", minimum=1),
                    m.integer("students", "在校学生数", "在校学生数", minimum=0),
                    m.integer("full_time_teachers", "专任教师数", "专任教师数", minimum=0),
                    m.integer("founded_year", "建校年份", "建校年份", minimum=1850),
                    *m.coordinates(_district_bbox(PUTUO)),
                ],
                _school_rows(rng),
                primary_key=["school_id"],
            )
        ],
    )


# --- 浦东 construction permits ---------------------------------------------------------

_BUILDINGS = (
    ("商品住宅项目", "房屋建筑工程", "property"),
    ("保障性租赁住房项目", "房屋建筑工程", "property"),
    ("研发办公楼项目", "房屋建筑工程", "property"),
    ("商业办公项目", "房屋建筑工程", "property"),
    ("配套幼儿园新建工程", "房屋建筑工程", "public"),
    ("配套小学新建工程", "房屋建筑工程", "public"),
    ("社区综合服务中心新建工程", "房屋建筑工程", "public"),
    ("标准厂房新建项目", "房屋建筑工程", "property"),
    ("道路新建工程", "市政基础设施工程", "public"),
    ("雨水泵站新建工程", "市政基础设施工程", "public"),
    ("河道综合整治工程", "市政基础设施工程", "public"),
)


def _permit(rng: random.Random, issued: date, serial: int) -> m.Row:
    town = rng.choice(PUDONG.streets)
    kind, category, owner = rng.choice(_BUILDINGS)
    plot = f"{rng.choice('ABCDEFG')}{rng.randint(1, 12):02d}-{rng.randint(1, 9):02d}"
    if category == "市政基础设施工程":
        road = rng.choice(PUDONG.roads)
        project = f"{road}（{rng.choice(PUDONG.roads)}—{rng.choice(PUDONG.roads)}）{kind}"
        area = None
        price = rng.randint(2_000, 60_000)
    else:
        project = f"{street_short(town)}{plot}地块{kind}"
        area = rng.randrange(8_000, 260_000, 10)
        price = round(area * rng.uniform(0.25, 0.55))
    if owner == "public":
        builder = f"上海市浦东新区{town}{'人民政府' if town.endswith('镇') else '办事处'}"
    else:
        builder = company(rng, "上海", "property")
    return {
        "permit_no": f"SG310115{issued:%Y%m%d}{serial:02d}01",
        "project_name": project,
        "project_category": category,
        "construction_unit": builder,
        "general_contractor": company(rng, "上海", "construction", group=True),
        "supervision_unit": company(rng, "上海", "consulting"),
        "location": f"浦东新区{town}{rng.choice(PUDONG.roads)}",
        "building_area_m2": area,
        "contract_price_10k_yuan": price,
        "contract_days": rng.randrange(180, 1100, 10),
        "issue_date": issued,
    }


def construction_permits() -> m.Package:
    name = "pudong-construction-permits"
    rng = seeded(name)
    start = date(2024, 1, 1)
    issued = sorted(start + timedelta(days=rng.randint(0, 365)) for _ in range(320))
    rows = []
    for index, day in enumerate(issued):
        same_day = index - issued.index(day) + 1  # 1 for the first permit of a day
        rows.append(_permit(rng, day, same_day))
    return m.Package(
        name=name,
        title="浦东新区建筑工程施工许可信息",
        title_en="Building construction permits issued in Pudong New Area",
        summary="本数据集发布浦东新区核发的建筑工程施工许可证信息，包括项目名称、建设单位、"
        "施工总承包单位、监理单位、建筑面积、合同价格与工期。",
        summary_en="Construction permits of Pudong New Area with project, client, general "
        "contractor, supervisor, floor area, contract price and duration. Companies are fictional.",
        keywords=["施工许可", "建设工程", "工程建设项目审批"],
        organization=ORG["pudong-construction-transport"],
        region_code="310115",
        theme="城市建设",
        open_class="conditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="other-open",
        created="2025-01-07T13:45:00+08:00",
        version="1.12.0",
        tables=[
            m.Table(
                "permits",
                "施工许可",
                "每行一张建筑工程施工许可证。",
                [
                    m.identifier(
                        "permit_no", "施工许可证编号", "施工许可证编号", r"^SG310115\d{12}$"
                    ),
                    m.string("project_name", "项目名称", "工程项目名称", required=True),
                    m.string(
                        "project_category",
                        "工程类别",
                        "房屋建筑工程或市政基础设施工程",
                        enum=["房屋建筑工程", "市政基础设施工程"],
                    ),
                    m.string("construction_unit", "建设单位", "建设单位（样例企业为虚构）"),
                    m.string("general_contractor", "施工总承包单位", "施工总承包单位（虚构）"),
                    m.string("supervision_unit", "监理单位", "工程监理单位（虚构）"),
                    m.string("location", "建设地点", "建设地点"),
                    m.number("building_area_m2", "建筑面积", "建筑面积，平方米", minimum=0),
                    m.integer(
                        "contract_price_10k_yuan", "合同价格", "施工合同价格，万元", minimum=0
                    ),
                    m.integer("contract_days", "合同工期", "合同工期，日历天", minimum=1),
                    m.date("issue_date", "发证日期", "发证日期", required=True),
                ],
                rows,
                primary_key=["permit_no"],
            )
        ],
    )


# --- 浦东 flood control (closed) --------------------------------------------------------

_RISK_POINTS = (
    ("下立交", 0.25),
    ("低洼积水路段", 0.3),
    ("地下空间", 0.2),
    ("在建工地", 0.1),
    ("老旧小区", 0.15),
)


def _risk_point_name(rng: random.Random, kind: str, town: str) -> str:
    road, other = rng.sample(PUDONG.roads, 2)
    short = street_short(town)
    if kind == "下立交":
        return f"{road}{other}下立交"
    if kind == "低洼积水路段":
        return f"{road}（近{other}）低洼路段"
    if kind == "地下空间":
        return f"{short}{rng.choice(('商业广场', '地铁站', '居住区'))}地下车库"
    if kind == "在建工地":
        return f"{short}{rng.choice('ABCDE')}{rng.randint(1, 9):02d}地块在建工地"
    return f"{short}{rng.choice(_CN_ORDINALS)}村"


def _responsible(town: str) -> str:
    return f"浦东新区{town}{'人民政府' if town.endswith('镇') else '办事处'}"


def _risk_points(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < 120:
        town = rng.choice(PUDONG.streets)
        kind = weighted(rng, _RISK_POINTS)
        label = _risk_point_name(rng, kind, town)
        if label in names:
            continue
        names.add(label)
        lon, lat = point(rng, PUDONG)
        rows.append(
            {
                "point_id": f"PDFX{len(rows) + 1:03d}",
                "name": label,
                "town": town,
                "category": kind,
                "risk_level": weighted(rng, (("一级", 0.2), ("二级", 0.45), ("三级", 0.35))),
                "alert_depth_cm": rng.choice((15, 20, 25, 30)),
                "drainage_m3_per_h": rng.randrange(200, 3000, 50) if kind == "下立交" else None,
                "camera": rng.random() < 0.7,
                "responsible_unit": _responsible(town),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _depots(rng: random.Random) -> list[m.Row]:
    rows = []
    towns = list(PUDONG.streets)
    for serial in range(1, 33):
        town = towns[(serial - 1) % len(towns)]
        if serial <= len(towns):
            label = f"{town}防汛物资仓库"
        else:
            label = f"浦东新区防汛物资储备库（{street_short(town)}）"
        lon, lat = point(rng, PUDONG)
        big = serial > len(towns)
        rows.append(
            {
                "depot_id": f"PDWZ{serial:02d}",
                "name": label,
                "town": town,
                "address": address(rng, SHANGHAI, PUDONG),
                "floor_area_m2": rng.randrange(800, 3000, 50)
                if big
                else rng.randrange(80, 600, 10),
                "sandbags": rng.randrange(20000, 60000, 500)
                if big
                else rng.randrange(2000, 12000, 100),
                "mobile_pumps": rng.randint(10, 40) if big else rng.randint(2, 10),
                "generators": rng.randint(4, 16) if big else rng.randint(1, 4),
                "life_jackets": rng.randrange(300, 1200, 10) if big else rng.randrange(50, 300, 10),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def flood_control() -> m.Package:
    name = "pudong-flood-control-points"
    rng = seeded(name)
    bbox = _district_bbox(PUDONG)
    return m.Package(
        name=name,
        title="浦东新区防汛重点部位与防汛物资仓库",
        title_en="Flood-control key points and emergency stores in Pudong New Area",
        summary="本数据集记录浦东新区下立交、低洼积水路段、地下空间等防汛重点部位的风险等级、"
        "预警水深与责任单位，以及各级防汛物资仓库的储备情况，仅供内部防汛调度使用。",
        summary_en="Flood-control key points (underpasses, low-lying roads, underground spaces) "
        "with risk level, alert depth and responsible body, and the stocks of flood-control "
        "stores. Internal use only (closed).",
        keywords=["防汛", "下立交", "积水点", "防汛物资"],
        organization=ORG["pudong-construction-transport"],
        region_code="310115",
        theme="公共安全",
        open_class="closed",
        update_frequency="yearly",
        temporal=("2024-06-01", "2024-09-30"),
        licence="other-open",
        created="2024-05-28T17:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "key_points",
                "防汛重点部位",
                "汛期重点巡查的易积水部位。",
                [
                    m.identifier("point_id", "部位编号", "部位编号", r"^PDFX\d{3}$"),
                    m.string("name", "部位名称", "部位名称", required=True),
                    m.string("town", "街镇", "所在街道或镇", required=True),
                    m.string("category", "部位类别", "部位类别", enum=[k for k, _ in _RISK_POINTS]),
                    m.string("risk_level", "风险等级", "一级最高", enum=["一级", "二级", "三级"]),
                    m.integer("alert_depth_cm", "预警水深", "预警积水深度，厘米", minimum=0),
                    m.integer(
                        "drainage_m3_per_h",
                        "排水能力",
                        "下立交泵站排水能力，立方米/小时",
                        minimum=0,
                    ),
                    m.boolean("camera", "视频监控", "是否接入视频监控"),
                    m.string("responsible_unit", "责任单位", "属地责任单位"),
                    *m.coordinates(bbox),
                ],
                _risk_points(rng),
                primary_key=["point_id"],
            ),
            m.Table(
                "depots",
                "防汛物资仓库",
                "街镇和区级防汛物资仓库及主要物资储备。",
                [
                    m.identifier("depot_id", "仓库编号", "仓库编号", r"^PDWZ\d{2}$"),
                    m.string("name", "仓库名称", "仓库名称", required=True, unique=True),
                    m.string("town", "街镇", "所在街道或镇"),
                    m.string("address", "地址", "仓库地址"),
                    m.integer("floor_area_m2", "面积", "仓库面积，平方米", minimum=0),
                    m.integer("sandbags", "防汛沙袋", "防汛沙袋（只）", minimum=0),
                    m.integer("mobile_pumps", "移动泵", "移动排水泵（台）", minimum=0),
                    m.integer("generators", "发电机", "应急发电机（台）", minimum=0),
                    m.integer("life_jackets", "救生衣", "救生衣（件）", minimum=0),
                    *m.coordinates(bbox),
                ],
                _depots(rng),
                primary_key=["depot_id"],
            ),
        ],
    )


# --- Shanghai 长三角 windows -------------------------------------------------------------


def service_windows() -> m.Package:
    name = "sh-yrd-service-windows"
    rng = seeded(name)
    halls: list[ServiceHall] = []
    for district in SHANGHAI.districts:
        halls.append(ServiceHall(district, "区级", f"{district.name}行政服务中心"))
        for street in rng.sample(district.streets, 2):
            halls.append(
                ServiceHall(district, "街镇级", f"{district.name}{street}社区事务受理服务中心")
            )
    return m.Package(
        name=name,
        title="上海市长三角“一网通办”专窗",
        title_en="Yangtze River Delta cross-province service windows in Shanghai",
        summary="本数据集发布本市各区行政服务中心和街镇社区事务受理服务中心设置的长三角"
        "“一网通办”专窗的地点、开放时间、可办事项数、年度受理量，以及专窗可办的跨省通办事项清单。",
        summary_en="Cross-province service windows (Yangtze River Delta one-network services) in "
        "district and street service centres, and the list of matters they accept.",
        keywords=["一网通办", "长三角", "跨省通办", "政务服务"],
        organization=ORG["shanghai-government-office"],
        region_code="310000",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-05T09:00:00+08:00",
        version="1.8.0",
        tables=[
            windows_table(rng, SHANGHAI, halls, partners="江苏省、浙江省、安徽省", prefix="SHZC"),
            matters_table(),
        ],
    )


BUILDERS = (
    service_windows,
    public_toilets,
    parks,
    schools,
    construction_permits,
    flood_control,
)
