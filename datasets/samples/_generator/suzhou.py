"""Suzhou (Jiangsu) packages of the municipal transportation bureau."""

from __future__ import annotations

import itertools
import math
import random

from . import model as m
from .common import seeded, street_short, weighted
from .geo import SUZHOU, District, point
from .geo import street_address as address
from .orgs import ORG

# --- Suzhou EV charging --------------------------------------------------------------------

_CHARGING_SITES = (
    "公共停车场",
    "商业广场",
    "公交首末站",
    "高铁站停车场",
    "体育中心",
    "产业园",
    "交通枢纽",
    "社区中心",
)
_OPERATORS = (
    ("充电运营商", 0.55),
    ("电网企业", 0.2),
    ("公交企业", 0.1),
    ("商业综合体", 0.1),
    ("汽车厂商", 0.05),
)


def _charging_station(rng: random.Random, serial: int, label: str, district: District) -> m.Row:
    operator = weighted(rng, _OPERATORS)
    fast = rng.randint(2, 30)
    lon, lat = point(rng, district)
    return {
        "station_id": f"SZCD{serial:04d}",
        "name": label,
        "operator_type": operator,
        "district": district.name,
        "address": address(rng, SUZHOU, district),
        "fast_chargers": fast,
        "slow_chargers": rng.randint(0, 20) if operator != "公交企业" else 0,
        "max_power_kw": rng.choice((60, 120, 120, 160, 180, 240, 360, 480)),
        "electricity_fee_yuan_per_kwh": round(rng.uniform(0.55, 1.05), 4),
        "service_fee_yuan_per_kwh": round(rng.choice((0.4, 0.5, 0.6, 0.7, 0.8)), 2),
        "parking_policy": rng.choice(("充电期间免停车费", "充电免费停车2小时", "按停车场标准收费")),
        "open_hours": "00:00-24:00" if rng.random() < 0.85 else "07:00-23:00",
        "longitude": lon,
        "latitude": lat,
    }


def ev_charging() -> m.Package:
    name = "suzhou-ev-charging-stations"
    rng = seeded(name)
    rows: list[m.Row] = []
    labels: set[str] = set()
    while len(rows) < 220:
        district = rng.choice(SUZHOU.districts)
        place = (
            rng.choice(district.roads)
            if rng.random() < 0.5
            else street_short(rng.choice(district.streets))
        )
        label = f"{district.short}{place}{rng.choice(_CHARGING_SITES)}充电站"
        if label in labels:
            continue
        labels.add(label)
        rows.append(_charging_station(rng, len(rows) + 1, label, district))
    return m.Package(
        name=name,
        title="苏州市电动汽车公共充电站",
        title_en="Public EV charging stations in Suzhou",
        summary="本数据集发布苏州市对外开放的电动汽车公共充电站的位置、运营主体类型、快慢充桩数量、"
        "最大功率、电费与服务费标准和停车收费政策。",
        summary_en="Public electric-vehicle charging stations in Suzhou with operator type, "
        "fast and slow chargers, maximum power, tariffs and parking policy.",
        keywords=["充电站", "充电桩", "新能源汽车"],
        organization=ORG["suzhou-transport"],
        region_code="320500",
        theme="道路交通",
        open_class="unconditional",
        update_frequency="weekly",
        temporal=("2024-12-23", "2024-12-29"),
        licence="cc-by-4.0",
        created="2024-12-30T09:00:00+08:00",
        version="1.52.0",
        tables=[
            m.Table(
                "stations",
                "公共充电站",
                "公共充电站清单（JSON 数组）。",
                [
                    m.identifier("station_id", "充电站编号", "充电站编号", r"^SZCD\d{4}$"),
                    m.string("name", "充电站名称", "充电站名称", required=True, unique=True),
                    m.string(
                        "operator_type",
                        "运营主体类型",
                        "运营主体类型",
                        enum=[item for item, _ in _OPERATORS],
                    ),
                    m.string("district", "所在区（市）", "所在区或县级市", required=True),
                    m.string("address", "地址", "充电站地址"),
                    m.integer("fast_chargers", "直流快充桩", "直流快充桩数量", minimum=0),
                    m.integer("slow_chargers", "交流慢充桩", "交流慢充桩数量", minimum=0),
                    m.integer("max_power_kw", "最大功率", "单桩最大输出功率，千瓦", minimum=0),
                    m.number(
                        "electricity_fee_yuan_per_kwh", "电费", "平均电费，元/千瓦时", minimum=0
                    ),
                    m.number(
                        "service_fee_yuan_per_kwh", "服务费", "充电服务费，元/千瓦时", minimum=0
                    ),
                    m.string("parking_policy", "停车收费政策", "充电期间停车收费政策"),
                    m.string("open_hours", "开放时间", "开放时间"),
                    *m.coordinates(SUZHOU.bbox),
                ],
                rows,
                format="json",
                primary_key=["station_id"],
            )
        ],
    )


# --- Suzhou bus routes ---------------------------------------------------------------------


def _route_names(rng: random.Random) -> list[tuple[str, str]]:
    regular = sorted(rng.sample(range(1, 400), 32))
    out = [(f"{n}路", "常规线路") for n in regular]
    out += [(f"快线{n}号", "快速公交") for n in range(1, 7)]
    out += [(f"游{n}", "旅游专线") for n in range(1, 5)]
    out += [(f"夜{n}", "夜间线路") for n in range(1, 5)]
    out += [(f"社区巴士{n}号", "社区巴士") for n in range(1, 5)]
    return out


