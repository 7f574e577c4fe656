"""Case statistics: per region pair and matter, handling-time percentiles, overdue rate.

Counted over the cases this node holds (drafts excluded). The monthly
export counts only cases *decided here* (the deciding side), so the four
nodes' exports add up without counting a case twice; it is a CSV with a
Frictionless Data Package descriptor that the portal can publish as an
open dataset. No personal data: counts and durations only.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.cases.models import (
    ACCEPTED,
    APPROVED,
    CORRECTION,
    DRAFT,
    NOT_ACCEPTED,
    REFUSED,
    SUBMITTED,
    Case,
)
from interregion.cases.workdays import CHINA, working_days_between

EXPORT_FIELDS = (
    ("month", "string", "受理月份（收件月）/ Month the case was received, YYYY-MM"),
    ("accepting_region", "string", "收件地区代码 / Accepting region (GB/T 2260)"),
    ("deciding_region", "string", "审批地区代码 / Deciding region (GB/T 2260)"),
    ("matter_code", "string", "事项编码 / Matter code"),
    ("matter_name", "string", "事项名称 / Matter name"),
    ("cases", "integer", "收件数 / Cases received"),
    ("open", "integer", "在办数 / Still open"),
    ("approved", "integer", "办结（准予）/ Approved"),
    ("refused", "integer", "办结（不予许可）/ Refused"),
    ("not_accepted", "integer", "不予受理 / Not accepted"),
    ("overdue", "integer", "超期数 / Overdue"),
    ("overdue_rate", "number", "超期率 / Overdue rate among cases with a due date"),
    ("handling_days_p50", "number", "办理时长中位数（工作日）/ Median handling time, working days"),
    ("handling_days_p90", "number", "办理时长90分位（工作日）/ 90th percentile, working days"),
)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (what a reader can check by counting)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return round(ordered[rank - 1], 2)


@dataclass
class Group:
    cases: int = 0
    open: int = 0
    approved: int = 0
    refused: int = 0
    not_accepted: int = 0
    overdue: int = 0
    with_due: int = 0
    handling_days: list[float] = field(default_factory=list)

    def add(self, case: Case, now: datetime) -> None:
        self.cases += 1
        if case.status in (SUBMITTED, ACCEPTED, CORRECTION):
            self.open += 1
        self.approved += case.status == APPROVED
        self.refused += case.status == REFUSED
        self.not_accepted += case.status == NOT_ACCEPTED
        if case.due_at is not None:
            self.with_due += 1
            finished = case.decided_at or now
            self.overdue += finished > case.due_at
        if case.decided_at is not None and case.submitted_at is not None:
            self.handling_days.append(working_days_between(case.submitted_at, case.decided_at))

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "open": self.open,
            "approved": self.approved,
            "refused": self.refused,
            "not_accepted": self.not_accepted,
            "overdue": self.overdue,
            "overdue_rate": round(self.overdue / self.with_due, 4) if self.with_due else None,
            "handling_days_p50": percentile(self.handling_days, 0.5),
            "handling_days_p90": percentile(self.handling_days, 0.9),
            "handling_days_p99": percentile(self.handling_days, 0.99),
        }


def _cases(session: Session, *, side: str | None, month: str | None) -> list[Case]:
    query = select(Case).where(Case.status != DRAFT, Case.submitted_at.is_not(None))
    if side:
        query = query.where(Case.side == side)
    rows = list(session.scalars(query))
    if month:
        rows = [c for c in rows if month_of(c) == month]
    return rows


def month_of(case: Case) -> str:
    assert case.submitted_at is not None
    return case.submitted_at.astimezone(CHINA).strftime("%Y-%m")


def summary(session: Session, *, now: datetime, region: str) -> dict[str, Any]:
    """What the statistics page and ``/cases/statistics.json`` show."""
    total = Group()
    pairs: dict[tuple[str, str], Group] = defaultdict(Group)
    matters: dict[str, Group] = defaultdict(Group)
    names: dict[str, str] = {}
    for case in _cases(session, side=None, month=None):
        total.add(case, now)
        pairs[(case.accepting_region, case.deciding_region)].add(case, now)
        matters[case.matter_code].add(case, now)
        names[case.matter_code] = str(case.matter.get("name", ""))
    return {
        "region": region,
        "generated_at": now.astimezone(UTC).isoformat(),
        "total": total.as_json(),
        "region_pairs": [
            {"accepting_region": a, "deciding_region": d, **g.as_json()}
            for (a, d), g in sorted(pairs.items())
        ],
        "matters": [
            {"matter_code": code, "matter_name": names[code], **g.as_json()}
            for code, g in sorted(matters.items(), key=lambda item: -item[1].cases)
        ],
    }


def monthly_rows(session: Session, *, month: str, now: datetime) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], Group] = defaultdict(Group)
    names: dict[str, str] = {}
    for case in _cases(session, side="deciding", month=month):
        groups[(case.accepting_region, case.deciding_region, case.matter_code)].add(case, now)
        names[case.matter_code] = str(case.matter.get("name", ""))
    rows = []
    for (accepting, deciding, code), group in sorted(groups.items()):
        values = group.as_json()
        rows.append(
            {
                "month": month,
                "accepting_region": accepting,
                "deciding_region": deciding,
                "matter_code": code,
                "matter_name": names[code],
                **{name: values[name] for name, _, _ in EXPORT_FIELDS[5:]},
            }
        )
    return rows


def monthly_csv(session: Session, *, month: str, now: datetime) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[name for name, _, _ in EXPORT_FIELDS], lineterminator="\n"
    )
    writer.writeheader()
    for row in monthly_rows(session, month=month, now=now):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def datapackage(*, region: str, month: str, path: str) -> dict[str, Any]:
    """A Frictionless Data Package descriptor for one month's CSV."""
    return {
        "name": f"window-cases-{region}-{month}",
        "title": f"长三角跨省通办办件统计 {region} {month} / Cross-region window cases",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "resources": [
            {
                "name": "cases",
                "path": path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": n, "type": t, "description": d} for n, t, d in EXPORT_FIELDS
                    ],
                    "primaryKey": ["month", "accepting_region", "deciding_region", "matter_code"],
                },
            }
        ],
    }


def is_month(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        return False
    return len(value) == 7
