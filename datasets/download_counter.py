"""Download counts kept in memory, written in batches, read with bounded staleness.

Counting a download in the download's own transaction and summing the table on
every dataset read cost two queries per request. Instead each process:

* adds each download to an in-memory tally and writes the tally to
  ``download_count`` in one transaction every ``flush_seconds`` (sooner once
  ``flush_every`` downloads are waiting, and at shutdown);
* answers reads from per-dataset totals it read at most ``flush_seconds`` ago,
  plus what it counted itself and has not written yet. The same thread re-reads
  the totals of the datasets read in the last minute every half interval, in a
  few batched queries, so a request finds them fresh and waits on no query
  (only a dataset's first read, or one after a failed refresh, reads the table).

So a process always shows its own downloads at once, and another process's
within ``2 × flush_seconds`` (written within one interval, re-read within the
next). ``flush_seconds <= 0`` writes every download at once and reads the table
on every call (exact everywhere, the old cost).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from datasets import resources
from datasets.models import utcnow

log = logging.getLogger(__name__)

# (resource id, day, package id)
Key = tuple[str, date, str]
Totals = tuple[int, dict[str, int]]  # the dataset's total, per resource
# Datasets read within this long have their totals kept fresh by the flush thread.
KEEP_SECONDS = 60.0
REFRESH_BATCH = 500


class DownloadCounter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        flush_seconds: float = 5.0,
        flush_every: int = 1000,
        max_cached: int = 50_000,
    ) -> None:
        self.sessions = sessions
        self.flush_seconds = flush_seconds
        self.flush_every = flush_every
        self.max_cached = max_cached
        self._lock = threading.Lock()
        # Written to the database by nobody yet / by a flush under way.
        self._pending: Counter[Key] = Counter()
        self._flushing: Counter[Key] = Counter()
        self._flush_lock = threading.Lock()
        self._totals: dict[str, tuple[float, Totals]] = {}
        # When each dataset's counts were last asked for (what the refresh keeps fresh).
        self._read_at: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.batched:
            self._thread = threading.Thread(target=self._run, name="download-counts", daemon=True)
            self._thread.start()

    @property
    def batched(self) -> bool:
        return self.flush_seconds > 0

    def record(self, resource_id: str, package_id: str) -> None:
        """Count one download now (it is acknowledged: it survives a graceful shutdown)."""
        key = (resource_id, utcnow().date(), package_id)
        if not self.batched:
            with self.sessions.begin() as session:
                resources.add_downloads(session, {key: 1})
            return
        with self._lock:
            self._pending[key] += 1
            full = sum(self._pending.values()) >= self.flush_every
        if full:
            self._wake.set()

    def counts(
        self, session: Session, package_ids: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Download totals of these datasets and of their files (see the module's bound)."""
        ids = list(dict.fromkeys(package_ids))
        if not self.batched:
            return resources.download_counts(session, ids)
        now = time.monotonic()
        with self._lock:
            for i in ids:
                self._read_at[i] = now
            seen = self._snapshot(ids, now)
        if seen is None:
            # No flush may commit between reading the table and taking the unwritten
            # tally, or a batch would be counted twice or not at all.
            with self._flush_lock:
                with self._lock:
                    stale = [i for i in ids if self._stale(i, now)]
                fresh = self._read_totals(session, stale)
                with self._lock:
                    if len(self._totals) + len(stale) > self.max_cached:
                        self._totals.clear()
                    for i in stale:
                        self._totals[i] = (now, fresh.get(i, (0, {})))
                    seen = self._snapshot(ids, now)
        assert seen is not None
        known, unwritten = seen
        per_package: dict[str, int] = {}
        per_resource: dict[str, int] = {}
        for package_id, (total, files) in known.items():
            if total:
                per_package[package_id] = total
            per_resource.update(files)
        for (resource_id, _, package_id), n in unwritten.items():
            if package_id in known:
                per_package[package_id] = per_package.get(package_id, 0) + n
                per_resource[resource_id] = per_resource.get(resource_id, 0) + n
        return per_package, per_resource

    def _read_totals(self, session: Session, ids: list[str]) -> dict[str, Totals]:
        # A SQLite transaction reads one snapshot from its first statement on, which may
        # predate a flush: then read through a session of our own. PostgreSQL (read
        # committed) sees every commit in each statement; it also keeps a request from
        # holding two pooled connections at once.
        if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
            with self.sessions() as own:
                return resources.download_totals(own, ids)
        return resources.download_totals(session, ids)

    def _stale(self, package_id: str, now: float) -> bool:
        hit = self._totals.get(package_id)
        return hit is None or now - hit[0] >= self.flush_seconds

    def _snapshot(
        self, ids: list[str], now: float
    ) -> tuple[dict[str, Totals], Counter[Key]] | None:
        """Cached totals and the unwritten tally, taken together (caller holds the lock);
        None when a total is missing or too old."""
        if any(self._stale(i, now) for i in ids):
            return None
        return {i: self._totals[i][1] for i in ids}, self._pending + self._flushing

    def flush(self) -> int:
        """Write what was counted; returns how many downloads were written."""
        with self._flush_lock:
            with self._lock:
                self._flushing, self._pending = self._pending, Counter()
                batch = dict(self._flushing)
            if not batch:
                return 0
            try:
                with self.sessions.begin() as session:
                    resources.add_downloads(session, batch)
            except Exception:
                log.exception("download counts not written; kept for the next flush")
                with self._lock:
                    self._pending.update(self._flushing)
                    self._flushing = Counter()
                return 0
            with self._lock:
                self._flushing = Counter()
                # Our own reads must now take these from the table.
                for _, _, package_id in batch:
                    self._totals.pop(package_id, None)
            return sum(batch.values())

    def refresh(self) -> int:
        """Re-read the totals of the datasets read lately (see the module); returns how
        many were read. Totals of datasets nobody asked for lately are forgotten."""
        now = time.monotonic()
        with self._lock:
            recent = {i: t for i, t in self._read_at.items() if now - t < KEEP_SECONDS}
            if len(recent) > self.max_cached:
                latest = sorted(recent, key=recent.__getitem__)[-self.max_cached :]
                recent = {i: recent[i] for i in latest}
            self._read_at = recent
            for gone in [i for i in self._totals if i not in self._read_at]:
                del self._totals[gone]
            ids = list(self._read_at)
        for start in range(0, len(ids), REFRESH_BATCH):
            batch = ids[start : start + REFRESH_BATCH]
            # As in counts(): no flush may commit between the read and storing it.
            with self._flush_lock:
                read_at = time.monotonic()
                with self.sessions() as own:
                    fresh = resources.download_totals(own, batch)
                with self._lock:
                    for i in batch:
                        self._totals[i] = (read_at, fresh.get(i, (0, {})))
        return len(ids)

    def _run(self) -> None:
        flushed = time.monotonic()
        while not self._stop.is_set():
            # Refresh twice per interval: it lands before the totals it replaces are stale.
            full = self._wake.wait(self.flush_seconds / 2)
            self._wake.clear()
            if full or time.monotonic() - flushed >= self.flush_seconds * 0.99:
                flushed = time.monotonic()
                self.flush()
            if self._stop.is_set():
                break
            try:
                self.refresh()
            except Exception:
                log.exception("download totals not refreshed; reads will read them")

    def close(self) -> None:
        """Stop the flusher and write everything counted (graceful shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()