def _stop_name(rng: random.Random, district: District) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(district.roads)}{rng.choice(('', '东', '西', '南', '北', '口'))}"
    place = street_short(rng.choice(district.streets))
    return f"{place}{rng.choice(('', '新村', '中心', '医院', '公园', '小学', '首末站'))}"


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111.3 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 111.3
    return math.hypot(dx, dy)


def _route_stops(rng: random.Random, route_id: str, kind: str) -> list[m.Row]:
    core = [
        d
        for d in SUZHOU.districts
        if d.name in ("姑苏区", "虎丘区", "吴中区", "相城区", "苏州工业园区")
    ]
    home, away = rng.sample(core, 2)
    count = {"社区巴士": rng.randint(10, 16), "快速公交": rng.randint(12, 20)}.get(
        kind, rng.randint(16, 30)
    )
    start, end = point(rng, home), point(rng, away)
    stops: list[m.Row] = []
    names: set[str] = set()
    for seq in range(count):
        share = seq / (count - 1)
        lon = start[0] + (end[0] - start[0]) * share + rng.gauss(0, 0.003)
        lat = start[1] + (end[1] - start[1]) * share + rng.gauss(0, 0.003)
        district = home if share < 0.5 else away
        label = _stop_name(rng, district)
        while label in names:
            label = _stop_name(rng, district)
        names.add(label)
        stops.append(
            {
                "route_id": route_id,
                "seq": seq + 1,
                "stop_name": label,
                "longitude": round(lon, 6),
                "latitude": round(lat, 6),
            }
        )
    return stops


def bus_routes() -> m.Package:
    name = "suzhou-bus-routes"
    rng = seeded(name)
    routes: list[m.Row] = []
    stops: list[m.Row] = []
    for serial, (route_name, kind) in enumerate(_route_names(rng), start=1):
        route_id = f"SZBUS{serial:03d}"
        line = _route_stops(rng, route_id, kind)
        stops += line
        coords = [(s["longitude"], s["latitude"]) for s in line]
        length = sum(_distance_km(a, b) for a, b in itertools.pairwise(coords)) * 1.25
        night = kind == "夜间线路"
        routes.append(
            {
                "route_id": route_id,
                "route_name": route_name,
                "route_type": kind,
                "origin": line[0]["stop_name"],
                "terminus": line[-1]["stop_name"],
                "stop_count": len(line),
                "length_km": round(length, 1),
                "first_bus": "21:30"
                if night
                else f"0{rng.randint(5, 6)}:{rng.choice(('00', '15', '30'))}",
                "last_bus": "01:30"
                if night
                else f"{rng.randint(20, 22)}:{rng.choice(('00', '30'))}",
                "fare_yuan": 1 if kind == "社区巴士" else 2,
                "peak_headway_min": rng.choice((5, 6, 8, 10, 12, 15)) if not night else 30,
            }
        )
    time_pattern = r"^([01]\d|2[0-3]):[0-5]\d$"
    return m.Package(
        name=name,
        title="苏州市公交线路及站点",
        title_en="Suzhou bus routes and stops",
        summary="本数据集发布苏州市区公交线路的类型、起讫站、站点数、线路长度、首末班时间、票价和"
        "高峰发车间隔，以及各线路上行方向的站序和站点坐标。",
        summary_en="Bus routes of central Suzhou with type, termini, stops, length, first and "
        "last departures, fare and peak headway, and the ordered outbound stops with "
        "coordinates.",
        keywords=["公交线路", "公交站点", "公共交通"],
        organization=ORG["suzhou-transport"],
        region_code="320500",
        theme="道路交通",
        open_class="unconditional",
        update_frequency="monthly",
        temporal=("2024-12-01", "2024-12-31"),
        licence="cc-by-4.0",
        created="2025-01-02T16:00:00+08:00",
        version="3.4.0",
        tables=[
            m.Table(
                "routes",
                "公交线路",
                "每行一条公交线路。",
                [
                    m.identifier("route_id", "线路编号", "线路编号", r"^SZBUS\d{3}$"),
                    m.string("route_name", "线路名称", "线路名称", required=True, unique=True),
                    m.string(
                        "route_type",
                        "线路类型",
                        "线路类型",
                        enum=["常规线路", "快速公交", "旅游专线", "夜间线路", "社区巴士"],
                    ),
                    m.string("origin", "起点站", "上行起点站"),
                    m.string("terminus", "终点站", "上行终点站"),
                    m.integer("stop_count", "站点数", "上行站点数", minimum=2),
                    m.number("length_km", "线路长度", "上行线路长度，公里", minimum=0),
                    m.string("first_bus", "首班时间", "上行首班时间 HH:MM", pattern=time_pattern),
                    m.string("last_bus", "末班时间", "上行末班时间 HH:MM", pattern=time_pattern),
                    m.integer("fare_yuan", "票价", "单一票价，元", minimum=0),
                    m.integer("peak_headway_min", "高峰发车间隔", "高峰发车间隔，分钟", minimum=1),
                ],
                routes,
                primary_key=["route_id"],
            ),
            m.Table(
                "route_stops",
                "线路站点",
                "各线路上行方向的站点序列。",
                [
                    m.reference("route_id", "线路编号", "对应公交线路表"),
                    m.integer("seq", "站序", "上行站序，从1开始", required=True, minimum=1),
                    m.string("stop_name", "站点名称", "站点名称", required=True),
                    *m.coordinates(SUZHOU.bbox),
                ],
                stops,
                primary_key=["route_id", "seq"],
                foreign_keys=[(["route_id"], "routes", ["route_id"])],
            ),
        ],
    )


BUILDERS = (ev_charging, bus_routes)
