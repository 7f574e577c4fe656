"""Running one harvest job: gather everything first, then write.

All network reading happens before the first write. A source that is
unreachable, answers errors or goes down halfway fails the job with a report
and leaves the catalogue exactly as it was; the portal itself never notices
beyond the failed job. Withdrawals happen only after a complete gather, and
the incremental watermark only moves after a job that finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from datasets.harvest import schedule
from datasets.harvest.ckan import CkanSource
from datasets.harvest.dcat import DcatSource
from datasets.harvest.importer import Importer, Units
from datasets.harvest.models import HarvestJob, HarvestSource
from datasets.harvest.records import Gathered, Problem, Progress, SourceError, quiet
from datasets.models import utcnow
from datasets.policy import Principal
from delta.db import transaction
from delta.errors import ValidationFailed

log = logging.getLogger(__name__)
MAX_REPORTED = 500  # problems kept in a job's report (the count is always exact)


@dataclass(frozen=True)
class HarvestEnv:
    """What a job needs from the portal that runs it."""

    sessions: sessionmaker[Session]
    units: Units
    # Who writes harvested datasets; a callable is asked only when a job runs.
    actor: Principal | Callable[[], Principal]
    timeout: float = 60.0
    max_pages: int = 10_000
    max_bytes: int = 200 * 1024 * 1024
    # Called now and then while a job runs (the scheduler renews its lease here).
    heartbeat: Callable[[], None] | None = None


def gatherer(source: HarvestSource, env: HarvestEnv) -> CkanSource | DcatSource:
    config = source.config or {}
    if source.source_type == "ckan":
        return CkanSource(
            source.url,
            timeout=env.timeout,
            since=source.watermark,
            rows=int(config.get("rows") or 100),
            max_pages=env.max_pages,
        )
    return DcatSource(
        source.url,
        timeout=env.timeout,
        max_pages=env.max_pages,
        max_bytes=env.max_bytes,
        rdf_format=config.get("rdf_format"),
    )


def run_job(
    env: HarvestEnv, job_id: str, progress: Progress = quiet, *, claimed: bool = False
) -> HarvestJob:
    """Run a job to its end (Finished or Failed); returns the job as it ended. A New job
    is claimed first (LookupError if another process claimed it); ``claimed``: the caller
    opened it already Running (see :func:`open_job`)."""
    source = _start(env, job_id, claimed=claimed)
    beat = _Heartbeat(env, job_id)

    def report(stage: str, done: int, total: int | None) -> None:
        beat()
        progress(stage, done, total)

    try:
        gathered = gatherer(source, env).gather(report)
    except SourceError as exc:
        log.warning("harvest %s: gather failed: %s", source.name, exc)
        return _finish(env, job_id, "Failed", gather_errors=[str(exc)])
    except Exception as exc:
        log.exception("harvest %s: gather crashed", source.name)
        return _finish(env, job_id, "Failed", gather_errors=[f"internal error: {exc!r}"[:500]])
    try:
        actor = env.actor if isinstance(env.actor, Principal) else env.actor()
        importer = Importer(env.units, source=source, job_id=job_id, actor=actor)
        outcome = importer.run(gathered, report, complete=True)
    except Exception as exc:
        log.exception("harvest %s: import crashed", source.name)
        return _finish(env, job_id, "Failed", gather_errors=[f"internal error: {exc!r}"[:500]])
    return _finish(
        env,
        job_id,
        "Finished",
        stats=outcome.stats.as_dict() | {"gathered": len(gathered.records)},
        problems=outcome.problems,
        gathered=gathered,
    )


class _Heartbeat:
    """Marks the job alive (and lets the scheduler renew its lease), at most every 5 s."""

    def __init__(self, env: HarvestEnv, job_id: str) -> None:
        self.env = env
        self.job_id = job_id
        self.last = utcnow()

    def __call__(self) -> None:
        now = utcnow()
        if now - self.last < timedelta(seconds=5):
            return
        self.last = now
        with transaction(self.env.sessions) as session:
            job = session.get(HarvestJob, self.job_id)
            if job is not None:
                job.heartbeat = now
        if self.env.heartbeat:
            self.env.heartbeat()


def _start(env: HarvestEnv, job_id: str, *, claimed: bool) -> HarvestSource:
    with transaction(env.sessions) as session:
        if not claimed:
            now = utcnow()
            taken = session.execute(
                update(HarvestJob)
                .where(HarvestJob.id == job_id, HarvestJob.status == "New")
                .values(status="Running", started=now, heartbeat=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise LookupError(f"harvest job {job_id} is not waiting to run")
        job = session.get(HarvestJob, job_id)
        assert job is not None
        source = session.get(HarvestSource, job.source_id)
        assert source is not None
        session.expunge(source)
        return source


def _finish(
    env: HarvestEnv,
    job_id: str,
    status: str,
    *,
    stats: dict[str, int] | None = None,
    problems: list[Problem] | None = None,
    gather_errors: list[str] | None = None,
    gathered: Gathered | None = None,
) -> HarvestJob:
    problems = problems or []
    with transaction(env.sessions) as session:
        job = session.get(HarvestJob, job_id)
        assert job is not None
        job.status = status
        job.finished = utcnow()
        job.stats = stats or {"added": 0, "updated": 0, "not modified": 0, "deleted": 0,
                              "errored": len(gather_errors or [])}  # fmt: skip
        report: dict[str, Any] = {
            "gather_errors": gather_errors or [],
            "object_errors": [
                {"guid": p.guid, "message": p.message} for p in problems[:MAX_REPORTED]
            ],
            "object_error_count": len(problems),
        }
        if gathered is not None:
            report["pages"] = gathered.pages
        job.report = report
        source = session.get(HarvestSource, job.source_id)
        if source is not None:
            if status == "Finished" and gathered is not None and gathered.watermark:
                source.watermark = gathered.watermark
            source.next_run_at = schedule.next_run(source.frequency, job.finished)
        session.flush()
        session.expunge(job)
        return job


def job_dict(job: HarvestJob) -> dict[str, Any]:
    """A job as ckanext-harvest's harvest_job_show prints it (plus our report)."""
    report = job.report or {}
    return {
        "id": job.id,
        "source_id": job.source_id,
        "status": job.status,
        "created": _iso(job.created),
        "gather_started": _iso(job.started),
        "gather_finished": _iso(job.finished),
        "finished": _iso(job.finished),
        "stats": dict(job.stats or {}),
        "gather_error_summary": [
            {"message": message, "error_count": 1} for message in report.get("gather_errors", [])
        ],
        "object_error_summary": report.get("object_errors", []),
        "object_error_count": report.get("object_error_count", 0),
        "pages": report.get("pages"),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def open_job(session: Session, source: HarvestSource, *, claim: bool = False) -> HarvestJob:
    """A New job for ``source`` (already Running with ``claim``: the caller runs it now);
    refused while another is New or Running -- a Running job whose heartbeat stopped
    long ago died with its process and is closed as Failed first."""
    if source.state != "active":
        raise ValidationFailed.on("source_id", "Can not create jobs on inactive sources")
    stale_before = utcnow() - schedule.STALE_AFTER
    for job in session.scalars(
        select(HarvestJob).where(
            HarvestJob.source_id == source.id, HarvestJob.status.in_(("New", "Running"))
        )
    ):
        if job.status == "Running" and (job.heartbeat or job.created) < stale_before:
            job.status = "Failed"
            job.finished = utcnow()
            job.report = {"gather_errors": ["interrupted: the process running it stopped"]}
            continue
        raise ValidationFailed.on("source_id", "There already is an unrun job for this source")
    now = utcnow()
    job = HarvestJob(source_id=source.id, status="New")
    if claim:
        job.status, job.started, job.heartbeat = "Running", now, now
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:  # another process opened one just now
        raise ValidationFailed.on(
            "source_id", "There already is an unrun job for this source"
        ) from None
    return job
