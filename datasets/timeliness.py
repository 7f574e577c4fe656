"""Each organisation's on-time update rate (按时更新率), as Shanghai's portal reports it.

For every dataset with a declared frequency, the window (the last year, or
since the dataset was created) is cut into the periods the frequency promises
-- a monthly dataset owes twelve updates a year. A period counts as kept when
the dataset changed within it (its activity record says when: publishing,
editing, a new file, a harvest that brought a change). The organisation's rate
is kept periods over promised ones; datasets younger than one period owe
nothing yet, and irregular ones are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import Activity, Group, Package
from standards.update_frequency import EXPECTED_INTERVAL, PERIOD, UpdateFrequency

UPDATES = ("new package", "changed package")
WINDOW_DAYS = 365
OVERDUE_LISTED = 20


@dataclass
class DatasetRecord:
    name: str
    expected: int
    kept: int
    overdue: bool


def dataset_record(
    name: str,
    frequency: UpdateFrequency,
    created: datetime,
    updates: list[datetime],
    *,
    now: datetime,
    window: timedelta,
) -> DatasetRecord | None:
    """Promised and kept periods of one dataset (None: it owes nothing yet)."""
    period = PERIOD[frequency]
    start = max(now - window, created)
    expected = int((now - start) / period)
    last = max([*updates, created])
    overdue = now - last > EXPECTED_INTERVAL[frequency]
    if expected <= 0:
        return DatasetRecord(name, 0, 0, overdue) if overdue else None
    kept = {int((moment - start) / period) for moment in updates if start <= moment <= now}
    return DatasetRecord(name, expected, len(kept & set(range(expected))), overdue)


def organization_timeliness(
    session: Session, org_id: str, *, now: datetime, window_days: int = WINDOW_DAYS
) -> dict[str, Any]:
    window = timedelta(days=window_days)
    packages = session.execute(
        select(Package.id, Package.name, Package.update_frequency, Package.metadata_created)
        .where(Package.owner_org == org_id, Package.state == "active")
        .where(Package.update_frequency.in_([f.value for f in PERIOD]))
    ).all()
    updates: dict[str, list[datetime]] = defaultdict(list)
    ids = [row.id for row in packages]
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Activity.object_id, Activity.timestamp).where(
                Activity.object_id.in_(ids[start : start + 500]),
                Activity.activity_type.in_(UPDATES),
                Activity.timestamp >= now - window,
            )
        )
        for object_id, moment in rows:
            updates[object_id].append(moment)
    assessed = (
        dataset_record(
            row.name,
            UpdateFrequency(row.update_frequency),
            row.metadata_created,
            updates[row.id],
            now=now,
            window=window,
        )
        for row in packages
    )
    records = [record for record in assessed if record is not None]
    expected = sum(r.expected for r in records)
    kept = sum(r.kept for r in records)
    overdue = sorted(r.name for r in records if r.overdue)
    return {
        "rate": round(kept / expected, 4) if expected else None,
        "expected_updates": expected,
        "on_time_updates": kept,
        "datasets_assessed": len(records),
        "overdue_count": len(overdue),
        "overdue": overdue[:OVERDUE_LISTED],
        "window_days": window_days,
        "assessed_at": now.isoformat(),
    }


def report(session: Session, *, now: datetime, window_days: int = WINDOW_DAYS) -> list[dict]:
    """Every active organisation's rate, worst first (no rate: last)."""
    orgs = session.scalars(
        select(Group).where(Group.is_organization.is_(True), Group.state == "active")
    ).all()
    rows = [
        {"organization": org.name, "title": org.title,
         **organization_timeliness(session, org.id, now=now, window_days=window_days)}
        for org in orgs
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r["rate"] is None, r["rate"] or 0.0, r["organization"]))
