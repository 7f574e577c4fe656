"""Runs sources on their interval, in a thread of a portal process.

Every portal process runs this thread; a lease row in the database decides
which one does the work, so several processes behind a load balancer never
run a source twice. The holder renews the lease while it works; if its
process dies, the lease expires and another process takes over, closing the
dead process's job as Failed. Jobs queued through the API (harvest_job_create)
are run here too.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from datasets.harvest import jobs
from datasets.harvest.models import HarvestJob, HarvestLease, HarvestSource
from datasets.models import utcnow
from delta.db import transaction
from delta.errors import ValidationFailed

log = logging.getLogger(__name__)
LEASE = "harvest-scheduler"


class Lease:
    def __init__(self, sessions: sessionmaker[Session], *, seconds: float) -> None:
        self.sessions = sessions
        self.ttl = timedelta(seconds=seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        """Take the lease if it is free or expired (or renew it if ours)."""
        now = utcnow()
        with transaction(self.sessions) as session:
            taken = session.execute(
                update(HarvestLease)
                .where(
                    HarvestLease.name == LEASE,
                    (HarvestLease.expires_at < now) | (HarvestLease.holder == self.holder),
                )
                .values(
                    holder=self.holder,
                    expires_at=now + self.ttl,
                    renewals=HarvestLease.renewals + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return True
            if session.scalar(select(HarvestLease.name).where(HarvestLease.name == LEASE)):
                return False
        try:
            with transaction(self.sessions) as session:
                session.execute(
                    insert(HarvestLease).values(
                        name=LEASE, holder=self.holder, expires_at=now + self.ttl, renewals=0
                    )
                )
        except IntegrityError:
            return False  # another process created it first
        return True

    def release(self) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(HarvestLease)
                .where(HarvestLease.name == LEASE, HarvestLease.holder == self.holder)
                .values(expires_at=utcnow())
                .execution_options(synchronize_session=False)
            )


class Scheduler:
    def __init__(self, env: jobs.HarvestEnv, *, poll_seconds: float, lease_seconds: float) -> None:
        self.lease = Lease(env.sessions, seconds=lease_seconds)
        self.env = jobs.HarvestEnv(
            sessions=env.sessions, units=env.units, actor=env.actor, timeout=env.timeout,
            max_pages=env.max_pages, max_bytes=env.max_bytes, heartbeat=self._renew,
        )  # fmt: skip
        self.poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="harvest-scheduler", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _renew(self) -> None:
        self.lease.acquire()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("harvest scheduler tick failed")
            self._stop.wait(self.poll)

    def tick(self) -> int:
        """One look: if this process holds the lease, run what is queued or due.
        Returns the number of jobs run."""
        if not self.lease.acquire():
            return 0
        ran = 0
        for job_id in self._queued() + self._due():
            if self._stop.is_set():
                break
            try:
                jobs.run_job(self.env, job_id)
            except LookupError:
                continue  # the command line took it
            ran += 1
        return ran

    def _queued(self) -> list[str]:
        with self.env.sessions() as session:
            return list(
                session.scalars(
                    select(HarvestJob.id)
                    .where(HarvestJob.status == "New")
                    .order_by(HarvestJob.created)
                )
            )

    def _due(self) -> list[str]:
        """Open a job for every source whose time has come."""
        opened = []
        now = utcnow()
        with self.env.sessions() as session:
            due = list(
                session.scalars(
                    select(HarvestSource.id).where(
                        HarvestSource.state == "active",
                        HarvestSource.next_run_at.is_not(None),
                        HarvestSource.next_run_at <= now,
                    )
                )
            )
        for source_id in due:
            try:
                with transaction(self.env.sessions) as session:
                    source = session.get(HarvestSource, source_id)
                    if source is not None:
                        opened.append(jobs.open_job(session, source).id)
            except ValidationFailed:
                continue  # one is already waiting or running
        return opened
