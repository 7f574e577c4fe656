"""The ingest worker: a thread per portal process that runs queued jobs one at a time.

It sleeps on an event: the unit of work that queues a job wakes it after the
commit; otherwise it polls the table (jobs queued by other processes, and
retries). While a job runs, a heartbeat renews its lease so a long load is
not taken over; if the process dies, the lease runs out and another worker
(or this one after a restart) runs the job again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from datasets.datastore import tables as datastore_tables
from datasets.models import DatastoreTable
from datasets.validation import jobs
from datasets.validation.pipeline import Pipeline

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
RETRY_AFTER = timedelta(seconds=30)


class IngestWorker:
    def __init__(
        self, pipeline: Pipeline, sessions: sessionmaker[Session], *, poll_seconds: float
    ) -> None:
        self.pipeline = pipeline
        self.sessions = sessions
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> bool:
        """Run the next claimable job, if any; True when there was one."""
        job = jobs.claim(self.sessions, lease=LEASE)
        if job is None:
            return False
        last_renewal = [time.monotonic()]

        def heartbeat() -> None:
            if time.monotonic() - last_renewal[0] > LEASE.total_seconds() / 4:
                jobs.renew(self.sessions, job.id, lease=LEASE)
                last_renewal[0] = time.monotonic()

        try:
            self.pipeline.process(job, heartbeat=heartbeat)
        except Exception as exc:
            log.exception("ingest job %s (resource %s) failed", job.id, job.resource_id)
            message = f"{type(exc).__name__}: {exc}"
            package_id = jobs.fail(self.sessions, job, message, retry_in=RETRY_AFTER)
            if package_id:
                self.pipeline.on_changed({package_id})
            return True
        jobs.finish(self.sessions, job.id)
        return True

    def sweep_abandoned_tables(self) -> int:
        """Drop DataStore tables a crashed load left behind (only while no load runs)."""
        with self.sessions() as session, session.begin():
            if jobs.has_live_claims(session):
                return 0
            registered = set(session.scalars(select(DatastoreTable.table_name)))
            connection = session.connection()
            abandoned = datastore_tables.unregistered_tables(connection, registered)
            for name in abandoned:
                datastore_tables.drop_physical(connection, name)
        return len(abandoned)

    def _run(self) -> None:
        try:
            self.sweep_abandoned_tables()
        except Exception:
            log.exception("sweeping abandoned DataStore tables failed")
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("ingest worker: claiming a job failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
