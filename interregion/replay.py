"""The node's replay cache: a table in the node database, shared by all its processes.

``signing`` defines only the :class:`~signing.replay.ReplayCache` protocol (and
in-process caches); storage belongs to whoever owns the database. The table is
declared once, here, on the node's metadata; the node migration ``0001`` is its
DDL, so nothing here creates tables at run time.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime

from sqlalchemy import BigInteger, Column, Engine, String, Table, delete, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from interregion.db import Base
from signing.errors import ReplayCacheUnavailable
from signing.keys import as_utc

# The name predates the move out of ``signing``; renaming it would need a migration for nothing.
REPLAY_TABLE = Table(
    "signing_replay_cache",
    Base.metadata,
    Column("key", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False, index=True),
)


class SqlReplayCache:
    """A :class:`~signing.replay.ReplayCache` on the node database (SQLAlchemy Core).

    The primary key makes the insert an atomic test-and-set across processes;
    an expired row is reclaimed by a conditional update, which also only one
    contender can win. Fails closed: any database error raises
    :class:`~signing.errors.ReplayCacheUnavailable`, and the token is refused.
    """

    def __init__(self, engine: Engine, *, purge_every: int = 1000) -> None:
        self._engine = engine
        self._purge_every = purge_every
        self._inserts = 0
        self._lock = threading.Lock()

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        moment = int(as_utc(now).timestamp())
        expires = math.ceil(as_utc(expires_at).timestamp())
        table = REPLAY_TABLE
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
                delete(REPLAY_TABLE).where(REPLAY_TABLE.c.expires_at <= moment)
            )
        return int(result.rowcount)
