"""DataStore tables: the registry row, the physical table, and their DDL.

Physical names are generated (``ds_`` + 32 random hex digits); field names come
from users and are only ever used as quoted identifiers (SQLAlchemy quotes
them), after the checks CKAN makes. Every table has ``_id`` (row number, the
keyset paging key) and ``_full_text`` (normalised text of the row, for ``q``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from datasets.datastore.types import REPORTED, canonical_type, sql_type
from datasets.models import DatastoreTable, Resource, utcnow
from delta.errors import ValidationFailed

ROW_ID = "_id"
FULL_TEXT = "_full_text"
MAX_FIELDS = 500
MAX_NAME_BYTES = 63  # PostgreSQL's identifier limit
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TABLE_NAME = re.compile(r"ds_[0-9a-f]{32}")


@dataclass(frozen=True)
class Field:
    id: str
    type: str  # canonical, see types.CKAN_TYPES
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": REPORTED[self.type]}
        if self.info:
            out["info"] = self.info
        return out

    @classmethod
    def load(cls, raw: dict[str, Any]) -> Field:
        return cls(id=raw["id"], type=raw["type"], info=dict(raw.get("info") or {}))

    def stored(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "info": self.info}


def field_name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "field names must be non-empty strings"
    if name != name.strip():
        return f'"{name}" has leading or trailing spaces'
    if name.startswith("_"):
        return f'"{name}" starts with "_", which is reserved'
    if '"' in name or _CONTROL.search(name):
        return f'"{name[:60]}" contains a double quote or a control character'
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f'"{name[:30]}..." is longer than {MAX_NAME_BYTES} bytes'
    return None


def parse_fields(raw: Any, *, key: str = "fields") -> list[Field]:
    """CKAN's ``fields`` list ([{"id": ..., "type": ..., "info": ...}]), checked."""
    if not isinstance(raw, list):
        raise ValidationFailed.on(key, "fields must be a list of {id, type} objects")
    if len(raw) > MAX_FIELDS:
        raise ValidationFailed.on(key, f"a table has at most {MAX_FIELDS} fields")
    problems: list[str] = []
    fields: list[Field] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            problems.append("each field must be an object with an id")
            continue
        problem = field_name_problem(item.get("id"))
        name = str(item.get("id"))
        kind = canonical_type(item.get("type"))
        if problem:
            problems.append(problem)
        elif name.casefold() in seen:
            problems.append(f'field "{name}" is given twice')
        elif kind is None:
            problems.append(f'field "{name}" has an unknown type "{str(item.get("type"))[:30]}"')
        else:
            seen.add(name.casefold())
            info = item.get("info")
            fields.append(Field(id=name, type=kind, info=info if isinstance(info, dict) else {}))
    if problems:
        raise ValidationFailed({key: problems})
    return fields


def safe_field_names(headers: Sequence[str]) -> list[str]:
    """Column names for headers of an uploaded file: made valid and unique, never refused."""
    names: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        name = _CONTROL.sub(" ", str(header or "")).replace('"', "'").strip().lstrip("_").strip()
        while len(name.encode("utf-8")) > MAX_NAME_BYTES - 4:
            name = name[:-1]
        name = name or f"column_{position}"
        unique, suffix = name, 2
        while unique.casefold() in seen:
            unique, suffix = f"{name}_{suffix}", suffix + 1
        seen.add(unique.casefold())
        names.append(unique)
    return names


def new_table_name() -> str:
    return f"ds_{uuid.uuid4().hex}"


def physical(name: str, fields: Sequence[Field]) -> sa.Table:
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError("DataStore table names are generated, never given")
    row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: the rowid alias
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column(ROW_ID, row_id, primary_key=True, autoincrement=True),
        *(sa.Column(f.id, sql_type(f.type)) for f in fields),
        sa.Column(FULL_TEXT, sa.Text()),
    )


def create_physical(
    connection: sa.Connection,
    name: str,
    fields: Sequence[Field],
    *,
    primary_key: Sequence[str] = (),
    indexes: Sequence[Sequence[str]] = (),
    sql_reader: str | None = None,
) -> sa.Table:
    """The new table; on PostgreSQL readable by ``sql_reader``, the role user SQL runs as."""
    table = physical(name, fields)
    table.create(connection)
    if sql_reader and connection.dialect.name == "postgresql":
        grant_select(connection, name, sql_reader)
    if primary_key:
        columns = [table.c[key] for key in primary_key]
        sa.Index(f"{name}_pk", *columns, unique=True).create(connection)
    for number, index in enumerate(indexes):
        sa.Index(f"{name}_ix{number}", *(table.c[key] for key in index)).create(connection)
    return table


def grant_select(connection: sa.Connection, name: str, role: str) -> None:
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(sa.text(f"GRANT SELECT ON TABLE {quote(name)} TO {quote(role)}"))


def add_columns(connection: sa.Connection, name: str, fields: Sequence[Field]) -> None:
    preparer = connection.dialect.identifier_preparer
    for new in fields:
        column_type = sql_type(new.type).compile(dialect=connection.dialect)
        connection.execute(
            sa.text(
                f"ALTER TABLE {preparer.quote(name)} ADD COLUMN {preparer.quote(new.id)} "
                f"{column_type}"
            )
        )


def drop_physical(connection: sa.Connection, name: str) -> None:
    physical(name, []).drop(connection, checkfirst=True)


def entry(session: Session, resource_id: str) -> DatastoreTable | None:
    return session.get(DatastoreTable, resource_id)


def fields_of(row: DatastoreTable) -> list[Field]:
    return [Field.load(raw) for raw in row.fields]


def table_of(row: DatastoreTable) -> sa.Table:
    return physical(row.table_name, fields_of(row))


def register(
    session: Session,
    *,
    resource_id: str,
    table_name: str,
    fields: Sequence[Field],
    primary_key: Sequence[str],
    source_key: str | None,
) -> DatastoreTable:
    """Point the resource at ``table_name`` (dropping the table it had) and mark it active."""
    row = entry(session, resource_id)
    if row is None:
        row = DatastoreTable(resource_id=resource_id, table_name=table_name)
        session.add(row)
    elif row.table_name != table_name:
        drop_physical(session.connection(), row.table_name)
        row.table_name = table_name
    row.fields = [f.stored() for f in fields]
    row.primary_key = list(primary_key)
    row.source_key = source_key
    row.modified = utcnow()
    set_active(session, resource_id, active=True)
    return row


def drop_for_resource(session: Session, resource_id: str) -> bool:
    row = entry(session, resource_id)
    if row is None:
        return False
    drop_physical(session.connection(), row.table_name)
    session.delete(row)
    set_active(session, resource_id, active=False)
    return True


def set_active(session: Session, resource_id: str, *, active: bool) -> None:
    resource = session.get(Resource, resource_id)
    if resource is None:
        return
    extras = dict(resource.extras or {})
    if bool(extras.get("datastore_active")) != active:
        extras["datastore_active"] = active
        resource.extras = extras


def unregistered_tables(connection: sa.Connection, registered: set[str]) -> list[str]:
    """Physical DataStore tables no registry row points at (left by a crashed load)."""
    names = sa.inspect(connection).get_table_names()
    return [name for name in names if _TABLE_NAME.fullmatch(name) and name not in registered]
