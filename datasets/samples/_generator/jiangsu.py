"""Jiangsu packages of the provincial development and reform, and environment departments."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import model as m
from .common import days, months, random_date, seeded, weighted
from .environment import water_fields, water_sample
from .geo import JIANGSU_CITIES, SUZHOU, City, point
from .indices import class_rank
from .names import BRANDS, company, uscc
from .orgs import ORG

# Relative weight of each city in enterprise counts (roughly its share of provincial GDP).
_ECONOMY = {
    "苏州市": 22,
    "南京市": 16,
    "无锡市": 12,
    "南通市": 9,
    "常州市": 8,
    "徐州市": 6,
    "扬州市": 5,
    "盐城市": 5,
    "泰州市": 5,
    "镇江市": 4,
    "淮安市": 3,
    "连云港市": 3,
    "宿迁市": 3,
}
PROVINCE_BBOX = (116.30, 30.70, 121.95, 35.20)


def _weighted_city(rng: random.Random) -> City:
    return weighted(rng, [(c, _ECONOMY[c.name]) for c in JIANGSU_CITIES])


# --- credit red list ---------------------------------------------------------------------

# (list type, identifying authority, years valid, incentives)
_RED_LISTS = (
    ("纳税信用A级纳税人", "国家税务总局江苏省税务局", 1, "增值税发票按需领用；办税绿色通道"),
    ("海关高级认证企业", "南京海关", 3, "降低查验率；优先办理通关手续"),
    ("守合同重信用企业", "江苏省市场监督管理局", 2, "减少日常监督检查频次；评优评先优先推荐"),
    ("劳动保障守法诚信示范单位", "江苏省人力资源和社会保障厅", 3, "减少劳动保障监察频次"),
    ("建筑市场信用优良企业", "江苏省住房和城乡建设厅", 1, "招标投标信用加分；资质审批绿色通道"),
    ("交通运输信用AA级企业", "江苏省交通运输厅", 2, "行政许可容缺受理；减少现场检查"),
)


def _red_list_rows(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < 300:
        where = _weighted_city(rng)
        kind = rng.choice(("manufacturing", "technology", "trade", "construction", "services"))
        list_type, authority, years, incentives = rng.choice(_RED_LISTS)
        if list_type == "建筑市场信用优良企业":
            kind = "construction"
        name = company(rng, where.short, kind, group=True)
        if name in seen:
            continue
        seen.add(name)
        decided = random_date(rng, date(2024, 1, 10), date(2024, 12, 20))
        rows.append(
            {
                "record_id": f"JSHM{decided:%Y%m}{len(rows) + 1:04d}",
                "enterprise_name": name,
                "uscc": uscc(rng, where.code),
                "city": where.name,
                "list_type": list_type,
                "identifying_authority": authority,
                "decision_date": decided,
                "valid_until": date(decided.year + years, decided.month, min(decided.day, 28))
                - timedelta(days=1),
                "incentive_measures": incentives,
            }
        )
    rows.sort(key=lambda row: (row["decision_date"], row["record_id"]))
    return rows


def credit_red_list() -> m.Package:
    name = "js-credit-red-list"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="江苏省守信激励对象名单（红名单）",
        title_en="Jiangsu list of trustworthy enterprises (credit red list)",
        summary="本数据集汇集省级各部门认定的守信激励对象，包括纳税信用A级纳税人、海关高级认证企业、"
        "守合同重信用企业等，列明认定部门、认定日期、有效期和联合激励措施；所列企业均为虚构。",
        summary_en="Enterprises on the provincial credit red lists (A-grade taxpayers, customs "
        "AEO, contract-abiding enterprises...) with authority, dates and incentives. All "
        "companies are fictional (names contain 样例, codes carry YL).",
        keywords=["红名单", "守信激励", "社会信用", "信用江苏"],
        organization=ORG["jiangsu-development-reform"],
        region_code="320000",
        theme="信用服务",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-04T10:30:00+08:00",
        version="1.12.0",
        tables=[
            m.Table(
                "red_list",
                "守信激励对象",
                "每行一条守信激励认定记录。",
                [
                    m.identifier("record_id", "记录编号", "记录编号", r"^JSHM\d{10}$"),
                    m.string("enterprise_name", "企业名称", "企业名称（虚构）", required=True),
                    m.string(
                        "uscc",
                        "统一社会信用代码",
                        "企业统一社会信用代码（样例代码）",
                        required=True,
                        pattern=r"^9132\d{4}YL[0-9A-HJ-NP-RTUW-Y]{8}$",
                    ),
                    m.string("city", "所在设区市", "企业所在设区市", required=True),
                    m.string(
                        "list_type",
                        "名单类型",
                        "守信激励名单类型",
                        required=True,
                        enum=[item[0] for item in _RED_LISTS],
                    ),
                    m.string("identifying_authority", "认定部门", "认定部门"),
                    m.date("decision_date", "认定日期", "认定日期", required=True),
                    m.date("valid_until", "有效期至", "有效期截止日期", required=True),
                    m.string("incentive_measures", "激励措施", "联合激励措施，中文分号分隔"),
                ],
                _red_list_rows(rng),
                primary_key=["record_id"],
            )
        ],
    )


# --- major projects ----------------------------------------------------------------------

_INDUSTRIAL = {
    "集成电路": ("12英寸晶圆制造", "先进封装测试", "功率半导体器件"),
    "生物医药": ("创新药研发生产基地", "高端医疗器械产业园", "生物制剂生产线"),
    "新能源": ("动力电池生产基地", "高效光伏组件", "储能电池系统"),
    "高端装备": ("工业机器人生产基地", "航空发动机零部件", "智能数控机床"),
    "新材料": ("碳纤维复合材料", "高性能分离膜材料", "电子化学品"),
    "新能源汽车": ("整车生产基地", "电驱动系统", "汽车智能座舱"),
    "数字经济": ("智算中心", "工业互联网平台", "大数据产业园"),
}
_INFRASTRUCTURE = (
    "快速路改造工程",
    "过江通道工程",
    "港区集装箱码头工程",
    "航道整治工程",
    "水利枢纽工程",
)
_PUBLIC = ("人民医院新院区", "职业技术学院新校区", "保障性租赁住房", "污水处理厂提标扩建工程")
_SERVICES = ("国际物流枢纽", "总部经济基地", "文化旅游度假区")


def _project(rng: random.Random, where: City) -> tuple[str, str, str | None, float]:
    category = weighted(
        rng,
        (("产业科技创新", 0.55), ("重大基础设施", 0.2), ("现代服务业", 0.12), ("民生保障", 0.13)),
    )
    district = rng.choice(where.districts)
    if category == "产业科技创新":
        industry = rng.choice(sorted(_INDUSTRIAL))
        product = rng.choice(_INDUSTRIAL[industry])
        title = f"{where.short}样例{rng.choice(BRANDS)}{product}项目"
        return title, category, industry, rng.uniform(10, 260)
    if category == "重大基础设施":
        road = rng.choice(district.roads)
        kind = rng.choice(_INFRASTRUCTURE)
        title = f"{where.name}{district.short}{road if kind.startswith('快速') else ''}{kind}"
        return title, category, None, rng.uniform(20, 400)
    if category == "现代服务业":
        return (
            f"{where.short}{district.short}{rng.choice(_SERVICES)}项目",
            category,
            None,
            rng.uniform(10, 120),
        )
    return f"{where.name}{district.short}{rng.choice(_PUBLIC)}", category, None, rng.uniform(5, 60)


def _project_rows(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    titles: set[str] = set()
    while len(rows) < 220:
        where = _weighted_city(rng)
        title, category, industry, total = _project(rng, where)
        if title in titles:
            continue
        titles.add(title)
        start = weighted(rng, ((2021, 0.1), (2022, 0.2), (2023, 0.3), (2024, 0.4)))
        end = start + rng.randint(2, 5)
        total = round(total, 1)
        rows.append(
            {
                "project_id": f"JS2024-{len(rows) + 1:03d}",
                "project_name": title,
                "city": where.name,
                "category": category,
                "industry": industry,
                "total_investment_100m_yuan": total,
                "planned_2024_100m_yuan": round(total * rng.uniform(0.12, 0.4), 1),
                "start_year": start,
                "end_year": end,
                "status": "新开工" if start == 2024 else "续建",
            }
        )
    return rows


def major_projects() -> m.Package:
    name = "js-major-projects"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="江苏省2024年省重大项目清单",
        title_en="Jiangsu provincial major projects, 2024",
        summary="本数据集发布2024年省重大项目清单，包括项目名称、所在设区市、项目类别、产业领域、"
        "总投资、年度计划投资、建设起止年份和建设状态；项目名称中的企业字号均为虚构。",
        summary_en="Provincial major projects for 2024 with city, category, industry, total and "
        "planned investment, years and status. Company names in project titles are fictional.",
        keywords=["重大项目", "固定资产投资", "产业项目"],
        organization=ORG["jiangsu-development-reform"],
        region_code="320000",
        theme="经济建设",
        open_class="unconditional",
        update_frequency="yearly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2024-02-20T09:00:00+08:00",
        version="2024.0.0",
        tables=[
            m.Table(
                "projects",
                "省重大项目",
                "每行一个省重大项目。",
                [
                    m.identifier("project_id", "项目编号", "项目编号", r"^JS2024-\d{3}$"),
                    m.string("project_name", "项目名称", "项目名称", required=True, unique=True),
                    m.string("city", "所在设区市", "项目所在设区市", required=True),
                    m.string(
                        "category",
                        "项目类别",
                        "项目类别",
                        enum=["产业科技创新", "重大基础设施", "现代服务业", "民生保障"],
                    ),
                    m.string("industry", "产业领域", "产业科技创新类项目的产业领域"),
                    m.number("total_investment_100m_yuan", "总投资", "项目总投资，亿元", minimum=0),
                    m.number(
                        "planned_2024_100m_yuan", "年度计划投资", "2024年计划投资，亿元", minimum=0
                    ),
                    m.integer("start_year", "开工年份", "开工年份", minimum=2000),
                    m.integer("end_year", "竣工年份", "计划竣工年份", minimum=2000),
                    m.string("status", "建设状态", "新开工或续建", enum=["新开工", "续建"]),
                ],
                _project_rows(rng),
                primary_key=["project_id"],
            )
        ],
    )


# --- surface water quality ---------------------------------------------------------------

# Water bodies per city; a trailing * marks a lake or reservoir.
_WATERS = {
    "南京市": "长江 秦淮河 滁河 石臼湖*",
    "无锡市": "太湖* 京杭运河 望虞河 锡澄运河",
    "徐州市": "京杭运河 故黄河 沂河 骆马湖*",
    "常州市": "京杭运河 滆湖* 长荡湖* 德胜河",
    "苏州市": "太湖* 京杭运河 太浦河 阳澄湖* 吴淞江",
    "南通市": "长江 通吕运河 如泰运河",
    "连云港市": "新沭河 蔷薇河 淮沭河",
    "淮安市": "淮河入海水道 洪泽湖* 京杭运河",
    "盐城市": "通榆河 串场河 射阳河",
    "扬州市": "长江 京杭运河 高邮湖* 邵伯湖*",
    "镇江市": "长江 京杭运河",
    "泰州市": "长江 新通扬运河 泰东河",
    "宿迁市": "骆马湖* 京杭运河 新沂河",
}
_BASIN = {
    "无锡市": "太湖流域",
    "常州市": "太湖流域",
    "苏州市": "太湖流域",
    "徐州市": "淮河流域",
    "连云港市": "淮河流域",
    "淮安市": "淮河流域",
    "盐城市": "淮河流域",
    "宿迁市": "淮河流域",
}


def _sections(rng: random.Random) -> list[m.Row]:
    rows: list[m.Row] = []
    for where in JIANGSU_CITIES:
        for body in _WATERS[where.name].split():
            lake = body.endswith("*")
            water = body.rstrip("*")
            district = rng.choice(where.districts)
            if lake:
                label = f"{water}{rng.choice(('湖心', '东部', '西部', '北部', '南部'))}"
            else:
                label = f"{water}{district.short}{rng.choice(('大桥', '闸', '渡口', '桥'))}"
            target = "Ⅱ" if water == "长江" else ("Ⅳ" if rng.random() < 0.12 else "Ⅲ")
            lon, lat = point(rng, district)
            rows.append(
                {
                    "section_code": f"JSSW{len(rows) + 1:03d}",
                    "section_name": label,
                    "water_body": water,
                    "water_type": "湖库" if lake else "河流",
                    "basin": _BASIN.get(where.name, "长江流域"),
                    "city": where.name,
                    "control_level": "国考" if rng.random() < 0.6 else "省考",
                    "target_class": target,
                    "longitude": lon,
                    "latitude": lat,
                }
            )
    return rows


def _monthly_water(rng: random.Random, sections: list[m.Row]) -> list[m.Row]:
    rows = []
    for section in sections:
        cleanliness = 0.95 if section["water_body"] == "长江" else rng.uniform(0.35, 0.9)
        for period in months("2024-01", "2024-12"):
            sample = water_sample(
                rng, int(period[5:]), lake=section["water_type"] == "湖库", cleanliness=cleanliness
            )
            rank = class_rank(str(sample["water_class"]))
            rows.append(
                {
                    "section_code": section["section_code"],
                    "month": period,
                    **sample,
                    "meets_target": rank <= class_rank(section["target_class"]),
                }
            )
    return rows


def surface_water() -> m.Package:
    name = "js-surface-water-quality"
    rng = seeded(name)
    sections = _sections(rng)
    return m.Package(
        name=name,
        title="江苏省地表水国省考断面水质月报",
        title_en="Monthly water quality of Jiangsu's assessed surface-water sections",
        summary="本数据集发布全省国考、省考地表水断面的基本信息，以及2024年逐月的水温、pH、溶解氧、"
        "高锰酸盐指数、氨氮、总磷监测值和按GB 3838-2002评价的水质类别、达标情况。",
        summary_en="Assessed surface-water sections and their 2024 monthly temperature, pH, "
        "dissolved oxygen, permanganate index, ammonia and phosphorus, with the GB 3838-2002 "
        "class and whether the target is met.",
        keywords=["地表水", "水质", "断面监测", "水环境"],
        organization=ORG["jiangsu-ecology-environment"],
        region_code="320000",
        theme="资源环境",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-18T10:00:00+08:00",
        version="1.12.0",
        tables=[
            m.Table(
                "sections",
                "监测断面",
                "国考、省考地表水监测断面。",
                [
                    m.identifier("section_code", "断面编码", "断面编码", r"^JSSW\d{3}$"),
                    m.string("section_name", "断面名称", "断面名称", required=True),
                    m.string("water_body", "所在水体", "河流或湖库名称", required=True),
                    m.string("water_type", "水体类型", "河流或湖库", enum=["河流", "湖库"]),
                    m.string(
                        "basin", "流域", "所属流域", enum=["长江流域", "太湖流域", "淮河流域"]
                    ),
                    m.string("city", "所在设区市", "断面所在设区市", required=True),
                    m.string("control_level", "考核级别", "国考或省考", enum=["国考", "省考"]),
                    m.string("target_class", "水质目标", "考核水质目标类别", enum=["Ⅱ", "Ⅲ", "Ⅳ"]),
                    *m.coordinates(PROVINCE_BBOX),
                ],
                sections,
                primary_key=["section_code"],
            ),
            m.Table(
                "monthly_quality",
                "逐月水质",
                "各断面2024年逐月监测结果。",
                [
                    m.reference("section_code", "断面编码", "对应监测断面表"),
                    m.yearmonth("month", "监测月份", "监测月份（YYYY-MM）"),
                    *water_fields(),
                    m.boolean("meets_target", "是否达标", "水质类别是否达到考核目标"),
                ],
                _monthly_water(rng, sections),
                primary_key=["section_code", "month"],
                foreign_keys=[(["section_code"], "sections", ["section_code"])],
            ),
        ],
    )


# --- pollutant discharge monitoring ---------------------------------------------------------

# industry: (outlet kind, COD limit mg/L for water outlets, trade word in the company name)
_DISCHARGERS = {
    "印染": ("废水", 80, "印染"),
    "化工": ("废水", 100, "化工"),
    "电镀": ("废水", 80, "电镀"),
    "造纸": ("废水", 90, "纸业"),
    "污水处理": ("废水", 50, "水务"),
    "电子": ("废水", 100, "电子科技"),
    "热电": ("废气", 0, "热电"),
    "水泥": ("废气", 0, "建材"),
    "钢铁": ("废气", 0, "特钢"),
}


def _dischargers(rng: random.Random) -> list[m.Row]:
    rows = []
    water = [k for k, (kind, _, _) in _DISCHARGERS.items() if kind == "废水"]
    gas = [k for k, (kind, _, _) in _DISCHARGERS.items() if kind == "废气"]
    for serial in range(1, 46):
        industry = rng.choice(water if serial <= 25 else gas)
        district = rng.choice(SUZHOU.districts)
        code = uscc(rng, SUZHOU.code)
        outlet_kind = _DISCHARGERS[industry][0]
        lon, lat = point(rng, district)
        rows.append(
            {
                "enterprise_id": f"JSPW{serial:03d}",
                "enterprise_name": company(
                    rng, "苏州", "chemical", trade=_DISCHARGERS[industry][2]
                ),
                "uscc": code,
                "discharge_permit_no": f"{code}001{'P' if serial % 3 else 'V'}",
                "district": district.name,
                "industry": industry,
                "outlet_code": "DW001" if outlet_kind == "废水" else "DA001",
                "outlet_type": outlet_kind,
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _wastewater(rng: random.Random, plants: list[m.Row], first: date, last: date) -> list[m.Row]:
    rows = []
    for plant in plants:
        if plant["outlet_type"] != "废水":
            continue
        limit = _DISCHARGERS[plant["industry"]][1]
        flow = rng.uniform(300, 30000 if plant["industry"] == "污水处理" else 4000)
        level = rng.uniform(0.25, 0.6)
        for day in days(first, last):
            cod = limit * level * rng.lognormvariate(0, 0.18)
            rows.append(
                {
                    "enterprise_id": plant["enterprise_id"],
                    "date": day,
                    "flow_m3": round(flow * rng.uniform(0.8, 1.15)),
                    "cod_mg_l": round(cod, 1),
                    "ammonia_mg_l": round(limit * 0.06 * level * rng.lognormvariate(0, 0.3), 2),
                    "total_phosphorus_mg_l": round(0.15 * level * rng.lognormvariate(0, 0.3), 3),
                    "cod_limit_mg_l": limit,
                    "exceeded": cod > limit,
                }
            )
    return rows


def _flue_gas(rng: random.Random, plants: list[m.Row], first: date, last: date) -> list[m.Row]:
    rows = []
    for plant in plants:
        if plant["outlet_type"] != "废气":
            continue
        flow = rng.uniform(20, 180)
        for day in days(first, last):
            so2 = 35 * rng.uniform(0.2, 0.75)
            nox = 50 * rng.uniform(0.35, 0.85)
            rows.append(
                {
                    "enterprise_id": plant["enterprise_id"],
                    "date": day,
                    "flow_10k_m3": round(flow * rng.uniform(0.85, 1.1), 1),
                    "so2_mg_m3": round(so2, 1),
                    "nox_mg_m3": round(nox, 1),
                    "particulate_mg_m3": round(rng.uniform(0.8, 4.5), 2),
                    "exceeded": so2 > 35 or nox > 50,
                }
            )
    return rows


def pollutant_monitoring() -> m.Package:
    name = "js-pollutant-discharge-monitoring"
    rng = seeded(name)
    first, last = date(2024, 12, 1), date(2024, 12, 30)
    plants = _dischargers(rng)
    key = [
        m.reference("enterprise_id", "企业编号", "对应重点排污单位表"),
        m.date("date", "监测日期", "日均值日期", required=True),
    ]
    return m.Package(
        name=name,
        title="苏州市重点排污单位自动监测日均数据",
        title_en="Daily automatic monitoring of key pollutant dischargers in Suzhou",
        summary="本数据集发布苏州市部分重点排污单位的排污许可与排放口信息，以及废水、废气排放口"
        "自动监测日均浓度和是否超标；单位均为虚构样例企业。",
        summary_en="Key pollutant dischargers in Suzhou with permit and outlet, and the daily "
        "averages of their automatic wastewater and flue-gas monitoring, December 2024. "
        "Enterprises are fictional.",
        keywords=["重点排污单位", "自动监测", "污染源", "排污许可"],
        organization=ORG["jiangsu-ecology-environment"],
        region_code="320500",
        theme="资源环境",
        open_class="conditional",
        update_frequency="daily",
        temporal=(first.isoformat(), last.isoformat()),
        licence="odc-by",
        created="2024-12-31T18:00:00+08:00",
        version="1.30.0",
        tables=[
            m.Table(
                "enterprises",
                "重点排污单位",
                "重点排污单位及其自动监测排放口。",
                [
                    m.identifier("enterprise_id", "企业编号", "企业编号", r"^JSPW\d{3}$"),
                    m.string("enterprise_name", "单位名称", "单位名称（虚构）", required=True),
                    m.string("uscc", "统一社会信用代码", "样例代码", required=True),
                    m.string("discharge_permit_no", "排污许可证编号", "排污许可证编号"),
                    m.string("district", "所在区（市）", "所在区或县级市", required=True),
                    m.string("industry", "行业", "行业", enum=list(_DISCHARGERS)),
                    m.string("outlet_code", "排放口编号", "排放口编号"),
                    m.string("outlet_type", "排放口类型", "废水或废气", enum=["废水", "废气"]),
                    *m.coordinates(SUZHOU.bbox),
                ],
                plants,
                primary_key=["enterprise_id"],
            ),
            m.Table(
                "wastewater_daily",
                "废水排放口日均值",
                "废水排放口自动监测日均浓度与日排放量。",
                [
                    *key,
                    m.integer("flow_m3", "日排放量", "废水日排放量，立方米", minimum=0),
                    m.number("cod_mg_l", "化学需氧量", "COD日均浓度，毫克/升", minimum=0),
                    m.number("ammonia_mg_l", "氨氮", "氨氮日均浓度，毫克/升", minimum=0),
                    m.number("total_phosphorus_mg_l", "总磷", "总磷日均浓度，毫克/升", minimum=0),
                    m.integer("cod_limit_mg_l", "COD排放限值", "许可排放浓度限值，毫克/升"),
                    m.boolean("exceeded", "是否超标", "日均浓度是否超过排放限值"),
                ],
                _wastewater(rng, plants, first, last),
                primary_key=["enterprise_id", "date"],
                foreign_keys=[(["enterprise_id"], "enterprises", ["enterprise_id"])],
            ),
            m.Table(
                "flue_gas_daily",
                "废气排放口日均值",
                "废气排放口自动监测日均折算浓度（超低排放限值：SO2 35、NOx 50 毫克/立方米）。",
                [
                    *key,
                    m.number("flow_10k_m3", "标干流量", "日均标干烟气流量，万立方米", minimum=0),
                    m.number("so2_mg_m3", "二氧化硫", "SO2折算浓度，毫克/立方米", minimum=0),
                    m.number("nox_mg_m3", "氮氧化物", "NOx折算浓度，毫克/立方米", minimum=0),
                    m.number(
                        "particulate_mg_m3", "颗粒物", "颗粒物折算浓度，毫克/立方米", minimum=0
                    ),
                    m.boolean("exceeded", "是否超标", "日均折算浓度是否超过排放限值"),
                ],
                _flue_gas(rng, plants, first, last),
                primary_key=["enterprise_id", "date"],
                foreign_keys=[(["enterprise_id"], "enterprises", ["enterprise_id"])],
            ),
        ],
    )


BUILDERS = (
    credit_red_list,
    major_projects,
    surface_water,
    pollutant_monitoring,
)
