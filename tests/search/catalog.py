"""A small hand-made catalogue whose every property the behavioural suite knows."""

from __future__ import annotations

from typing import Any

from search.protocol import PUBLIC_LABEL, IndexDoc, creator_label, member_label

ORGS = {
    "sh-eco": ("o-sh-eco", "上海市生态环境局"),
    "hz-eco": ("o-hz-eco", "杭州市生态环境局"),
    "sz-civil": ("o-sz-civil", "苏州市民政局"),
    "hf-transport": ("o-hf-transport", "合肥市交通运输局"),
    "xh-gov": ("o-xh-gov", "上海市徐汇区人民政府"),
    "nj-edu": ("o-nj-edu", "南京市教育局"),
}


def package(
    name: str,
    title: str,
    *,
    org: str,
    region: str,
    theme: str,
    modified: str,
    created: str = "2024-01-01T00:00:00.000000",
    tags: tuple[str, ...] = (),
    formats: tuple[str, ...] = ("CSV",),
    license_id: str = "cc-by-4.0",
    notes: str = "",
    title_en: str | None = None,
    notes_en: str | None = None,
    private: bool = False,
    state: str = "active",
    open_class: str = "unconditional",
    groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    org_id, org_title = ORGS[org]
    return {
        "id": f"id-{name}",
        "name": name,
        "title": title,
        "notes": notes,
        "type": "dataset",
        "state": state,
        "private": private,
        "owner_org": org_id,
        "organization": {"id": org_id, "name": org, "title": org_title, "type": "organization"},
        "license_id": license_id,
        "tags": [{"name": tag} for tag in tags],
        "groups": [{"name": g, "title": g.title(), "id": f"g-{g}"} for g in groups],
        "resources": [
            {"name": f"{title}（{fmt}）", "format": fmt, "url": f"https://example.invalid/{name}"}
            for fmt in formats
        ],
        "metadata_created": created,
        "metadata_modified": modified,
        "region_code": region,
        "open_class": open_class,
        "update_frequency": "monthly",
        "theme": theme,
        "title_en": title_en,
        "notes_en": notes_en,
        "temporal_start": None,
        "temporal_end": None,
        "extras": [{"key": "source", "value": "test"}],
    }


PUBLIC = [
    package(
        "air-shanghai",
        "上海市空气质量实时监测数据",
        org="sh-eco",
        region="310000",
        theme="资源环境",
        modified="2025-03-01T08:15:00.123456",
        created="2023-05-01T00:00:00.000000",
        tags=("空气质量", "环境监测"),
        formats=("CSV", "API"),
        notes="全市空气质量监测站点的实时AQI数据。",
        title_en="Real-time Air Quality - Shanghai",
        groups=("environment",),
    ),
    package(
        "air-hangzhou",
        "杭州市环境空气质量日报",
        org="hz-eco",
        region="330100",
        theme="资源环境",
        modified="2025-02-01T00:00:00.000000",
        created="2023-06-01T00:00:00.000000",
        tags=("空气质量",),
        formats=("JSON",),
        license_id="odc-by",
        groups=("environment",),
    ),
    package(
        "elderly-suzhou",
        "苏州市养老机构名录",
        org="sz-civil",
        region="320500",
        theme="民生服务",
        modified="2025-01-15T10:00:00.000000",
        created="2023-07-01T00:00:00.000000",
        tags=("养老服务",),
        formats=("CSV", "XLSX"),
        license_id="cc0-1.0",
        notes="养老机构的名称、地址、床位数和联系电话。",
    ),
    package(
        "parking-hefei",
        "合肥市公共停车场泊位实时数据",
        org="hf-transport",
        region="340100",
        theme="道路交通",
        modified="2024-12-01T00:00:00.000000",
        created="2023-08-01T00:00:00.000000",
        tags=("停车",),
        formats=("API",),
        open_class="conditional",
    ),
    package(
        "toilets-xuhui",
        "徐汇区公共厕所分布信息",
        org="xh-gov",
        region="310104",
        theme="城市建设",
        modified="2024-11-01T00:00:00.000000",
        created="2023-09-01T00:00:00.000000",
        tags=("公厕",),
        formats=("GeoJSON",),
    ),
    package(
        "schools-nanjing",
        "南京市中小学校名录",
        org="nj-edu",
        region="320100",
        theme="教育科技",
        modified="2023-06-01T00:00:00.000000",
        created="2023-01-01T00:00:00.000000",
        tags=("基础教育", "学校"),
        formats=("XLSX",),
        title_en="Primary and Secondary Schools - Nanjing",
        groups=("education",),
    ),
    package(
        "bus-nanjing",
        "南京市公交站点位置信息",
        org="nj-edu",
        region="320100",
        theme="道路交通",
        modified="2023-05-01T00:00:00.000000",
        created="2023-02-01T00:00:00.000000",
        tags=("公共交通",),
        formats=("SHP",),
        notes_en="Bus stop locations in Nanjing with coordinates.",
    ),
]

HIDDEN = [
    package(
        "private-air",
        "上海市空气质量内部核查数据",
        org="sh-eco",
        region="310000",
        theme="资源环境",
        modified="2025-04-01T00:00:00.000000",
        tags=("空气质量",),
        private=True,
    ),
    package(
        "draft-air",
        "上海市空气质量草稿",
        org="sh-eco",
        region="310000",
        theme="资源环境",
        modified="2025-04-02T00:00:00.000000",
        tags=("空气质量",),
        state="draft",
    ),
    package(
        "deleted-air",
        "上海市空气质量（已删除）",
        org="sh-eco",
        region="310000",
        theme="资源环境",
        modified="2025-04-03T00:00:00.000000",
        tags=("空气质量",),
        state="deleted",
    ),
    package(
        "closed-air",
        "上海市空气质量非开放数据",
        org="sh-eco",
        region="310000",
        theme="资源环境",
        modified="2025-04-04T00:00:00.000000",
        tags=("空气质量",),
        open_class="closed",
    ),
]

# Withdrawn datasets nobody can see: they only make the catalogue large enough
# for realistic term statistics (BM25 gives a word in half the catalogue no weight).
FILLER_TOPICS = [
    "企业登记注册信息",
    "进出口贸易统计",
    "财政预算公开",
    "港口货物吞吐量",
    "农产品批发价格",
    "地表水水质监测",
    "天气预报",
    "降水量观测",
    "噪声监测",
    "排污许可证",
    "保障性住房项目",
    "施工许可证",
    "土地出让公告",
    "生活垃圾分类",
    "轨道交通站点",
    "公交线路",
    "共享单车停放",
    "交通事故统计",
    "幼儿园名录",
    "高校名录",
    "专利授权",
    "高新技术企业",
    "常住人口",
    "最低生活保障",
    "12345热线工单",
    "婚姻登记处",
    "社保经办网点",
    "就业岗位",
    "政务服务中心",
    "食品经营许可",
    "医疗机构名录",
    "零售药店",
    "预防接种门诊",
    "派出所地址",
    "应急避难场所",
    "食品安全抽检",
    "旅游景区名录",
    "星级饭店",
    "博物馆名录",
    "图书馆名录",
]
FILLERS = [
    package(
        f"filler-{number:02d}",
        f"宁波市{topic}",
        org="nj-edu",
        region="330200",
        theme="机构团体",
        modified="2022-01-01T00:00:00.000000",
        state="deleted",
    )
    for number, topic in enumerate(FILLER_TOPICS)
]

SH_MEMBER = member_label("o-sh-eco")
DRAFT_CREATOR = creator_label("u-alice")

LABELS = {
    "private-air": [SH_MEMBER],
    "draft-air": [DRAFT_CREATOR, SH_MEMBER],
    "deleted-air": [PUBLIC_LABEL, SH_MEMBER],
    # The caller wrongly says "public": closed data must stay unlisted anyway.
    "closed-air": [PUBLIC_LABEL, SH_MEMBER],
}

PUBLIC_NAMES = {p["name"] for p in PUBLIC}


def index_docs() -> list[IndexDoc]:
    docs = [IndexDoc(p, [PUBLIC_LABEL, member_label(p["owner_org"])]) for p in PUBLIC]
    docs += [IndexDoc(p, LABELS[p["name"]]) for p in HIDDEN]
    docs += [IndexDoc(p, []) for p in FILLERS]
    return docs


ALL_COUNT = len(PUBLIC) + len(HIDDEN) + len(FILLERS)
