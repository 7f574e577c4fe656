"""Replay caches for ``jti``: remember every accepted token until it expires.

One protocol, three homes: :class:`MemoryReplayCache` (one process, bounded),
:class:`RedisReplayCache` (``SET key NX EX``) and :class:`SqlReplayCache`
(a table shared by every process using the same database). All fail closed:
when they cannot record a token they raise
:class:`~signing.errors.ReplayCacheUnavailable` and the token is refused.
Entries are keyed by a SHA-256 of issuer and ``jti``, so keys have a fixed
size and contain nothing personal.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, delete, insert, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from signing.errors import ReplayCacheUnavailable
from signing.keys import as_utc


def replay_key(issuer: str, jti: str) -> str:
    return hashlib.sha256(f"{issuer}\x1f{jti}".encode()).hexdigest()


class ReplayCache(Protocol):
    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record ``key`` until ``expires_at``; False if it was already recorded and live."""
        ...


class MemoryReplayCache:
    """Process-local, thread-safe, bounded; expired entries are dropped as time passes.

    When full of live entries it refuses new tokens instead of forgetting old
    ones, because forgetting a live entry would reopen its replay window.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self._max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            expires, key = heapq.heappop(self._by_expiry)
            if self._expiry.get(key) == expires:
                del self._expiry[key]

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        moment, expires = as_utc(now).timestamp(), as_utc(expires_at).timestamp()
        with self._lock:
            self._purge(moment)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max_entries:
                raise ReplayCacheUnavailable("replay cache is full of live entries")
            self._expiry[key] = expires
            heapq.heappush(self._by_expiry, (expires, key))
            return True


class RedisReplayCache:
    """Shared by every process that talks to the same Redis; atomic via ``SET NX EX``."""

    def __init__(self, client: Any, *, prefix: str = "delta:signing:jti:") -> None:
        self._client = client
        self._prefix = prefix

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        ttl = max(1, math.ceil((as_utc(expires_at) - as_utc(now)).total_seconds()))
        try:
            created = self._client.set(self._prefix + key, b"1", nx=True, ex=ttl)
        except Exception as error:  # redis raises many kinds; all mean "cannot record"
            raise ReplayCacheUnavailable(f"redis: {type(error).__name__}") from error
        return bool(created)


class SqlReplayCache:
    """A table in the caller's database (SQLAlchemy Core), created if missing.

    The primary key makes the insert an atomic test-and-set across processes;
    an expired row is reclaimed by a conditional update, which also only one
    contender can win.
    """

    def __init__(
        self, engine: Engine, *, table_name: str = "signing_replay_cache", purge_every: int = 1000
    ) -> None:
        self._engine = engine
        metadata = MetaData()
        self._table = Table(
            table_name,
            metadata,
            Column("key", String(64), primary_key=True),
            Column("expires_at", BigInteger, nullable=False, index=True),
        )
        self._purge_every = purge_every
        self._inserts = 0
        self._lock = threading.Lock()
        try:
            metadata.create_all(engine, checkfirst=True)
        except (OperationalError, ProgrammingError, IntegrityError):
            # Another process created it between our check and our CREATE.
            metadata.create_all(engine, checkfirst=True)

    @property
    def table(self) -> Table:
        return self._table

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        moment = int(as_utc(now).timestamp())
        expires = math.ceil(as_utc(expires_at).timestamp())
        table = self._table
        try:
            try:
                with self._engine.begin() as connection:
                    connection.execute(insert(table).values(key=key, expires_at=expires))
            except IntegrityError:
                with self._engine.begin() as connection:
                    reclaimed = connection.execute(
                        update(table)
                        .where(table.c.key == key, table.c.expires_at <= moment)
                        .values(expires_at=expires)
                    )
                return reclaimed.rowcount == 1
            self._maybe_purge(moment)
        except SQLAlchemyError as error:
            raise ReplayCacheUnavailable(f"database: {type(error).__name__}") from error
        return True

    def _maybe_purge(self, moment: int) -> None:
        with self._lock:
            self._inserts += 1
            due = self._inserts % self._purge_every == 0
        if due:
            self.purge_expired(moment)

    def purge_expired(self, moment: int) -> int:
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(self._table).where(self._table.c.expires_at <= moment)
            )
        return int(result.rowcount)
