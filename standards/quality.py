"""Metadata quality of a dataset: a score out of 100 with the reason for every point.

The criteria are those open-data portals score (udata's quality score, the
EU's metadata quality assessment): a real description, tags, an open licence,
temporal and spatial coverage, a declared update frequency and updates on
time, resources that are reachable and valid, and a documented schema. Each
criterion says what it found, in Chinese and English, so a publisher knows
what to fix. Pure: the caller passes the package dict, the link checks it has
and the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standards import licences, regions
from standards.dcat_ap import value
from standards.update_frequency import EXPECTED_INTERVAL, UpdateFrequency

DESCRIPTION_GOOD = 50  # characters of description a reader needs (search engines ask 50)
TAGS_GOOD = 3
TABULAR = frozenset({"CSV", "TSV", "XLSX", "XLS", "JSON", "GEOJSON"})
WEIGHTS = {
    "description": 15,
    "tags": 10,
    "licence": 10,
    "temporal": 10,
    "spatial": 10,
    "frequency": 10,
    "timeliness": 15,
    "resources": 15,
    "schema": 5,
}
MAX_SCORE = sum(WEIGHTS.values())


@dataclass(frozen=True)
class Criterion:
    name: str
    points: int
    max: int
    status: str  # "ok", "partial" or "missing"
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.name,
            "points": self.points,
            "max": self.max,
            "status": self.status,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


def _grade(name: str, share: float, zh: str, en: str) -> Criterion:
    weight = WEIGHTS[name]
    points = round(weight * share)
    status = "ok" if points == weight else "missing" if points == 0 else "partial"
    return Criterion(name, points, weight, status, zh, en)


def assess(
    package: Mapping[str, Any],
    *,
    now: datetime,
    link_checks: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """The score and its reasons, as package_show shows them (``metadata_quality``).

    ``link_checks``: resource id -> whether its link answered when last checked."""
    criteria = [
        _description(package),
        _tags(package),
        _licence(package),
        _temporal(package),
        _spatial(package),
        _frequency(package),
        _timeliness(package, now),
        _resources(package, link_checks or {}),
        _schema(package),
    ]
    score = sum(c.points for c in criteria)
    return {
        "score": score,
        "max": MAX_SCORE,
        "rating": "good" if score >= 80 else "fair" if score >= 50 else "poor",
        "criteria": [c.as_dict() for c in criteria],
    }


def _description(p: Mapping[str, Any]) -> Criterion:
    length = len(str(p.get("notes") or "").strip())
    if length >= DESCRIPTION_GOOD:
        return _grade(
            "description", 1, f"描述充分（{length} 字）", f"description of {length} characters"
        )
    if length:
        return _grade(
            "description",
            0.5,
            f"描述过短（{length} 字，应至少 {DESCRIPTION_GOOD} 字）",
            f"description too short ({length} < {DESCRIPTION_GOOD} characters)",
        )
    return _grade("description", 0, "缺少描述", "no description")


def _tags(p: Mapping[str, Any]) -> Criterion:
    count = len(p.get("tags") or ())
    if count >= TAGS_GOOD:
        return _grade("tags", 1, f"{count} 个标签", f"{count} tags")
    if count:
        return _grade(
            "tags",
            0.5,
            f"仅 {count} 个标签（建议至少 {TAGS_GOOD} 个）",
            f"only {count} tag(s), {TAGS_GOOD} recommended",
        )
    return _grade("tags", 0, "没有标签", "no tags")


def _licence(p: Mapping[str, Any]) -> Criterion:
    licence_id = p.get("license_id")
    licence = licences.get(licence_id)
    if licence is not None and licence.open and licence.url:
        return _grade("licence", 1, f"开放许可：{licence.title}", f"open licence: {licence.title}")
    if licence_id:
        return _grade(
            "licence",
            0.5,
            f"许可“{licence_id}”没有公开的许可文本",
            f"licence {licence_id!r} has no published open licence text",
        )
    return _grade("licence", 0, "未声明许可", "no licence")


def _temporal(p: Mapping[str, Any]) -> Criterion:
    start, end = value(p, "temporal_start"), value(p, "temporal_end")
    if start and end:
        return _grade("temporal", 1, f"时间范围 {start} 至 {end}", f"covers {start} to {end}")
    if start or end:
        return _grade(
            "temporal", 0.5, "时间范围只有起点或终点", "temporal coverage has one end only"
        )
    return _grade("temporal", 0, "未声明时间范围", "no temporal coverage")


def _spatial(p: Mapping[str, Any]) -> Criterion:
    code = str(value(p, "region_code") or "")
    if regions.is_known(code):
        return _grade("spatial", 1, f"覆盖地区：{regions.name_of(code)}", f"covers {code}")
    if regions.is_well_formed(code):
        return _grade(
            "spatial",
            0.5,
            f"地区代码 {code} 不在行政区划表中",
            f"region code {code} is not in the gazetteer",
        )
    return _grade("spatial", 0, "未声明覆盖地区", "no spatial coverage")


def _frequency(p: Mapping[str, Any]) -> Criterion:
    raw = value(p, "update_frequency")
    try:
        UpdateFrequency(raw)
    except ValueError:
        return _grade("frequency", 0, "未声明更新频率", "no update frequency")
    return _grade("frequency", 1, f"更新频率：{raw}", f"update frequency: {raw}")


def last_update(p: Mapping[str, Any]) -> datetime | None:
    """When the data was last updated: the source's time for a harvested dataset,
    else the newest change of a resource or of the dataset."""
    harvest = p.get("harvest")
    candidates = []
    if isinstance(harvest, Mapping) and harvest.get("source_modified"):
        candidates.append(harvest["source_modified"])
    else:
        candidates.append(p.get("metadata_modified"))
        for resource in p.get("resources") or ():
            if isinstance(resource, Mapping):
                candidates += [resource.get("last_modified"), resource.get("created")]
    moments = [m for m in (_moment(c) for c in candidates) if m is not None]
    return max(moments) if moments else None


def _moment(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _timeliness(p: Mapping[str, Any], now: datetime) -> Criterion:
    try:
        frequency = UpdateFrequency(value(p, "update_frequency"))
    except ValueError:
        return _grade(
            "timeliness",
            0,
            "无更新频率，无法判断是否按时更新",
            "no update frequency to judge timeliness by",
        )
    if frequency == UpdateFrequency.IRREGULAR:
        return _grade("timeliness", 1, "不定期更新", "updated irregularly: nothing is late")
    updated = last_update(p)
    if updated is None:
        return _grade("timeliness", 0, "没有更新时间", "no update time")
    late = (now - updated) - EXPECTED_INTERVAL[frequency]
    if late.total_seconds() <= 0:
        return _grade(
            "timeliness",
            1,
            f"按时更新（最近 {updated.date()}）",
            f"up to date (last updated {updated.date()})",
        )
    return _grade(
        "timeliness",
        0,
        f"已逾期 {late.days} 天未更新（最近 {updated.date()}）",
        f"{late.days} days overdue (last updated {updated.date()})",
    )


def _resources(p: Mapping[str, Any], link_checks: Mapping[str, bool]) -> Criterion:
    resources = [r for r in p.get("resources") or () if isinstance(r, Mapping)]
    if not resources:
        return _grade("resources", 0, "没有数据资源", "no resources")
    good, problems = 0, []
    for resource in resources:
        name = str(resource.get("name") or resource.get("id") or "?")
        if resource.get("url_type") == "upload":
            status = resource.get("validation_status")
            if status in (None, "success", "pending"):
                good += 1
            else:
                problems.append(f"{name}: validation {status}")
        elif link_checks.get(str(resource.get("id"))) is True:
            good += 1
        elif str(resource.get("id")) in link_checks:
            problems.append(f"{name}: unreachable")
        else:
            problems.append(f"{name}: not checked yet")
    share = good / len(resources)
    if not problems:
        return _grade(
            "resources",
            1,
            f"{good} 个资源均可访问且有效",
            f"all {good} resources reachable and valid",
        )
    detail = "; ".join(problems)[:300]
    return _grade(
        "resources",
        share,
        f"{good}/{len(resources)} 个资源可访问且有效（{detail}）",
        f"{good} of {len(resources)} resources reachable and valid ({detail})",
    )


def _schema(p: Mapping[str, Any]) -> Criterion:
    tabular = [
        r
        for r in p.get("resources") or ()
        if isinstance(r, Mapping) and str(r.get("format") or "").upper() in TABULAR
    ]
    if not tabular:
        return _grade("schema", 1, "没有需要表结构的表格资源", "no tabular resources to document")
    documented = sum(1 for r in tabular if r.get("schema"))
    if documented == len(tabular):
        return _grade("schema", 1, "表格资源都有表结构说明", "every tabular resource has a schema")
    return _grade(
        "schema",
        documented / len(tabular),
        f"{len(tabular) - documented} 个表格资源缺少表结构说明",
        f"{len(tabular) - documented} tabular resource(s) without a schema",
    )
