"""Each node's own database: SQLite under its folder, or one PostgreSQL schema per node.

With ``DELTA_DATABASE_URL`` pointing at PostgreSQL, the four nodes share the
database server but not their tables: node 310000 lives in schema
``node_310000`` (reached through the connection's ``search_path``), so its
Alembic version table, accounts and audit log are its own, exactly as with
four SQLite files. One database with schemas keeps ``docker/`` to a single
PostgreSQL database while still letting a node move to its own server later
by changing only the URL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase

from delta.db import is_sqlite, normalise_url


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Metadata of a node database (accounts, SSO state, window codes, audit log)."""

    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime}


def schema_name(region_code: str) -> str:
    return f"node_{region_code}"


def node_database_url(*, shared_url: str | None, node_dir: Path, region_code: str) -> str:
    """The URL of one node's database (see the module docstring for the PostgreSQL layout)."""
    if not shared_url:
        return f"sqlite:///{node_dir / 'node.db'}"
    url = normalise_url(shared_url)
    if is_sqlite(url):
        # Several nodes must never share one SQLite file: give each its own next to it.
        database = make_url(url).database or "delta.db"
        path = Path(database)
        suffix = path.suffix or ".db"
        return f"sqlite:///{path.with_name(f'{path.stem}-{region_code}{suffix}')}"
    parsed = make_url(url)
    options = f"-csearch_path={schema_name(region_code)}"
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def ensure_schema(database_url: str) -> None:
    """Create the node's PostgreSQL schema if missing (SQLite needs nothing)."""
    if is_sqlite(database_url):
        return
    parsed = make_url(database_url)
    options = str(parsed.query.get("options", ""))
    schema = options.removeprefix("-csearch_path=")
    plain = parsed.difference_update_query(["options"]).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
