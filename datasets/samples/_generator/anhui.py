"""Anhui packages of the provincial development and reform commission and of Hefei."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import model as m
from .common import random_date, seeded, street_short, weighted
from .geo import ANHUI_CITIES, HEFEI, SUZHOU_ANHUI, City, District, point
from .geo import street_address as address
from .names import company, uscc
from .orgs import ORG

_ECONOMY = {
    "合肥市": 30,
    "芜湖市": 10,
    "蚌埠市": 5,
    "淮南市": 4,
    "马鞍山市": 5,
    "淮北市": 3,
    "铜陵市": 3,
    "安庆市": 6,
    "黄山市": 3,
    "滁州市": 6,
    "阜阳市": 7,
    "宿州市": 5,
    "六安市": 5,
    "亳州市": 4,
    "池州市": 2,
    "宣城市": 4,
}

# --- credit commitments ----------------------------------------------------------------------

# (matter, accepting department, kind of company)
_COMMITMENT_MATTERS = (
    ("食品经营许可", "市场监督管理局", "trade"),
    ("药品零售企业经营许可", "市场监督管理局", "trade"),
    ("建筑业企业资质核准", "住房和城乡建设局", "construction"),
    ("排污许可证核发", "生态环境局", "manufacturing"),
    ("道路货物运输经营许可", "交通运输局", "services"),
    ("公共场所卫生许可", "卫生健康委员会", "services"),
    ("人力资源服务许可", "人力资源和社会保障局", "services"),
    ("城镇污水排入排水管网许可", "城市管理局", "manufacturing"),
)
_COMMITMENT_TYPES = (
    ("审批替代型", 0.55),
    ("主动公示型", 0.25),
    ("行业自律型", 0.12),
    ("信用修复型", 0.08),
)


def _commitment(rng: random.Random, serial: int, when: date) -> m.Row:
    where = weighted(rng, [(c, _ECONOMY[c.name]) for c in ANHUI_CITIES])
    kind = weighted(rng, _COMMITMENT_TYPES)
    matter, department, trade = rng.choice(_COMMITMENT_MATTERS)
    if kind == "信用修复型":
        matter, department = "行政处罚信用修复", "发展和改革委员会"
    return {
        "commitment_id": f"AHCN{when:%Y%m%d}{serial:04d}",
        "enterprise_name": company(rng, where.short, trade),
        "uscc": uscc(rng, where.code),
        "city": where.name,
        "commitment_type": kind,
        "matter": matter,
        "accepting_department": f"{where.name}{department}",
        "commitment_date": when,
        "status": "已履约" if kind == "审批替代型" and rng.random() < 0.3 else "履约中",
    }


def credit_commitments() -> m.Package:
    name = "ah-credit-commitments"
    rng = seeded(name)
    first = date(2024, 12, 1)
    dates = sorted(first + timedelta(days=rng.randint(0, 30)) for _ in range(500))
    rows = [_commitment(rng, serial, day) for serial, day in enumerate(dates, start=1)]
    return m.Package(
        name=name,
        title="安徽省信用承诺信息公示",
        title_en="Credit commitments of market entities in Anhui",
        summary="本数据集公示市场主体在办理行政许可等事项时作出的信用承诺，包括承诺类型、承诺事项、"
        "受理部门、承诺日期和履约状态；所列企业均为虚构样例。",
        summary_en="Credit commitments made by companies when applying for licences: type, "
        "matter, accepting department, date and fulfilment. All companies are fictional.",
        keywords=["信用承诺", "告知承诺", "信用安徽", "社会信用"],
        organization=ORG["anhui-development-reform"],
        region_code="340000",
        theme="信用服务",
        open_class="unconditional",
        update_frequency="daily",
        temporal=("2024-12-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-01T08:00:00+08:00",
        version="1.31.0",
        tables=[
            m.Table(
                "commitments",
                "信用承诺",
                "每行一份信用承诺书。",
                [
                    m.identifier("commitment_id", "承诺编号", "承诺编号", r"^AHCN\d{12}$"),
                    m.string("enterprise_name", "主体名称", "市场主体名称（虚构）", required=True),
                    m.string(
                        "uscc",
                        "统一社会信用代码",
                        "样例代码",
                        required=True,
                        pattern=r"^9134\d{4}YL[0-9A-HJ-NP-RTUW-Y]{8}$",
                    ),
                    m.string("city", "所在市", "主体所在设区市", required=True),
                    m.string(
                        "commitment_type",
                        "承诺类型",
                        "承诺类型",
                        required=True,
                        enum=[k for k, _ in _COMMITMENT_TYPES],
                    ),
                    m.string("matter", "承诺事项", "办理的事项"),
                    m.string("accepting_department", "受理部门", "受理承诺的部门"),
                    m.date("commitment_date", "承诺日期", "承诺日期", required=True),
                    m.string("status", "履约状态", "履约中或已履约", enum=["履约中", "已履约"]),
                ],
                rows,
                primary_key=["commitment_id"],
            )
        ],
    )


# --- 宿州 farm product prices ----------------------------------------------------------------

# (product, category, unit, base price, seasonal swing as (month, factor) pairs)
_PRODUCTS: tuple[tuple[str, str, str, float, dict[int, float]], ...] = (
    ("砀山酥梨", "水果", "元/500克", 2.2, {8: 0.8, 9: 0.75, 10: 0.8, 11: 0.9}),
    ("苹果", "水果", "元/500克", 4.5, {10: 0.9, 11: 0.9}),
    ("大米（粳米）", "粮油", "元/500克", 3.0, {}),
    ("面粉（特一粉）", "粮油", "元/500克", 2.6, {}),
    ("大豆油（5升桶装）", "粮油", "元/桶", 62.0, {}),
    ("猪肉（精瘦肉）", "肉禽蛋", "元/500克", 16.5, {9: 1.08, 10: 1.05, 12: 1.06}),
    ("牛肉", "肉禽蛋", "元/500克", 38.0, {12: 1.03}),
    ("鸡蛋", "肉禽蛋", "元/500克", 4.8, {8: 1.1, 9: 1.12}),
    ("白条鸡", "肉禽蛋", "元/500克", 11.0, {}),
    ("大白菜", "蔬菜", "元/500克", 1.3, {11: 0.7, 12: 0.65}),
    ("西红柿", "蔬菜", "元/500克", 3.5, {7: 0.8, 8: 0.8, 12: 1.3}),
    ("黄瓜", "蔬菜", "元/500克", 3.0, {7: 0.75, 8: 0.8, 12: 1.35}),
    ("土豆", "蔬菜", "元/500克", 1.8, {}),
)


def _price_rows(rng: random.Random, mondays: list[date]) -> list[m.Row]:
    rows = []
    for district in SUZHOU_ANHUI.districts:
        market = f"{district.name}城区农贸市场"
        for product, category, unit, base, season in _PRODUCTS:
            level = base * rng.uniform(0.93, 1.07)
            previous: float | None = None
            for monday in mondays:
                level = 0.8 * level + 0.2 * base * rng.lognormvariate(0, 0.05)
                price = round(level * season.get(monday.month, 1.0), 2)
                change = None if previous is None else round(100 * (price - previous) / previous, 1)
                previous = price
                rows.append(
                    {
                        "week_start": monday,
                        "market": market,
                        "county": district.name,
                        "product": product,
                        "category": category,
                        "unit": unit,
                        "price_yuan": price,
                        "change_from_last_week_pct": change,
                    }
                )
    return rows


def farm_prices() -> m.Package:
    name = "suzhou-anhui-farm-product-prices"
    rng = seeded(name)
    mondays = [date(2024, 7, 1) + timedelta(weeks=week) for week in range(26)]
    return m.Package(
        name=name,
        title="宿州市主要农产品集贸市场价格周报",
        title_en="Weekly market prices of main farm products in Suzhou (Anhui)",
        summary="本数据集按周发布宿州市各县区城区农贸市场的粮油、肉禽蛋、蔬菜和水果（含砀山酥梨）"
        "零售价格及环比涨跌幅。",
        summary_en="Weekly retail prices of grain and oil, meat and eggs, vegetables and fruit "
        "(including Dangshan pears) at town markets of Suzhou, Anhui, with week-on-week change.",
        keywords=["农产品价格", "价格监测", "菜篮子", "砀山酥梨"],
        organization=ORG["anhui-development-reform"],
        region_code="341300",
        theme="经济建设",
        open_class="unconditional",
        update_frequency="weekly",
        temporal=(mondays[0].isoformat(), (mondays[-1] + timedelta(days=6)).isoformat()),
        licence="cc-by-4.0",
        created="2024-12-30T16:00:00+08:00",
        version="1.26.0",
        tables=[
            m.Table(
                "weekly_prices",
                "农产品周价格",
                "每周每个市场每种商品一行。",
                [
                    m.date("week_start", "周起始日", "监测周的周一", required=True),
                    m.string("market", "监测市场", "监测市场", required=True),
                    m.string("county", "县区", "市场所在县区"),
                    m.string("product", "商品名称", "商品名称及规格", required=True),
                    m.string(
                        "category", "商品类别", "商品类别", enum=["粮油", "肉禽蛋", "蔬菜", "水果"]
                    ),
                    m.string("unit", "计价单位", "计价单位"),
                    m.number("price_yuan", "零售价格", "周均零售价格，元", minimum=0),
                    m.number("change_from_last_week_pct", "环比", "较上周涨跌幅（%），首周为空"),
                ],
                _price_rows(rng, mondays),
                primary_key=["week_start", "market", "product"],
            )
        ],
    )


# --- 合肥 city lifeline: gas network monitoring (closed) -----------------------------------------

_SENSORS = (("相邻地下空间可燃气体", 0.5), ("阀门井可燃气体", 0.2), ("管网压力", 0.3))
_PRESSURE_KPA = {"次高压": (400, 800), "中压A": (200, 400), "中压B": (10, 200), "低压": (2, 5)}
_URBAN_HEFEI = [d for d in HEFEI.districts if d.name.endswith("区")]


def _gas_points(rng: random.Random) -> list[m.Row]:
    rows = []
    for serial in range(1, 221):
        district = rng.choice(_URBAN_HEFEI)
        kind = weighted(rng, _SENSORS)
        pressure = weighted(rng, (("次高压", 0.08), ("中压A", 0.3), ("中压B", 0.32), ("低压", 0.3)))
        lon, lat = point(rng, district)
        rows.append(
            {
                "point_id": f"HFRQ{serial:04d}",
                "sensor_type": kind,
                "district": district.name,
                "road": rng.choice(district.roads),
                "pressure_class": pressure,
                "installed_date": random_date(rng, date(2017, 6, 1), date(2024, 10, 31)),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _gas_readings(rng: random.Random, points: list[m.Row]) -> list[m.Row]:
    rows = []
    for sensor in points:
        gas = sensor["sensor_type"] != "管网压力"
        low, high = _PRESSURE_KPA[sensor["pressure_class"]]
        pressure = rng.uniform(low, high)
        battery = rng.randint(35, 100)
        for hour in (14, 15, 16):
            lel = round(rng.choice((0.0, 0.0, 0.0, 0.5, 1.0, 1.5)), 1) if gas else None
            if gas and rng.random() < 0.01:
                lel = round(rng.uniform(10, 30), 1)
            alarm = "正常"
            if lel is not None and lel >= 25:
                alarm = "二级报警"
            elif lel is not None and lel >= 10:
                alarm = "一级报警"
            rows.append(
                {
                    "point_id": sensor["point_id"],
                    "observed_at": f"2024-12-31T{hour}:00:00+08:00",
                    "methane_lel_pct": lel,
                    "pressure_kpa": None if gas else round(pressure * rng.uniform(0.97, 1.03), 2),
                    "alarm_level": alarm,
                    "battery_pct": battery,
                }
            )
    return rows


def gas_monitoring() -> m.Package:
    name = "hefei-gas-pipeline-monitoring"
    rng = seeded(name)
    points = _gas_points(rng)
    return m.Package(
        name=name,
        title="合肥市城市生命线燃气管网监测点及实时数据",
        title_en="Hefei city lifeline: gas network monitoring points and real-time readings",
        summary="本数据集记录城市生命线安全工程中燃气管网相邻地下空间、阀门井可燃气体和管网压力"
        "监测点的位置与实时读数，涉及城市基础设施安全，不予开放。",
        summary_en="Gas network sensors of Hefei's city lifeline programme (combustible gas in "
        "adjacent underground spaces and valve wells, network pressure) with real-time "
        "readings. Infrastructure security data, closed.",
        keywords=["城市生命线", "燃气管网", "安全监测"],
        organization=ORG["hefei-urban-construction"],
        region_code="340100",
        theme="城市建设",
        open_class="closed",
        update_frequency="realtime",
        temporal=("2024-12-31", "2024-12-31"),
        licence="other-open",
        created="2024-12-31T17:00:00+08:00",
        version="1.0.0",
        tables=[
            m.Table(
                "monitoring_points",
                "监测点",
                "燃气管网监测点。",
                [
                    m.identifier("point_id", "监测点编号", "监测点编号", r"^HFRQ\d{4}$"),
                    m.string(
                        "sensor_type",
                        "监测类型",
                        "监测类型",
                        required=True,
                        enum=[k for k, _ in _SENSORS],
                    ),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("road", "所在道路", "所在道路"),
                    m.string(
                        "pressure_class", "管网压力级制", "压力级制", enum=sorted(_PRESSURE_KPA)
                    ),
                    m.date("installed_date", "安装日期", "安装日期"),
                    *m.coordinates(HEFEI.bbox),
                ],
                points,
                primary_key=["point_id"],
            ),
            m.Table(
                "readings",
                "实时读数",
                "监测点整点读数（JSON 数组）。",
                [
                    m.reference("point_id", "监测点编号", "对应监测点表"),
                    m.datetime("observed_at", "采集时间", "采集时间", required=True),
                    m.number(
                        "methane_lel_pct",
                        "甲烷浓度",
                        "可燃气体浓度，%LEL（压力监测点为空）",
                        minimum=0,
                    ),
                    m.number(
                        "pressure_kpa", "管网压力", "管网压力，千帕（气体监测点为空）", minimum=0
                    ),
                    m.string(
                        "alarm_level", "报警级别", "报警级别", enum=["正常", "一级报警", "二级报警"]
                    ),
                    m.integer(
                        "battery_pct", "电池电量", "设备电池电量（%）", minimum=0, maximum=100
                    ),
                ],
                _gas_readings(rng, points),
                format="json",
                primary_key=["point_id", "observed_at"],
                foreign_keys=[(["point_id"], "monitoring_points", ["point_id"])],
            ),
        ],
    )


# --- 合肥 construction dust (conditional) ------------------------------------------------------

_STAGES = ("土方开挖", "基础施工", "主体施工", "装饰装修")


def _sites(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < 80:
        district = rng.choice(_URBAN_HEFEI)
        street = street_short(rng.choice(district.streets))
        kind = rng.choice(("安置房", "商住", "学校", "产业园", "医院", "综合体"))
        label = f"{district.short}{street}{kind}项目"
        if label in names:
            continue
        names.add(label)
        lon, lat = point(rng, district)
        rows.append(
            {
                "site_id": f"HFYC{len(rows) + 1:03d}",
                "project_name": label,
                "district": district.name,
                "address": address(rng, HEFEI, district),
                "construction_stage": rng.choice(_STAGES),
                "contractor": company(rng, "安徽", "construction", group=True),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _dust(rng: random.Random, sites: list[m.Row]) -> list[m.Row]:
    rows = []
    for site in sites:
        dusty = 1.4 if site["construction_stage"] == "土方开挖" else 1.0
        for hour in range(8, 20):
            pm10 = rng.lognormvariate(4.3, 0.35) * dusty
            rows.append(
                {
                    "site_id": site["site_id"],
                    "observed_at": f"2024-12-31T{hour:02d}:00:00+08:00",
                    "pm10_ug_m3": round(pm10),
                    "pm25_ug_m3": round(pm10 * rng.uniform(0.45, 0.65)),
                    "noise_db": round(rng.uniform(55, 78), 1),
                    "wind_speed_m_s": round(rng.uniform(0.3, 4.5), 1),
                    "pm10_alert": pm10 > 150,
                }
            )
    return rows


def construction_dust() -> m.Package:
    name = "hefei-construction-dust-monitoring"
    rng = seeded(name)
    sites = _sites(rng)
    return m.Package(
        name=name,
        title="合肥市建筑工地扬尘在线监测数据",
        title_en="Online dust monitoring at construction sites in Hefei",
        summary="本数据集发布纳入监管的建筑工地的项目信息及扬尘在线监测设备逐小时的PM10、PM2.5、"
        "噪声和风速数据；施工单位均为虚构样例企业。",
        summary_en="Construction sites under dust supervision in Hefei and hourly PM10, PM2.5, "
        "noise and wind readings of their online monitors. Contractors are fictional.",
        keywords=["扬尘监测", "建筑工地", "大气污染防治"],
        organization=ORG["hefei-urban-construction"],
        region_code="340100",
        theme="资源环境",
        open_class="conditional",
        update_frequency="realtime",
        temporal=("2024-12-31", "2024-12-31"),
        licence="odc-by",
        created="2024-12-31T20:00:00+08:00",
        version="1.0.0",
        tables=[
            m.Table(
                "sites",
                "监测工地",
                "安装扬尘在线监测设备的建筑工地。",
                [
                    m.identifier("site_id", "工地编号", "工地编号", r"^HFYC\d{3}$"),
                    m.string("project_name", "项目名称", "项目名称", required=True, unique=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("address", "地址", "工地地址"),
                    m.string("construction_stage", "施工阶段", "当前施工阶段", enum=list(_STAGES)),
                    m.string("contractor", "施工单位", "施工总承包单位（虚构）"),
                    *m.coordinates(HEFEI.bbox),
                ],
                sites,
                primary_key=["site_id"],
            ),
            m.Table(
                "hourly_readings",
                "逐小时监测数据",
                "2024年12月31日8时至19时的逐小时均值（PM10超过150微克/立方米为预警）。",
                [
                    m.reference("site_id", "工地编号", "对应监测工地表"),
                    m.datetime("observed_at", "监测时间", "小时起始时间", required=True),
                    m.integer("pm10_ug_m3", "可吸入颗粒物", "PM10小时均值，微克/立方米", minimum=0),
                    m.integer("pm25_ug_m3", "细颗粒物", "PM2.5小时均值，微克/立方米", minimum=0),
                    m.number("noise_db", "噪声", "等效声级，分贝", minimum=0),
                    m.number("wind_speed_m_s", "风速", "米/秒", minimum=0),
                    m.boolean("pm10_alert", "扬尘预警", "PM10小时均值是否超过预警值"),
                ],
                _dust(rng, sites),
                primary_key=["site_id", "observed_at"],
                foreign_keys=[(["site_id"], "sites", ["site_id"])],
            ),
        ],
    )


# --- 合肥 old residential communities ----------------------------------------------------------

_RENOVATION = {
    "基础类": ("雨污分流改造", "屋面防水", "供水管网改造", "弱电管线整治", "消防设施改造"),
    "完善类": ("加装电梯", "停车设施", "电动自行车充电设施", "无障碍设施", "适老化改造"),
    "提升类": ("社区养老服务设施", "便民市场", "口袋公园", "智慧安防"),
}


def _community(rng: random.Random, district: District) -> tuple[str, str]:
    street = rng.choice(district.streets)
    road = rng.choice(district.roads)
    label = weighted(
        rng,
        (
            (f"{road}{rng.choice(('新村', '小区', '宿舍区', '花园'))}", 0.6),
            (f"{street_short(street)}{rng.choice('一二三四五六')}村", 0.4),
        ),
    )
    return label, street


def _renovation_rows(rng: random.Random, where: City) -> list[m.Row]:
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < 220:
        district = rng.choice(_URBAN_HEFEI)
        label, street = _community(rng, district)
        if label in names:
            continue
        names.add(label)
        plan = rng.choice((2022, 2023, 2024))
        buildings = rng.randint(2, 40)
        households = buildings * rng.randint(24, 60)
        items = list(rng.sample(_RENOVATION["基础类"], rng.randint(2, 4)))
        items += rng.sample(_RENOVATION["完善类"], rng.randint(0, 3))
        items += rng.sample(_RENOVATION["提升类"], rng.randint(0, 1))
        status = (
            "已完工"
            if plan == 2022
            else weighted(rng, (("已完工", 0.7), ("在建", 0.25), ("未开工", 0.05)))
        )
        if plan == 2024:
            status = weighted(rng, (("已完工", 0.3), ("在建", 0.6), ("未开工", 0.1)))
        lon, lat = point(rng, district)
        rows.append(
            {
                "project_id": f"HFLJ{plan}{len(rows) + 1:03d}",
                "community_name": label,
                "district": district.name,
                "street": street,
                "address": address(rng, where, district),
                "built_year": rng.randint(1980, 2000),
                "buildings": buildings,
                "households": households,
                "renovation_items": "；".join(items),
                "investment_10k_yuan": round(households * rng.uniform(0.8, 2.5)),
                "plan_year": plan,
                "status": status,
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def old_communities() -> m.Package:
    name = "hefei-old-residential-renovation"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="合肥市城镇老旧小区改造项目",
        title_en="Renovation of old residential communities in Hefei",
        summary="本数据集发布2022—2024年纳入计划的城镇老旧小区改造项目的小区名称、建成年代、楼栋数、"
        "户数、改造内容、投资额、计划年度和实施状态。",
        summary_en="Old residential communities in Hefei's 2022-2024 renovation plans with year "
        "built, buildings, households, works, investment, plan year and status.",
        keywords=["老旧小区改造", "城市更新", "加装电梯"],
        organization=ORG["hefei-urban-construction"],
        region_code="340100",
        theme="城市建设",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2022-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-22T10:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "projects",
                "改造项目",
                "每行一个小区的改造项目。",
                [
                    m.identifier("project_id", "项目编号", "项目编号", r"^HFLJ20\d{5}$"),
                    m.string("community_name", "小区名称", "小区名称", required=True, unique=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("street", "街道", "所在街道"),
                    m.string("address", "地址", "小区地址"),
                    m.integer("built_year", "建成年份", "建成年份", minimum=1949),
                    m.integer("buildings", "楼栋数", "楼栋数", minimum=1),
                    m.integer("households", "户数", "户数", minimum=1),
                    m.string("renovation_items", "改造内容", "改造内容，中文分号分隔"),
                    m.integer("investment_10k_yuan", "总投资", "估算总投资，万元", minimum=0),
                    m.integer("plan_year", "计划年度", "纳入改造计划的年度", minimum=2019),
                    m.string("status", "实施状态", "实施状态", enum=["已完工", "在建", "未开工"]),
                    *m.coordinates(HEFEI.bbox),
                ],
                _renovation_rows(rng, HEFEI),
                primary_key=["project_id"],
            )
        ],
    )


BUILDERS = (
    credit_commitments,
    farm_prices,
    gas_monitoring,
    construction_dust,
    old_communities,
)
