"""Builders used by more than one region: social organisations and 长三角 service windows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from . import model as m
from .common import random_date, street_short, weighted
from .geo import City, District, point, street_address, switchboard
from .names import BRANDS, uscc

# --- social organisations ---------------------------------------------------------------

_SOCIETY_TOPICS = {
    "行业协会商会": "软件行业 物流 餐饮烹饪 电子商务 人工智能产业 跨境电商 新能源汽车 会展 "
    "物业管理 建筑装饰 家政服务 二手车 再生资源 民宿",
    "文化": "摄影家 书法家 合唱 诗词 茶文化 动漫 集邮",
    "体育": "老年人体育 青少年足球 围棋 自行车 太极拳 健身 信鸽",
    "卫生健康": "营养 护理 口腔医学 康复医学",
    "科技与研究": "科普作家 知识产权 工业设计 质量",
    "社会服务": "志愿服务 社会工作 慈善",
    "教育": "家庭教育",
    "生态环境": "园艺 环境保护",
}
_SERVICE_KINDS = {
    "社会工作服务社": "社会服务",
    "社区服务中心": "社会服务",
    "养老服务中心": "社会服务",
    "公益发展中心": "社会服务",
    "残疾人服务中心": "社会服务",
    "培训学校": "教育",
    "早期教育指导中心": "教育",
    "青少年活动中心": "教育",
    "文化发展中心": "文化",
    "体育俱乐部": "体育",
    "心理咨询服务中心": "卫生健康",
    "调解服务中心": "法律服务",
}
_FOUNDATION_TOPICS = ("教育", "青少年发展", "助老", "文化", "环境保护", "医疗救助")


def _society(rng: random.Random, prefix: str) -> tuple[str, str]:
    category = rng.choice(sorted(_SOCIETY_TOPICS))
    topic = rng.choice(_SOCIETY_TOPICS[category].split())
    suffix = "商会" if category == "行业协会商会" and rng.random() < 0.2 else "协会"
    if category in ("卫生健康", "科技与研究") and rng.random() < 0.5:
        suffix = "学会"
    elif rng.random() < 0.15:
        suffix = rng.choice(("促进会", "研究会"))
    return f"{prefix}{topic}{suffix}", category


def _service_body(rng: random.Random, prefix: str, district: District) -> tuple[str, str]:
    kind = rng.choice(sorted(_SERVICE_KINDS))
    who = street_short(rng.choice(district.streets)) if rng.random() < 0.5 else rng.choice(BRANDS)
    return f"{prefix}{who}{kind}", _SERVICE_KINDS[kind]


def _social_org(
    rng: random.Random, where: City, district_codes: dict[str, str]
) -> tuple[m.Row, District]:
    district = rng.choice(where.districts)
    city_level = rng.random() < 0.25
    prefix = where.name if city_level else f"{where.name}{district.name}"
    kind = weighted(rng, (("社会团体", 0.45), ("社会服务机构", 0.5), ("基金会", 0.05)))
    if kind == "社会团体":
        name, category = _society(rng, prefix)
        funds = rng.choice((3, 5, 10, 20, 30, 50))
    elif kind == "社会服务机构":
        name, category = _service_body(rng, prefix, district)
        funds = rng.choice((3, 5, 10, 20, 50, 100))
    else:
        topic = rng.choice(_FOUNDATION_TOPICS)
        name = f"{where.short}{rng.choice(BRANDS)}{topic}基金会"
        category = "社会服务" if topic in ("助老", "医疗救助") else "教育"
        funds = rng.choice((200, 300, 400, 500, 800, 1000))
        city_level = True
    area = where.code if city_level else district_codes.get(district.name, where.code)
    registered = random_date(rng, date(1995, 1, 1), date(2024, 12, 20))
    inspection = None
    if registered.year < 2024:
        inspection = weighted(
            rng, (("合格", 0.82), ("基本合格", 0.1), ("不合格", 0.03), ("未参检", 0.05))
        )
    row = {
        "uscc": uscc(
            rng, area, authority="5", kind={"社会团体": "1", "社会服务机构": "2"}.get(kind, "3")
        ),
        "name": name,
        "org_type": kind,
        "category": category,
        "registration_authority": f"{where.name}民政局"
        if city_level
        else f"{where.name}{district.name}民政局",
        "registration_date": registered,
        "initial_funds_10k_yuan": funds,
        "address": street_address(rng, where, district),
        "annual_inspection_2023": inspection,
    }
    return row, district


def social_organizations(
    *,
    name: str,
    rng: random.Random,
    where: City,
    district_codes: dict[str, str],
    count: int,
    organization: m.Organization,
    region_code: str,
    title_en: str,
    created: str,
) -> m.Package:
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < count:
        row, _ = _social_org(rng, where, district_codes)
        if row["name"] in seen or row["uscc"] in seen:
            continue
        seen.update((row["name"], row["uscc"]))
        rows.append(row)
    rows.sort(key=lambda row: (row["registration_date"], row["uscc"]))
    categories = sorted({*_SERVICE_KINDS.values(), *_SOCIETY_TOPICS})
    return m.Package(
        name=name,
        title=f"{where.name}社会组织登记信息",
        title_en=title_en,
        summary=f"本数据集发布{where.name}各级民政部门登记的社会团体、社会服务机构（原民办非企业"
        "单位）和基金会的名称、统一社会信用代码、业务类别、登记机关、成立日期、开办资金及"
        "2023年度检查结论。",
        summary_en="Social organisations (associations, social service bodies, foundations) "
        "registered with civil affairs bureaus: code, category, registrar, date, funds and "
        "2023 annual inspection result. Organisation codes starting with YL are synthetic.",
        keywords=["社会组织", "社会团体", "社会服务机构", "基金会"],
        organization=organization,
        region_code=region_code,
        theme="机构团体",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("1995-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created=created,
        version="1.12.0",
        tables=[
            m.Table(
                "organizations",
                "社会组织",
                "每行一个已登记的社会组织。",
                [
                    m.identifier(
                        "uscc",
                        "统一社会信用代码",
                        "社会组织统一社会信用代码（样例代码，组织机构代码部分以YL开头）",
                        r"^5[123]\d{6}YL[0-9A-HJ-NP-RTUW-Y]{8}$",
                    ),
                    m.string("name", "名称", "社会组织名称", required=True, unique=True),
                    m.string(
                        "org_type",
                        "组织类型",
                        "社会团体、社会服务机构或基金会",
                        required=True,
                        enum=["社会团体", "社会服务机构", "基金会"],
                    ),
                    m.string("category", "业务类别", "业务范围所属类别", enum=categories),
                    m.string("registration_authority", "登记管理机关", "登记管理机关"),
                    m.date("registration_date", "成立登记日期", "成立登记日期", required=True),
                    m.integer(
                        "initial_funds_10k_yuan",
                        "开办（注册）资金",
                        "开办或注册资金，万元",
                        minimum=0,
                    ),
                    m.string("address", "住所", "登记住所"),
                    m.string(
                        "annual_inspection_2023",
                        "2023年度检查结论",
                        "合格、基本合格、不合格或未参检；2024年成立的为空",
                        enum=["合格", "基本合格", "不合格", "未参检"],
                    ),
                ],
                rows,
                primary_key=["uscc"],
            )
        ],
    )


# --- 长三角"一网通办" windows ------------------------------------------------------------

# (matter, service object, department kind, handling mode, result delivery, promised days)
_MATTERS = """
企业设立登记|企业|市场监管|全程网办|电子证照|1
企业变更登记|企业|市场监管|全程网办|电子证照|1
企业注销登记|企业|市场监管|异地代收代办|邮寄送达|3
营业执照遗失补领|企业|市场监管|全程网办|电子证照|1
食品经营许可（新办）|企业|市场监管|异地代收代办|邮寄送达|10
食品经营许可（变更）|企业|市场监管|全程网办|电子证照|5
药品零售企业经营许可|企业|药品监管|异地代收代办|邮寄送达|15
第二类医疗器械经营备案|企业|药品监管|全程网办|电子证照|1
道路运输经营许可|企业|交通运输|异地代收代办|邮寄送达|10
建筑业企业资质证书变更|企业|住房城乡建设|多地联办|电子证照|5
排污许可证变更|企业|生态环境|全程网办|电子证照|10
跨区域涉税事项报告|企业|税务|全程网办|电子证照|1
出口退（免）税备案|企业|税务|全程网办|电子证照|2
单位社会保险登记|企业|人力资源社会保障|全程网办|电子证照|1
住房公积金单位缴存登记|企业|住房公积金|全程网办|电子证照|1
人力资源服务许可|企业|人力资源社会保障|异地代收代办|邮寄送达|15
社会保障卡申领|个人|人力资源社会保障|异地代收代办|邮寄送达|15
养老保险关系转移接续|个人|人力资源社会保障|全程网办|电子证照|15
失业保险关系转移接续|个人|人力资源社会保障|全程网办|电子证照|15
职工医保关系转移接续|个人|医疗保障|全程网办|电子证照|15
异地就医备案|个人|医疗保障|全程网办|电子证照|1
城乡居民养老保险待遇资格认证|个人|人力资源社会保障|全程网办|电子证照|1
住房公积金异地转移接续|个人|住房公积金|全程网办|电子证照|5
异地购房提取住房公积金|个人|住房公积金|异地代收代办|窗口领取|3
异地贷款缴存使用证明|个人|住房公积金|全程网办|电子证照|1
户口迁移（迁入）|个人|公安|多地联办|窗口领取|10
居民身份证异地换领|个人|公安|异地代收代办|邮寄送达|20
机动车驾驶证审验|个人|公安|全程网办|电子证照|1
婚姻登记档案查询|个人|民政|异地代收代办|邮寄送达|5
残疾人证迁移|个人|残联|多地联办|邮寄送达|15
教师资格认定|个人|教育|异地代收代办|邮寄送达|30
技能人员职业资格证书补发|个人|人力资源社会保障|异地代收代办|邮寄送达|20
个人所得税纳税记录开具|个人|税务|全程网办|电子证照|1
不动产登记资料查询|个人|规划和自然资源|异地代收代办|窗口领取|3
医师执业注册（变更）|个人|卫生健康|全程网办|电子证照|20
护士执业注册（变更）|个人|卫生健康|全程网办|电子证照|20
无偿献血者异地用血费用报销|个人|卫生健康|异地代收代办|邮寄送达|15
出生医学证明补发|个人|卫生健康|异地代收代办|邮寄送达|20
学历证明（中等职业学校）补办|个人|教育|异地代收代办|邮寄送达|15
道路运输从业人员从业资格证换证|个人|交通运输|全程网办|电子证照|5
"""


def _matter_rows() -> list[m.Row]:
    rows = []
    for index, line in enumerate(_MATTERS.strip().splitlines(), start=1):
        matter, target, department, mode, delivery, limit = line.split("|")
        rows.append(
            {
                "matter_id": f"CSJ{index:03d}",
                "matter_name": matter,
                "service_object": target,
                "department_type": department,
                "handling_mode": mode,
                "result_delivery": delivery,
                "promised_days": int(limit),
            }
        )
    return rows


def matters_table() -> m.Table:
    return m.Table(
        "matters",
        "专窗可办的跨省通办事项",
        "长三角“一网通办”专窗受理的跨省事项及其办理方式。",
        [
            m.identifier("matter_id", "事项编号", "事项编号", r"^CSJ\d{3}$"),
            m.string("matter_name", "事项名称", "事项名称", required=True),
            m.string(
                "service_object", "服务对象", "企业或个人", required=True, enum=["企业", "个人"]
            ),
            m.string("department_type", "主管部门类别", "事项主管部门类别"),
            m.string(
                "handling_mode",
                "办理方式",
                "全程网办、异地代收代办或多地联办",
                required=True,
                enum=["全程网办", "异地代收代办", "多地联办"],
            ),
            m.string(
                "result_delivery",
                "结果送达方式",
                "电子证照、邮寄送达或窗口领取",
                enum=["电子证照", "邮寄送达", "窗口领取"],
            ),
            m.integer("promised_days", "承诺时限", "承诺办结时限，工作日", minimum=1),
        ],
        _matter_rows(),
        primary_key=["matter_id"],
    )


@dataclass(frozen=True)
class ServiceHall:
    district: District
    level: str  # 市级 / 区级 / 县级 / 街镇级
    name: str


def windows_table(
    rng: random.Random, where: City, halls: list[ServiceHall], *, partners: str, prefix: str
) -> m.Table:
    rows = []
    busy = {"市级": (1500, 6000), "区级": (300, 4000), "县级": (200, 1500), "街镇级": (10, 400)}
    offer = {"市级": (180, 480), "区级": (150, 400), "县级": (100, 300), "街镇级": (40, 150)}
    for index, hall in enumerate(halls, start=1):
        lon, lat = point(rng, hall.district)
        weekend = hall.level in ("市级", "区级")
        rows.append(
            {
                "window_id": f"{prefix}{index:03d}",
                "name": f"{hall.name}长三角“一网通办”专窗",
                "level": hall.level,
                "district": hall.district.name,
                "service_hall": hall.name,
                "address": street_address(rng, where, hall.district),
                "opening_hours": "周一至周五 9:00-17:00" + ("，周六 9:00-12:00" if weekend else ""),
                "partner_regions": partners,
                "matters_available": rng.randint(*offer[hall.level]),
                "cases_2024": rng.randint(*busy[hall.level]),
                "opened_date": random_date(rng, date(2019, 5, 22), date(2021, 12, 31)),
                "phone": switchboard(rng, where),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return m.Table(
        "windows",
        "专窗名录",
        "长三角“一网通办”专窗的设置地点、开放时间、可办事项数与年度受理量。",
        [
            m.identifier("window_id", "专窗编号", "专窗编号"),
            m.string("name", "专窗名称", "专窗名称", required=True, unique=True),
            m.string(
                "level",
                "层级",
                "所在服务中心层级",
                required=True,
                enum=["市级", "区级", "县级", "街镇级"],
            ),
            m.string("district", "所在区县", "所在区或县", required=True),
            m.string("service_hall", "所在服务中心", "专窗所在的政务（行政）服务中心"),
            m.string("address", "地址", "服务中心地址"),
            m.string("opening_hours", "开放时间", "专窗开放时间"),
            m.string("partner_regions", "可办理的异地地区", "可受理的异地省市，顿号分隔"),
            m.integer("matters_available", "可办事项数", "专窗可受理的跨省事项数", minimum=0),
            m.integer("cases_2024", "2024年受理量", "2024年受理跨省办件数", minimum=0),
            m.date("opened_date", "开设日期", "专窗开设日期"),
            m.string("phone", "咨询电话", "服务中心咨询总机"),
            *m.coordinates(where.bbox),
        ],
        rows,
        primary_key=["window_id"],
    )
