"""宿州 (Suzhou, Anhui) packages of the data resources administration (政务服务)."""

from __future__ import annotations

import random

from . import model as m
from .common import months, seeded
from .geo import SUZHOU_ANHUI, District, point, switchboard
from .geo import street_address as address
from .orgs import ORG
from .shared import ServiceHall, matters_table, windows_table

WHERE = SUZHOU_ANHUI
CENTRE = WHERE.district("埇桥区")


def _county_hall(district: District) -> ServiceHall:
    level = "区级" if district.name.endswith("区") else "县级"
    return ServiceHall(district, level, f"{district.name}政务服务中心")


def service_windows() -> m.Package:
    name = "suzhou-anhui-yrd-service-windows"
    rng = seeded(name)
    halls = [ServiceHall(CENTRE, "市级", "宿州市政务服务中心")]
    for district in WHERE.districts:
        halls.append(_county_hall(district))
        towns = [s for s in district.streets if not s.endswith("街道")]
        for town in rng.sample(towns, 5):
            halls.append(ServiceHall(district, "街镇级", f"{district.name}{town}便民服务中心"))
    return m.Package(
        name=name,
        title="宿州市长三角“一网通办”专窗",
        title_en="Yangtze River Delta cross-province service windows in Suzhou (Anhui)",
        summary="本数据集发布宿州市市、县（区）政务服务中心和乡镇便民服务中心设置的长三角"
        "“一网通办”专窗的地点、开放时间、可办事项数和年度受理量，以及专窗可办的跨省通办事项清单。",
        summary_en="Cross-province service windows in the city, county and township service "
        "centres of Suzhou, Anhui, and the list of matters they accept.",
        keywords=["一网通办", "长三角", "跨省通办", "政务服务"],
        organization=ORG["suzhou-anhui-data-resources"],
        region_code="341300",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-01-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-06T09:30:00+08:00",
        version="1.5.0",
        tables=[
            windows_table(rng, WHERE, halls, partners="上海市、江苏省、浙江省", prefix="SZAHZC"),
            matters_table(),
        ],
    )


# --- monthly service statistics ------------------------------------------------------------

# Department and its monthly applications at the start of 2023 (city level).
_DEPARTMENTS = (
    ("宿州市市场监督管理局", 5200),
    ("宿州市人力资源和社会保障局", 9800),
    ("宿州市医疗保障局", 7400),
    ("宿州市住房公积金管理中心", 4100),
    ("宿州市公安局", 6600),
    ("宿州市自然资源和规划局", 3900),
    ("宿州市住房和城乡建设局", 1300),
    ("宿州市交通运输局", 2100),
    ("宿州市卫生健康委员会", 1600),
    ("宿州市民政局", 1200),
    ("宿州市教育体育局", 900),
    ("国家税务总局宿州市税务局", 8800),
    ("宿州市生态环境局", 300),
    ("宿州市农业农村局", 700),
    ("宿州市文化和旅游局", 250),
    ("宿州市商务局", 180),
    ("宿州市城市管理局", 650),
    ("宿州市残疾人联合会", 420),
    ("宿州市司法局", 380),
    ("宿州市应急管理局", 160),
)
_SEASON = (1.0, 0.7, 1.15, 1.0, 1.0, 1.05, 1.1, 1.05, 1.0, 0.9, 1.0, 1.1)


