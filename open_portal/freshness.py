"""Knowing the catalog revision without a query per request.

The revision row (``catalog_revision``) is bumped by every catalog write, in its
transaction (open_portal/cache.py). Reading it on every request kept the caches
exact but cost a pooled session query per call. Here each process learns it
cheaply, and falls back to that read whenever it cannot be sure:

* SQLite: ``PRAGMA data_version`` on one long-lived connection of this process
  changes whenever *any other* connection (this process's pool or another
  process) committed to the file. Only then is the revision row read again.
* PostgreSQL: each catalog write sends ``NOTIFY delta_catalog, '<revision>'`` in
  its transaction; a listener thread with its own connection keeps the latest
  revision in memory. While the listener is not connected (start, lost
  connection, reconnect) every request reads the row as before.
* Anything else: the row, every time.
"""

from __future__ import annotations

import logging
import select
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy import Engine, make_url
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from datasets.models import CatalogRevision

log = logging.getLogger(__name__)

CHANNEL = "delta_catalog"
REVISION_SQL = "SELECT revision FROM catalog_revision WHERE id = 1"


def read_revision(session: Session) -> int:
    revision = session.scalar(sql_select(CatalogRevision.revision).where(CatalogRevision.id == 1))
    return int(revision or 0)


class RevisionSource(Protocol):
    def current(self, session: Session) -> int:
        """The committed revision, at least as new as every commit that returned before."""
        ...

    def committed(self, revision: int) -> None:
        """This process has just committed ``revision`` (called before the write answers)."""
        ...

    def close(self) -> None: ...


class PolledRevision:
    """The row, read through the request's own session."""

    def current(self, session: Session) -> int:
        return read_revision(session)

    def committed(self, revision: int) -> None:
        pass

    def close(self) -> None:
        pass


class SqliteDataVersion:
    """``PRAGMA data_version`` on one connection kept for this purpose (it is
    per-connection: it tells about commits by connections other than itself)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._path = path
        # Opened at first use: opening creates the file, which must exist (migrated) first.
        self._connection: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._revision = 0

    def current(self, session: Session) -> int:
        with self._lock:
            if self._connection is None:
                # Autocommit: each statement is its own read transaction (the latest commit).
                self._connection = sqlite3.connect(
                    str(self._path), check_same_thread=False, isolation_level=None, timeout=30
                )
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            if version != self._data_version:
                # Read after the version: a commit in between is seen now or next time.
                row = self._connection.execute(REVISION_SQL).fetchone()
                self._revision = int(row[0] or 0) if row else 0
                self._data_version = version
            return self._revision

    def committed(self, revision: int) -> None:
        pass  # the commit itself moves every other connection's data_version

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class PostgresListener:
    """The latest revision announced on :data:`CHANNEL`, kept by a listener thread."""

    def __init__(self, conninfo: str, *, retry_seconds: float = 1.0) -> None:
        self._conninfo = conninfo
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        # None while not listening: then every caller reads the row itself.
        self._revision: int | None = None
        self._fileno = -1
        self._stop = threading.Event()
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._thread = threading.Thread(target=self._run, name="catalog-listener", daemon=True)
        self._thread.start()

    @property
    def listening(self) -> bool:
        return self._revision is not None

    def current(self, session: Session) -> int:
        revision, fileno = self._revision, self._fileno
        if revision is None or _readable(fileno):
            # Not listening, or a notification arrived that the thread has not taken yet.
            return read_revision(session)
        return revision

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("catalog listener lost its connection: %s", type(exc).__name__)
            finally:
                self._forget()
            self._stop.wait(self._retry_seconds)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as connection:
            self._connection = connection
            # LISTEN first, then read: a write committed in between is in the row or notified.
            connection.execute(f"LISTEN {CHANNEL}")
            row = connection.execute(REVISION_SQL).fetchone()
            with self._lock:
                self._revision = int(row[0] or 0) if row else 0
                self._fileno = connection.pgconn.socket
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=0.5):
                    self._advance(int(notice.payload))

    def _advance(self, revision: int) -> None:
        with self._lock:
            if self._revision is not None and revision > self._revision:
                self._revision = revision
                self._arrived.notify_all()

    def committed(self, revision: int) -> None:
        """Hold the writer's answer until our own listener has heard ``revision``.

        PostgreSQL signals every listener at the commit, but delivers the notification
        after the commit has returned: a client told "done" could ask another process
        before that process's socket has it. Every listener is signalled at the same
        moment, so once ours has heard it the others' sockets (which ``current`` checks)
        have it too, but for scheduling; the wait is bounded by DELIVERY_WAIT_SECONDS."""
        with self._arrived:
            self._arrived.wait_for(
                lambda: self._revision is None or self._revision >= revision,
                timeout=DELIVERY_WAIT_SECONDS,
            )

    def _forget(self) -> None:
        with self._lock:
            self._revision = None
            self._fileno = -1
            self._connection = None

    @property
    def backend_pid(self) -> int | None:
        """The listening server process (tests end it to exercise reconnection)."""
        connection = self._connection
        return connection.info.backend_pid if connection is not None else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


DELIVERY_WAIT_SECONDS = 0.25


def _readable(fileno: int) -> bool:
    if fileno < 0:
        return True
    try:
        return bool(select.select([fileno], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def open_revision_source(engine: Engine) -> RevisionSource:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return SqliteDataVersion(Path(url.database or ""))
    if url.get_backend_name() == "postgresql":
        plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
        return PostgresListener(plain.render_as_string(hide_password=False))
    return PolledRevision()


def notify_sql(engine: Engine) -> Callable[[int], str] | None:
    """How a writing transaction announces its revision (None: nothing to announce)."""
    if engine.url.get_backend_name() != "postgresql":
        return None
    return lambda revision: f"NOTIFY {CHANNEL}, '{int(revision)}'"
