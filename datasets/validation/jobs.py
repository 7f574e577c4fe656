"""The ingest job queue: a table every portal process's worker claims work from.

A claim is a conditional UPDATE (the row must still be claimable), so two
workers -- threads or processes, SQLite or PostgreSQL -- never run one job
twice. A claim is a lease: a worker that dies stops renewing it, and once it
runs out another worker takes the job again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from datasets.models import IngestJob, Resource, utcnow

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    resource_id: str
    storage_key: str
    attempts: int


def _claimable(now: datetime) -> ColumnElement[bool]:
    return (IngestJob.available_at <= now) & or_(
        IngestJob.state == "queued", IngestJob.state == "running"
    )


def claim(sessions: sessionmaker[Session], *, lease: timedelta) -> ClaimedJob | None:
    for _ in range(5):  # another worker may win the race for the oldest job
        with sessions() as session, session.begin():
            now = utcnow()
            columns = (
                IngestJob.id,
                IngestJob.resource_id,
                IngestJob.storage_key,
                IngestJob.attempts,
            )
            candidate = session.execute(
                select(*columns).where(_claimable(now)).order_by(IngestJob.created).limit(1)
            ).first()
            if candidate is None:
                return None
            claimed = cast(
                CursorResult[Any],
                session.execute(
                    update(IngestJob)
                    .where(IngestJob.id == candidate.id, _claimable(now))
                    .values(
                        state="running", available_at=now + lease, attempts=IngestJob.attempts + 1
                    )
                ),
            )
            if claimed.rowcount == 1:
                return ClaimedJob(
                    id=candidate.id,
                    resource_id=candidate.resource_id,
                    storage_key=candidate.storage_key,
                    attempts=candidate.attempts + 1,
                )
    return None


def renew(sessions: sessionmaker[Session], job_id: str, *, lease: timedelta) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(IngestJob)
            .where(IngestJob.id == job_id, IngestJob.state == "running")
            .values(available_at=utcnow() + lease)
        )


def finish(sessions: sessionmaker[Session], job_id: str) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(IngestJob)
            .where(IngestJob.id == job_id)
            .values(state="done", finished=utcnow(), error=None)
        )


def fail(
    sessions: sessionmaker[Session], job: ClaimedJob, message: str, *, retry_in: timedelta
) -> str | None:
    """Record a failed attempt. When it was the last one the resource is marked ``error``
    and its dataset's id returned (its search entry must follow)."""
    final = job.attempts >= MAX_ATTEMPTS
    with sessions() as session, session.begin():
        session.execute(
            update(IngestJob)
            .where(IngestJob.id == job.id)
            .values(
                state="failed" if final else "queued",
                available_at=utcnow() + retry_in,
                finished=utcnow() if final else None,
                error=message[:2000],
            )
        )
        if not final:
            return None
        session.execute(
            update(Resource)
            .where(Resource.id == job.resource_id, Resource.storage_key == job.storage_key)
            .values(validation_status="error")
        )
        return session.scalar(select(Resource.package_id).where(Resource.id == job.resource_id))


def has_live_claims(session: Session) -> bool:
    return (
        session.scalar(
            select(IngestJob.id)
            .where(IngestJob.state == "running", IngestJob.available_at > utcnow())
            .limit(1)
        )
        is not None
    )
