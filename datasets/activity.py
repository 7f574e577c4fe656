"""The activity record: every change to the catalog, who made it, and the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.access import Principal
from datasets.dictization import iso
from datasets.models import Activity


def record(
    session: Session,
    *,
    actor: Principal,
    object_id: str,
    activity_type: str,
    data: dict[str, Any],
) -> None:
    session.add(
        Activity(user_id=actor.user_id, object_id=object_id, activity_type=activity_type, data=data)
    )


def for_object(session: Session, object_id: str, *, limit: int, offset: int) -> Sequence[Activity]:
    return session.scalars(
        select(Activity)
        .where(Activity.object_id == object_id)
        .order_by(Activity.timestamp.desc(), Activity.id)
        .limit(limit)
        .offset(offset)
    ).all()


def activity_dict(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "timestamp": iso(activity.timestamp),
        "user_id": activity.user_id,
        "object_id": activity.object_id,
        "activity_type": activity.activity_type,
        "data": activity.data,
    }
