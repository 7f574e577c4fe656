"""The activity record: every change to the catalog, who made it, and the result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import policy
from datasets.dictization import iso
from datasets.models import Activity
from datasets.policy import Principal


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


def readable_for_object(
    session: Session, object_id: str, actor: Principal, *, limit: int, offset: int
) -> list[Activity]:
    """The object's activity ``actor`` may read, newest first.

    A version recorded while the dataset was private, draft, closed or deleted is
    shown only to those who may read such a dataset (CKAN 2.10 keeps permission
    labels on each activity for this): a dataset published after an internal draft
    does not publish the draft's history. Paging counts readable versions only.
    """
    rows = session.scalars(
        select(Activity)
        .where(Activity.object_id == object_id)
        .order_by(Activity.timestamp.desc(), Activity.id)
        .execution_options(yield_per=200)
    )
    out: list[Activity] = []
    skipped = 0
    for row in rows:
        if not _readable_version(actor, row):
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(row)
        if len(out) >= limit:
            break
    return out


def _readable_version(actor: Principal, row: Activity) -> bool:
    package = (row.data or {}).get("package")
    if not isinstance(package, dict):
        return True
    return policy.can(actor, policy.Action.READ, policy.Dataset.from_dict(package))


def activity_dict(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "timestamp": iso(activity.timestamp),
        "user_id": activity.user_id,
        "object_id": activity.object_id,
        "activity_type": activity.activity_type,
        "data": activity.data,
    }