def _statistics(rng: random.Random) -> list[m.Row]:
    rows = []
    periods = months("2023-01", "2024-12")
    for department, base in _DEPARTMENTS:
        online = rng.uniform(0.55, 0.8)
        for index, period in enumerate(periods):
            applications = round(
                base * _SEASON[int(period[5:]) - 1] * (1 + 0.004 * index) * rng.uniform(0.92, 1.08)
            )
            completed = round(applications * rng.uniform(0.96, 1.0))
            online = min(0.97, online + rng.uniform(0, 0.012))
            rows.append(
                {
                    "period": period,
                    "department": department,
                    "applications": applications,
                    "completed": completed,
                    "on_time_rate_pct": round(rng.uniform(99.2, 100.0), 2),
                    "online_rate_pct": round(100 * online, 1),
                    "satisfaction_pct": round(rng.uniform(99.5, 100.0), 2),
                    "negative_reviews": rng.randint(0, max(1, applications // 2500)),
                }
            )
    return rows


def service_statistics() -> m.Package:
    name = "suzhou-anhui-service-statistics"
    rng = seeded(name)
    return m.Package(
        name=name,
        title="宿州市政务服务事项办件量统计",
        title_en="Monthly government service cases by department in Suzhou (Anhui)",
        summary="本数据集按月发布宿州市各部门政务服务事项的受理量、办结量、按时办结率、全程网办率、"
        "“好差评”满意率和差评数。",
        summary_en="Monthly applications, completions, on-time and online rates, satisfaction "
        "and negative reviews of government services by department, 2023-2024.",
        keywords=["政务服务", "办件量", "好差评", "一网通办"],
        organization=ORG["suzhou-anhui-data-resources"],
        region_code="341300",
        theme="社会发展",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2023-01-01", "2024-12-31"),
        licence="cc0-1.0",
        created="2025-01-08T10:00:00+08:00",
        version="1.24.0",
        tables=[
            m.Table(
                "monthly_cases",
                "分部门月度办件量",
                "每部门每月一行。",
                [
                    m.yearmonth("period", "统计月份", "统计月份（YYYY-MM）"),
                    m.string("department", "部门", "办理部门", required=True),
                    m.integer("applications", "受理量", "受理件数", minimum=0),
                    m.integer("completed", "办结量", "办结件数", minimum=0),
                    m.number("on_time_rate_pct", "按时办结率", "%", minimum=0, maximum=100),
                    m.number("online_rate_pct", "全程网办率", "%", minimum=0, maximum=100),
                    m.number("satisfaction_pct", "好差评满意率", "%", minimum=0, maximum=100),
                    m.integer("negative_reviews", "差评数", "差评件数", minimum=0),
                ],
                _statistics(rng),
                primary_key=["period", "department"],
            )
        ],
    )


# --- service centres ----------------------------------------------------------------------


def _centre(rng: random.Random, serial: int, label: str, level: str, district: District) -> m.Row:
    big = level != "乡镇（街道）级"
    lon, lat = point(rng, district)
    return {
        "center_id": f"SZAHZW{serial:03d}",
        "name": label,
        "level": level,
        "county": district.name,
        "address": address(rng, WHERE, district),
        "service_windows": rng.randint(40, 160) if big else rng.randint(4, 14),
        "matters_available": rng.randint(800, 1600) if big else rng.randint(120, 300),
        "self_service_terminals": rng.randint(8, 30) if big else rng.randint(1, 4),
        "opening_hours": "周一至周五 8:30-12:00，14:30-17:30"
        + ("；周六 9:00-12:00" if big else ""),
        "phone": switchboard(rng, WHERE),
        "longitude": lon,
        "latitude": lat,
    }


def service_centres() -> m.Package:
    name = "suzhou-anhui-service-centers"
    rng = seeded(name)
    entries = [("宿州市政务服务中心", "市级", CENTRE)]
    for district in WHERE.districts:
        entries.append((f"{district.name}政务服务中心", "县（区）级", district))
        for street in district.streets:
            suffix = "为民服务中心" if street.endswith("街道") else "便民服务中心"
            entries.append((f"{district.name}{street}{suffix}", "乡镇（街道）级", district))
    rows = [
        _centre(rng, serial, label, level, district)
        for serial, (label, level, district) in enumerate(entries, start=1)
    ]
    return m.Package(
        name=name,
        title="宿州市政务服务中心及乡镇（街道）便民服务中心",
        title_en="Government service centres in Suzhou (Anhui)",
        summary="本数据集发布宿州市市级、县（区）级政务服务中心和乡镇（街道）便民服务中心的地址、"
        "窗口数、可办事项数、自助终端数、办公时间和咨询电话。",
        summary_en="City, county and township government service centres of Suzhou, Anhui with "
        "address, windows, available matters, self-service terminals, hours and phone.",
        keywords=["政务服务中心", "便民服务中心", "办事大厅"],
        organization=ORG["suzhou-anhui-data-resources"],
        region_code="341300",
        theme="民生服务",
        open_class="unconditional",
        update_frequency="quarterly",
        temporal=("2024-10-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-06T10:00:00+08:00",
        version="1.3.0",
        tables=[
            m.Table(
                "centers",
                "服务中心",
                "每行一个政务（便民）服务中心。",
                [
                    m.identifier("center_id", "中心编号", "中心编号", r"^SZAHZW\d{3}$"),
                    m.string("name", "名称", "服务中心名称", required=True, unique=True),
                    m.string(
                        "level",
                        "层级",
                        "层级",
                        enum=["市级", "县（区）级", "乡镇（街道）级"],
                    ),
                    m.string("county", "县区", "所在县区", required=True),
                    m.string("address", "地址", "地址"),
                    m.integer("service_windows", "窗口数", "综合受理窗口数", minimum=0),
                    m.integer("matters_available", "可办事项数", "可办政务服务事项数", minimum=0),
                    m.integer("self_service_terminals", "自助终端", "自助服务终端数", minimum=0),
                    m.string("opening_hours", "办公时间", "办公时间"),
                    m.string("phone", "咨询电话", "咨询总机", pattern=r"^0557-\d{7}$"),
                    *m.coordinates(WHERE.bbox),
                ],
                rows,
                primary_key=["center_id"],
            )
        ],
    )


BUILDERS = (service_windows, service_statistics, service_centres)
