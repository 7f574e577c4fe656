"""Database engines and sessions: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


_DDL = re.compile(r"^\s*(CREATE|DROP|ALTER)\b", re.IGNORECASE)
_SAVEPOINT = re.compile(r"^\s*SAVEPOINT\b", re.IGNORECASE)


def _transactional_ddl(
    _conn: Any, cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    """Open a transaction before DDL, as pysqlite itself does before INSERT/UPDATE/DELETE.

    Without one, pysqlite runs CREATE/DROP/ALTER in autocommit mode: a unit of work
    that dropped or altered a table and then failed would roll back everything but
    that -- a registry row naming a table that is gone. SQLite's DDL is transactional
    once it runs inside a transaction.
    """
    if _DDL.match(statement) and not cursor.connection.in_transaction:
        cursor.execute("BEGIN")
    elif _SAVEPOINT.match(statement) and not cursor.connection.in_transaction:
        # A SAVEPOINT outside a transaction would open a deferred one whose reads pin a
        # snapshot; its first write then fails at once if another process wrote since
        # ("database is locked", no busy wait). Taking the write lock first waits instead.
        cursor.execute("BEGIN IMMEDIATE")


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its directory."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist (connecting would create it)."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or Path(database).exists():
        return None
    return Path(database)


def shown_url(url: str) -> str:
    """A database URL fit for a message: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def connection_failure(error: BaseException) -> str | None:
    """The driver's one-line reason when ``error`` is a failure to reach the database at
    all (refused, unknown host, no such database, bad password), else None."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError) and error.statement is None:
        reason = str(error.orig or error)
    elif isinstance(error, psycopg.OperationalError) and str(error).startswith("connection"):
        reason = str(error)  # a node's schema set-up talks to psycopg directly
    else:
        return None
    lines = reason.strip().splitlines()
    return lines[0] if lines else error.__class__.__name__


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        ensure_sqlite_directory(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=20,
            max_overflow=20,
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _transactional_ddl)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


# SQLSTATEs of PostgreSQL's serialization failure, deadlock and lock timeout.
_CONTENTION_STATES = frozenset({"40001", "40P01", "55P03"})


def is_contention(exc: OperationalError) -> bool:
    """Whether a database error only says another transaction got in the way (retrying
    may succeed): SQLite's busy database, PostgreSQL's serialization failures and deadlocks."""
    state = getattr(exc.orig, "sqlstate", None)
    if state in _CONTENTION_STATES:
        return True
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
