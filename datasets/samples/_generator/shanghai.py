"""Shanghai city-wide packages (municipal commissions and bureaus)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import model as m
from .common import days, months, seeded, street_short, weighted, words
from .environment import air_fields, air_sample
from .geo import (
    SHANGHAI,
    SHANGHAI_DISTRICT_CODES,
    SHANGHAI_POPULATION,
    District,
    point,
    switchboard,
)
from .geo import street_address as address
from .orgs import ORG
from .shared import social_organizations

DISTRICTS = SHANGHAI.districts
BBOX = SHANGHAI.bbox


def _by_population(rng: random.Random) -> District:
    return weighted(rng, [(d, SHANGHAI_POPULATION[d.name]) for d in DISTRICTS])


# --- air quality -----------------------------------------------------------------------


def _air_stations(rng: random.Random) -> list[m.Row]:
    rows = []
    for index in range(len(DISTRICTS) * 2):
        district = DISTRICTS[index // 2]
        street = district.streets[(index % 2) * 3 % len(district.streets)]
        lon, lat = point(rng, district)
        rows.append(
            {
                "station_code": f"{1141 + index}A",
                "station_name": f"{district.short}{street_short(street)}",
                "district": district.name,
                "station_type": "国控点" if index % 2 == 0 else "市控点",
                "address": address(rng, SHANGHAI, district),
                "start_year": rng.randint(2000, 2016),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _air_daily(rng: random.Random, stations: list[m.Row], first: date, last: date) -> list[m.Row]:
    rows = []
    base_pm25 = 30.0
    for day in days(first, last):
        # A persistent city-wide level: polluted spells last a few days.
        season = 1 + (day - first).days / 90
        base_pm25 = 0.65 * base_pm25 + 0.35 * 20 * season * rng.lognormvariate(0, 0.45)
        ozone = max(40.0, rng.gauss(125 - (day - first).days * 1.5, 25))
        for station in stations:
            central = station["district"] in ("黄浦区", "静安区", "徐汇区", "普陀区", "虹口区")
            sample = air_sample(
                rng,
                pm25=base_pm25 * rng.lognormvariate(0, 0.12),
                ozone=ozone,
                traffic=1.15 if central else 0.9,
            )
            rows.append({"station_code": station["station_code"], "date": day, **sample})
    return rows


def air_quality() -> m.Package:
    name = "sh-air-quality-daily"
    rng = seeded(name)
    first, last = date(2024, 10, 1), date(2024, 11, 9)
    stations = _air_stations(rng)
    return m.Package(
        name=name,
        title="上海市环境空气质量监测站点日均数据",
        title_en="Daily air quality at Shanghai monitoring stations",
        summary="本数据集发布本市环境空气质量监测站点名录，以及各站点逐日的六项污染物浓度、"
        "空气质量指数（AQI）、首要污染物和空气质量级别。",
        summary_en="Monitoring stations and their daily concentrations of six pollutants, "
        "AQI, primary pollutant and quality level, October-November 2024.",
        keywords=["空气质量", "空气质量指数", "细颗粒物", "环境监测"],
        organization=ORG["shanghai-ecology-environment"],
        region_code="310000",
        theme="资源环境",
        open_class="unconditional",
        update_frequency="daily",
        temporal=(first.isoformat(), last.isoformat()),
        licence="cc-by-4.0",
        created="2024-11-10T08:00:00+08:00",
        version="2.3.0",
        tables=[
            m.Table(
                "stations",
                "监测站点",
                "环境空气质量自动监测站点的名称、类型、位置与建站年份。",
                [
                    m.identifier("station_code", "站点编码", "监测站点编码", r"^\d{4}A$"),
                    m.string("station_name", "站点名称", "监测站点名称", required=True),
                    m.string("district", "所在区", "站点所在区", required=True),
                    m.string(
                        "station_type",
                        "站点类型",
                        "国控点或市控点",
                        required=True,
                        enum=["国控点", "市控点"],
                    ),
                    m.string("address", "地址", "站点所在地址"),
                    m.integer("start_year", "建站年份", "开始监测的年份", minimum=1990),
                    *m.coordinates(BBOX),
                ],
                stations,
                primary_key=["station_code"],
            ),
            m.Table(
                "daily_aqi",
                "逐日空气质量",
                "各站点逐日污染物浓度与空气质量指数（HJ 633-2012）。",
                [
                    m.reference("station_code", "站点编码", "监测站点编码，对应监测站点表"),
                    m.date("date", "日期", "监测日期", required=True),
                    *air_fields(),
                ],
                _air_daily(rng, stations, first, last),
                primary_key=["station_code", "date"],
                foreign_keys=[(["station_code"], "stations", ["station_code"])],
            ),
        ],
    )


# --- parking ---------------------------------------------------------------------------

_LOT_TYPES = (("公共停车库", 0.45), ("公共停车场", 0.3), ("道路停车场", 0.17), ("P+R停车场", 0.08))
_VENUES = ("商业广场", "文化中心", "体育中心", "社区服务中心", "大厦", "医院", "公园", "商务楼")


def _lot_name(rng: random.Random, lot_type: str, district: District, road: str) -> str:
    street = street_short(rng.choice(district.streets))
    if lot_type == "公共停车库":
        return f"{street}{rng.choice(_VENUES)}停车库"
    if lot_type == "公共停车场":
        return f"{road}{rng.choice(('', '东', '西', '南', '北'))}公共停车场"
    if lot_type == "道路停车场":
        return f"{road}道路停车场"
    return f"{street}地铁站P+R停车场"


def _parking_lots(rng: random.Random, count: int) -> list[m.Row]:
    rows: list[m.Row] = []
    names: set[str] = set()
    while len(rows) < count:
        district = _by_population(rng)
        lot_type = weighted(rng, _LOT_TYPES)
        if lot_type == "P+R停车场" and district.name in ("黄浦区", "静安区", "虹口区"):
            continue
        road = rng.choice(district.roads)
        name = _lot_name(rng, lot_type, district, road)
        if name in names:
            continue
        names.add(name)
        spaces = {
            "公共停车库": rng.randint(80, 900),
            "公共停车场": rng.randint(30, 300),
            "道路停车场": rng.randint(12, 80),
            "P+R停车场": rng.randint(100, 600),
        }[lot_type]
        central = district.name in ("黄浦区", "静安区", "徐汇区", "长宁区")
        day_rate = rng.choice((10, 12, 15) if central else (3, 5, 6, 8, 10))
        if lot_type == "P+R停车场":
            day_rate = 2
        lon, lat = point(rng, district)
        code = SHANGHAI_DISTRICT_CODES[district.name]
        rows.append(
            {
                "lot_id": f"SHP{code[3:]}{len(rows) + 1:04d}",
                "name": name,
                "district": district.name,
                "address": address(rng, SHANGHAI, district, road),
                "lot_type": lot_type,
                "total_spaces": spaces,
                "ev_charging_spaces": round(spaces * rng.uniform(0, 0.25))
                if lot_type != "道路停车场"
                else 0,
                "day_rate_yuan_per_hour": day_rate,
                "night_rate_yuan_per_hour": max(1, day_rate // 2),
                "open_hours": "00:00-24:00"
                if lot_type != "道路停车场"
                else rng.choice(("07:00-21:00", "07:00-22:00")),
                "longitude": lon,
                "latitude": lat,
            }
        )
    return rows


def _occupancy(rng: random.Random, lots: list[m.Row]) -> list[m.Row]:
    rows = []
    for lot in lots:
        total = lot["total_spaces"]
        busy = {"道路停车场": 0.92, "公共停车库": 0.78, "公共停车场": 0.74, "P+R停车场": 0.55}
        rate = min(1.0, max(0.05, rng.gauss(busy[lot["lot_type"]], 0.15)))
        free = total - round(total * rate)
        status = "已满" if free == 0 else ("紧张" if free / total < 0.1 else "空闲")
        minute, second = rng.randint(25, 29), rng.randint(0, 59)
        rows.append(
            {
                "lot_id": lot["lot_id"],
                "updated_at": f"2024-12-31T17:{minute:02d}:{second:02d}+08:00",
                "free_spaces": free,
                "occupancy_rate_pct": round(100 * (total - free) / total, 1),
                "status": status,
            }
        )
    return rows


def parking() -> m.Package:
    name = "sh-public-parking-lots"
    rng = seeded(name)
    lots = _parking_lots(rng, 240)
    return m.Package(
        name=name,
        title="上海市公共停车场（库）信息及实时泊位",
        title_en="Shanghai public car parks and real-time free spaces",
        summary="本数据集发布本市经营性公共停车场（库）和道路停车场的位置、泊位数、收费标准，"
        "以及接入全市停车信息平台的实时空余泊位快照。",
        summary_en="Public car parks and on-street parking with location, spaces and tariffs, "
        "plus a snapshot of real-time free spaces from the city parking platform.",
        keywords=["停车场", "停车库", "实时泊位", "静态交通"],
        organization=ORG["shanghai-transport"],
        region_code="310000",
        theme="道路交通",
        open_class="conditional",
        update_frequency="realtime",
        temporal=("2024-12-31", "2024-12-31"),
        licence="other-open",
        created="2025-01-02T10:15:00+08:00",
        version="1.4.0",
        tables=[
            m.Table(
                "parking_lots",
                "停车场（库）基本信息",
                "公共停车场（库）的类型、泊位数、充电泊位与收费标准。",
                [
                    m.identifier("lot_id", "停车场编号", "停车场（库）编号", r"^SHP\d{7}$"),
                    m.string("name", "名称", "停车场（库）名称", required=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("address", "地址", "出入口地址"),
                    m.string(
                        "lot_type",
                        "类型",
                        "公共停车库、公共停车场、道路停车场或P+R停车场",
                        required=True,
                        enum=[t for t, _ in _LOT_TYPES],
                    ),
                    m.integer("total_spaces", "总泊位数", "对外开放的泊位数", minimum=1),
                    m.integer("ev_charging_spaces", "充电泊位数", "配建充电桩的泊位数", minimum=0),
                    m.integer(
                        "day_rate_yuan_per_hour", "日间收费", "日间收费标准，元/小时", minimum=0
                    ),
                    m.integer(
                        "night_rate_yuan_per_hour", "夜间收费", "夜间收费标准，元/小时", minimum=0
                    ),
                    m.string("open_hours", "开放时间", "对外开放时段"),
                    *m.coordinates(BBOX),
                ],
                lots,
                primary_key=["lot_id"],
            ),
            m.Table(
                "occupancy_snapshot",
                "实时空余泊位快照",
                "停车信息平台接口的实时空余泊位快照（JSON 数组）。",
                [
                    m.reference("lot_id", "停车场编号", "对应停车场（库）基本信息表"),
                    m.datetime("updated_at", "更新时间", "泊位数据的采集时间", required=True),
                    m.integer("free_spaces", "空余泊位", "当前空余泊位数", minimum=0),
                    m.number(
                        "occupancy_rate_pct", "占用率", "泊位占用率（%）", minimum=0, maximum=100
                    ),
                    m.string("status", "状态", "空闲、紧张或已满", enum=["空闲", "紧张", "已满"]),
                ],
                _occupancy(rng, lots),
                format="json",
                primary_key=["lot_id"],
                foreign_keys=[(["lot_id"], "parking_lots", ["lot_id"])],
            ),
        ],
    )


# --- elderly care ------------------------------------------------------------------------

_CARE_BRANDS = words(
    "福寿 康乐 颐和 安康 怡心 松鹤 椿萱 乐龄 馨园 仁爱 福佑 悦心 长乐 颐年 慈晖 瑞福 和悦 爱晚"
)


def _care_home(rng: random.Random, district: District) -> m.Row:
    street = rng.choice(district.streets)
    kind = weighted(rng, (("长者照护之家", 0.3), ("公办", 0.25), ("公建民营", 0.2), ("民办", 0.25)))
    if kind == "长者照护之家":
        name = f"{district.name}{street}长者照护之家"
        nature = rng.choice(("公建民营", "民办"))
        beds = rng.randint(15, 49)
    elif kind == "民办":
        brand = rng.choice(_CARE_BRANDS)
        name = (
            f"上海{district.short}{brand}{rng.choice(('养老院', '颐养院', '老年公寓', '养护院'))}"
        )
        nature = "民办"
        beds = rng.randint(60, 450)
    else:
        name = f"上海市{district.name}{street}{rng.choice(('敬老院', '养老院'))}"
        nature = kind
        beds = rng.randint(80, 600)
    cheap = nature == "公办"
    fee_min = rng.randrange(2500, 4500 if cheap else 6500, 100)
    return {
        "name": name,
        "district": district.name,
        "street": street,
        "address": address(rng, SHANGHAI, district),
        "nature": nature,
        "beds": beds,
        "nursing_beds": round(beds * rng.uniform(0.5, 0.85)),
        "dementia_care_unit": rng.random() < 0.35,
        "medical_integration": weighted(
            rng, (("内设医疗机构", 0.45), ("签约合作", 0.5), ("无", 0.05))
        ),
        "monthly_fee_min": fee_min,
        "monthly_fee_max": fee_min + rng.randrange(1000, 4000 if cheap else 9000, 100),
        "phone": switchboard(rng, SHANGHAI),
        "opened_year": rng.randint(1985, 2024)
        if kind != "长者照护之家"
        else rng.randint(2015, 2024),
    }


def elderly_care() -> m.Package:
    name = "sh-elderly-care-institutions"
    rng = seeded(name)
    rows: list[m.Row] = []
    seen: set[str] = set()
    while len(rows) < 280:
        district = _by_population(rng)
        row = _care_home(rng, district)
        if row["name"] in seen:
            continue
        seen.add(row["name"])
        lon, lat = point(rng, district)
        code = SHANGHAI_DISTRICT_CODES[district.name]
        rows.append({"institution_id": f"SHYL{code}{len(rows) + 1:03d}", **row})
        rows[-1].update(longitude=lon, latitude=lat)
    return m.Package(
        name=name,
        title="上海市养老机构名录",
        title_en="Directory of elderly care institutions in Shanghai",
        summary="本数据集发布本市已备案养老机构（含长者照护之家）的名称、地址、性质、床位数、"
        "护理型床位、认知障碍照护、医养结合方式与收费区间。",
        summary_en="Registered elderly care institutions (including small community care homes) "
        "with address, ownership, beds, nursing beds, dementia care, medical integration and fees.",
        keywords=["养老机构", "养老院", "长者照护之家", "养老服务"],
        organization=ORG["shanghai-civil-affairs"],
        region_code="310000",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2024-10-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-08T09:00:00+08:00",
        version="3.1.0",
        tables=[
            m.Table(
                "institutions",
                "养老机构",
                "养老机构基本信息。",
                [
                    m.identifier("institution_id", "机构编号", "养老机构编号", r"^SHYL310\d{6}$"),
                    m.string("name", "机构名称", "养老机构名称", required=True, unique=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("street", "街道（镇）", "所在街道或镇"),
                    m.string("address", "地址", "机构地址"),
                    m.string(
                        "nature",
                        "机构性质",
                        "公办、公建民营或民办",
                        required=True,
                        enum=["公办", "公建民营", "民办"],
                    ),
                    m.integer("beds", "核定床位数", "核定床位数", required=True, minimum=1),
                    m.integer("nursing_beds", "护理型床位数", "护理型床位数", minimum=0),
                    m.boolean("dementia_care_unit", "认知障碍照护", "是否设置认知障碍照护单元"),
                    m.string(
                        "medical_integration",
                        "医养结合方式",
                        "内设医疗机构、与医疗机构签约合作或无",
                        enum=["内设医疗机构", "签约合作", "无"],
                    ),
                    m.integer("monthly_fee_min", "月收费下限", "月收费（元）下限", minimum=0),
                    m.integer("monthly_fee_max", "月收费上限", "月收费（元）上限", minimum=0),
                    m.string("phone", "联系电话", "机构总机", pattern=r"^021-\d{8}$"),
                    m.integer("opened_year", "开办年份", "开办年份", minimum=1950),
                    *m.coordinates(BBOX),
                ],
                rows,
                primary_key=["institution_id"],
            )
        ],
    )


# --- community health ------------------------------------------------------------------


def community_health() -> m.Package:
    name = "sh-community-health-centers"
    rng = seeded(name)
    rows = []
    for district in DISTRICTS:
        code = SHANGHAI_DISTRICT_CODES[district.name]
        for index, street in enumerate(district.streets, start=1):
            lon, lat = point(rng, district)
            teams = rng.randint(8, 45)
            rows.append(
                {
                    "center_id": f"SQWS{code}{index:02d}",
                    "name": f"上海市{district.name}{street}社区卫生服务中心",
                    "district": district.name,
                    "street": street,
                    "address": address(rng, SHANGHAI, district),
                    "phone": switchboard(rng, SHANGHAI),
                    "weekday_hours": rng.choice(("08:00-16:30", "07:30-16:30", "08:00-17:00")),
                    "saturday_service": rng.random() < 0.8,
                    "family_doctor_teams": teams,
                    "service_stations": rng.randint(2, 12),
                    "contracted_residents_10k": round(teams * rng.uniform(0.12, 0.22), 1),
                    "fever_sentinel_clinic": rng.random() < 0.85,
                    "longitude": lon,
                    "latitude": lat,
                }
            )
    return m.Package(
        name=name,
        title="上海市社区卫生服务中心名录",
        title_en="Community health service centres in Shanghai",
        summary="本数据集发布本市各街道（镇）社区卫生服务中心的地址、门诊时间、家庭医生团队数、"
        "下设服务站点数、家庭医生签约居民数和发热哨点诊室设置情况。",
        summary_en="Community health service centres of every street and town with address, "
        "opening hours, family doctor teams, sub-stations and contracted residents.",
        keywords=["社区卫生服务中心", "家庭医生", "基层医疗"],
        organization=ORG["shanghai-health"],
        region_code="310000",
        theme="卫生健康",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2024-10-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-06T14:00:00+08:00",
        version="2.0.1",
        tables=[
            m.Table(
                "centers",
                "社区卫生服务中心",
                "社区卫生服务中心基本信息（JSON 数组）。",
                [
                    m.identifier("center_id", "中心编号", "中心编号", r"^SQWS310\d{5}$"),
                    m.string("name", "名称", "社区卫生服务中心名称", required=True, unique=True),
                    m.string("district", "所在区", "所在区", required=True),
                    m.string("street", "街道（镇）", "服务的街道或镇", required=True),
                    m.string("address", "地址", "中心地址"),
                    m.string("phone", "联系电话", "中心总机", pattern=r"^021-\d{8}$"),
                    m.string("weekday_hours", "工作日门诊时间", "工作日门诊时间"),
                    m.boolean("saturday_service", "周六门诊", "周六是否开诊"),
                    m.integer("family_doctor_teams", "家庭医生团队数", "团队数", minimum=0),
                    m.integer("service_stations", "服务站点数", "下设服务站（点）数", minimum=0),
                    m.number(
                        "contracted_residents_10k",
                        "签约居民数",
                        "家庭医生签约居民数，万人",
                        minimum=0,
                    ),
                    m.boolean("fever_sentinel_clinic", "发热哨点诊室", "是否设置发热哨点诊室"),
                    *m.coordinates(BBOX),
                ],
                rows,
                format="json",
                primary_key=["center_id"],
            )
        ],
    )


# --- food safety -------------------------------------------------------------------------

_FOODS = {
    "粮食加工品": ("大米 小麦粉 挂面 糯米粉", "镉(以Cd计) 黄曲霉毒素B1"),
    "食用油、油脂及其制品": (
        "菜籽油 大豆油 花生油 食用植物调和油 芝麻油",
        "酸价(KOH) 过氧化值 苯并[a]芘",
    ),
    "调味品": (
        "酱油 食醋 味精 鸡精调味料 辣椒酱",
        "氨基酸态氮 菌落总数 苯甲酸及其钠盐(以苯甲酸计)",
    ),
    "肉制品": ("酱卤肉制品 熏煮香肠 腌腊肉制品", "亚硝酸盐(以亚硝酸钠计) 菌落总数 大肠菌群"),
    "乳制品": ("巴氏杀菌乳 发酵乳 灭菌乳 调制乳粉", "蛋白质 菌落总数 酸度"),
    "饮料": ("饮用纯净水 果蔬汁饮料 茶饮料 碳酸饮料", "铜绿假单胞菌 菌落总数"),
    "糕点": ("月饼 蛋糕 面包 中式糕点", "菌落总数 霉菌 脱氢乙酸及其钠盐(以脱氢乙酸计)"),
    "速冻食品": ("速冻水饺 速冻汤圆 速冻包子", "过氧化值(以脂肪计)"),
    "食用农产品": (
        "青菜 芹菜 豇豆 鸡蛋 猪肉 鸡肉 鲈鱼 对虾",
        "毒死蜱 腐霉利 恩诺沙星 氟苯尼考 镉(以Cd计)",
    ),
    "餐饮食品": (
        "复用餐饮具 自制饮品 米饭 凉拌菜",
        "大肠菌群 阴离子合成洗涤剂(以十二烷基苯磺酸钠计)",
    ),
    "蔬菜制品": ("酱腌菜 干制蔬菜", "苯甲酸及其钠盐(以苯甲酸计) 二氧化硫残留量"),
    "豆制品": ("豆腐 腐竹 豆干", "脱氢乙酸及其钠盐(以脱氢乙酸计) 铝的残留量(干样品，以Al计)"),
    "酒类": ("黄酒 啤酒 白酒", "酒精度 甲醇"),
    "茶叶及相关制品": ("绿茶 红茶 花茶", "铅(以Pb计) 吡虫啉"),
    "炒货食品及坚果制品": ("瓜子 花生 开心果", "过氧化值(以脂肪计) 酸价(以脂肪计)(KOH)"),
}
_PLACES = {
    "流通": ("超市", "农贸市场", "便利店"),
    "餐饮": ("餐饮服务单位", "集体用餐配送单位", "学校食堂"),
    "生产": ("生产企业",),
    "网络销售": ("电商平台",),
}


def _food_sample(rng: random.Random, serial: int, when: date) -> m.Row:
    category = rng.choice(sorted(_FOODS))
    products, hazards = (text.split() for text in _FOODS[category])
    stage = weighted(rng, (("流通", 0.55), ("餐饮", 0.25), ("生产", 0.12), ("网络销售", 0.08)))
    if category == "餐饮食品":
        stage = "餐饮"
    failed = rng.random() < 0.025
    district = _by_population(rng)
    return {
        "sample_no": f"DC24{SHANGHAI_DISTRICT_CODES[district.name]}{serial:06d}",
        "sampling_date": when,
        "district": district.name,
        "food_category": category,
        "food_name": rng.choice(products),
        "sampling_stage": stage,
        "sampling_place_type": rng.choice(_PLACES[stage]),
        "result": "不合格" if failed else "合格",
        "nonconforming_items": rng.choice(hazards) if failed else None,
    }


def food_safety() -> m.Package:
    name = "sh-food-safety-sampling"
    rng = seeded(name)
    first = date(2024, 7, 1)
    rows = [
        _food_sample(rng, serial, first + timedelta(days=rng.randint(0, 183)))
        for serial in range(1, 601)
    ]
    rows.sort(key=lambda row: (row["sampling_date"], row["sample_no"]))
    return m.Package(
        name=name,
        title="上海市食品安全监督抽检信息",
        title_en="Food safety sampling inspection results in Shanghai",
        summary="本数据集发布本市食品安全监督抽检的样品类别、抽样环节、抽样场所类型、检验结论及"
        "不合格项目，不含被抽样单位名称。",
        summary_en="Food safety sampling inspections: food category, stage, place type, result and "
        "non-conforming items (no company names), second half of 2024.",
        keywords=["食品安全", "监督抽检", "抽检结果"],
        organization=ORG["shanghai-market-regulation"],
        region_code="310000",
        theme="公共安全",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-07-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-10T16:20:00+08:00",
        version="1.6.0",
        tables=[
            m.Table(
                "samples",
                "抽检样品",
                "每条记录为一个抽检样品的检验结论。",
                [
                    m.identifier("sample_no", "抽样单编号", "抽样单编号", r"^DC24310\d{9}$"),
                    m.date("sampling_date", "抽样日期", "抽样日期", required=True),
                    m.string("district", "抽样所在区", "抽样所在区", required=True),
                    m.string(
                        "food_category",
                        "食品大类",
                        "按国家食品安全抽检规则的食品大类",
                        required=True,
                        enum=sorted(_FOODS),
                    ),
                    m.string("food_name", "样品名称", "样品名称（细类）", required=True),
                    m.string(
                        "sampling_stage",
                        "抽样环节",
                        "生产、流通、餐饮或网络销售",
                        required=True,
                        enum=sorted(_PLACES),
                    ),
                    m.string("sampling_place_type", "抽样场所类型", "抽样场所类型"),
                    m.string(
                        "result", "检验结论", "合格或不合格", required=True, enum=["合格", "不合格"]
                    ),
                    m.string("nonconforming_items", "不合格项目", "不合格时的不合格项目"),
                ],
                rows,
                primary_key=["sample_no"],
            )
        ],
    )


# --- new market entities ---------------------------------------------------------------

# GB/T 4754-2017 sections: (code, name, share of new enterprises, share of individual
# businesses, average registered capital of a new enterprise in 10k yuan).
_SECTIONS = (
    ("A", "农、林、牧、渔业", 0.003, 0.004, 300),
    ("B", "采矿业", 0.0001, 0.0, 1000),
    ("C", "制造业", 0.04, 0.02, 800),
    ("D", "电力、热力、燃气及水生产和供应业", 0.004, 0.0, 3000),
    ("E", "建筑业", 0.045, 0.01, 900),
    ("F", "批发和零售业", 0.30, 0.46, 150),
    ("G", "交通运输、仓储和邮政业", 0.022, 0.05, 300),
    ("H", "住宿和餐饮业", 0.025, 0.21, 60),
    ("I", "信息传输、软件和信息技术服务业", 0.10, 0.01, 250),
    ("J", "金融业", 0.004, 0.0, 6000),
    ("K", "房地产业", 0.015, 0.005, 2500),
    ("L", "租赁和商务服务业", 0.18, 0.03, 300),
    ("M", "科学研究和技术服务业", 0.17, 0.02, 200),
    ("N", "水利、环境和公共设施管理业", 0.008, 0.004, 400),
    ("O", "居民服务、修理和其他服务业", 0.03, 0.15, 50),
    ("P", "教育", 0.01, 0.005, 100),
    ("Q", "卫生和社会工作", 0.004, 0.002, 300),
    ("R", "文化、体育和娱乐业", 0.04, 0.024, 120),
    ("S", "公共管理、社会保障和社会组织", 0.00005, 0.0, 50),
    ("T", "国际组织", 0.0, 0.0, 0),
)
_SEASON = (0.95, 0.7, 1.15, 1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.85, 1.0, 1.1)


def _entity_rows(rng: random.Random, periods: list[str]) -> list[m.Row]:
    rows = []
    for period in periods:
        year, month = (int(x) for x in period.split("-"))
        scale = _SEASON[month - 1] * (1.05 if year == 2024 else 1.0)
        enterprises = 40000 * scale * rng.uniform(0.95, 1.05)
        individuals = 15000 * scale * rng.uniform(0.92, 1.08)
        for code, title, share, ind_share, capital in _SECTIONS:
            count = round(enterprises * share * rng.uniform(0.9, 1.1))
            rows.append(
                {
                    "period": period,
                    "industry_code": code,
                    "industry_name": title,
                    "new_enterprises": count,
                    "new_individual_businesses": round(
                        individuals * ind_share * rng.uniform(0.9, 1.1)
                    ),
                    "new_registered_capital_100m_yuan": round(
                        count * capital * rng.lognormvariate(0, 0.2) / 10000, 2
                    ),
                    "deregistered_enterprises": round(count * rng.uniform(0.25, 0.45)),
                }
            )
    return rows


def market_entities() -> m.Package:
    name = "sh-new-market-entities-by-industry"
    rng = seeded(name)
    periods = months("2023-01", "2024-12")
    return m.Package(
        name=name,
        title="上海市新设市场主体统计（按行业门类）",
        title_en="New market entities in Shanghai by industry section, monthly",
        summary="本数据集按月发布本市新设企业户数、新设个体工商户户数、新设企业注册资本及注销企业"
        "户数，按国民经济行业门类（GB/T 4754-2017）分列。",
        summary_en="Monthly counts of newly registered enterprises and individual businesses, "
        "their registered capital and deregistrations, by GB/T 4754-2017 industry section.",
        keywords=["市场主体", "企业登记", "营商环境", "行业统计"],
        organization=ORG["shanghai-market-regulation"],
        region_code="310000",
        theme="经济建设",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2023-01-01", "2024-12-31"),
        licence="cc0-1.0",
        created="2025-01-15T10:00:00+08:00",
        version="1.24.0",
        tables=[
            m.Table(
                "monthly_by_industry",
                "分行业月度新设市场主体",
                "每月每个行业门类一行。",
                [
                    m.yearmonth("period", "统计月份", "统计月份（YYYY-MM）"),
                    m.string(
                        "industry_code",
                        "行业门类代码",
                        "GB/T 4754-2017 门类代码",
                        required=True,
                        pattern="^[A-T]$",
                    ),
                    m.string("industry_name", "行业门类", "GB/T 4754-2017 门类名称", required=True),
                    m.integer("new_enterprises", "新设企业", "新设企业户数", minimum=0),
                    m.integer(
                        "new_individual_businesses",
                        "新设个体工商户",
                        "新设个体工商户户数",
                        minimum=0,
                    ),
                    m.number(
                        "new_registered_capital_100m_yuan",
                        "新设企业注册资本",
                        "新设企业注册资本合计，亿元",
                        minimum=0,
                    ),
                    m.integer("deregistered_enterprises", "注销企业", "注销企业户数", minimum=0),
                ],
                _entity_rows(rng, periods),
                primary_key=["period", "industry_code"],
            )
        ],
    )


# --- social organisations ----------------------------------------------------------------


def social_orgs() -> m.Package:
    name = "sh-social-organizations"
    return social_organizations(
        name=name,
        rng=seeded(name),
        where=SHANGHAI,
        district_codes=SHANGHAI_DISTRICT_CODES,
        count=300,
        organization=ORG["shanghai-civil-affairs"],
        region_code="310000",
        title_en="Registered social organisations in Shanghai",
        created="2025-01-03T11:00:00+08:00",
    )


BUILDERS = (
    air_quality,
    parking,
    elderly_care,
    community_health,
    food_safety,
    market_entities,
    social_orgs,
)
