"""The DataStore's write and info operations (callers have checked permissions).

Everything runs in the caller's unit of work -- DDL included, which both
SQLite and PostgreSQL keep transactional -- so a failed call leaves no table,
no row and no registry entry behind.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from datasets.datastore import records as record_rows
from datasets.datastore import tables
from datasets.datastore.search import all_fields, parse
from datasets.datastore.tables import ROW_ID, Field
from datasets.datastore.types import sql_type
from datasets.models import DatastoreTable, Resource
from delta.errors import NotFound, ValidationFailed


def require_table(session: Session, resource_id: str) -> DatastoreTable:
    entry = tables.entry(session, resource_id)
    if entry is None:
        raise NotFound(f'Resource "{resource_id}" was not found in the DataStore.')
    return entry


def create(
    session: Session,
    *,
    resource: Resource,
    fields: Any,
    records: Any,
    primary_key: Any,
    indexes: Any,
    sql_reader: str | None = None,
) -> dict[str, Any]:
    rows = record_rows.parse_records(records)
    entry = tables.entry(session, resource.id)
    connection = session.connection()
    if fields is None:
        fields = record_rows.infer_fields(rows) if entry is None else []
    wanted = tables.parse_fields(fields)
    keys = _key_list(primary_key, "primary_key")
    if entry is None:
        if not wanted:
            raise ValidationFailed.on("fields", "Give fields (or records to infer them from)")
        _check_keys(keys, wanted, "primary_key")
        index_lists = [_key_list(i, "indexes") for i in _index_param(indexes)]
        for index in index_lists:
            _check_keys(index, wanted, "indexes")
        name = tables.new_table_name()
        tables.create_physical(
            connection,
            name,
            wanted,
            primary_key=keys,
            indexes=index_lists,
            sql_reader=sql_reader,
        )
        entry = tables.register(
            session,
            resource_id=resource.id,
            table_name=name,
            fields=wanted,
            primary_key=keys,
            source_key=None,
        )
    else:
        _extend(session, entry, wanted, keys)
    current = tables.fields_of(entry)
    if rows:
        _insert(connection, tables.table_of(entry), record_rows.convert(rows, current))
    return {
        "resource_id": resource.id,
        "fields": [f.as_dict() for f in all_fields(current)],
        "primary_key": list(entry.primary_key),
        "method": "insert",
    }


def upsert(session: Session, *, resource: Resource, records: Any, method: str) -> dict[str, Any]:
    if method not in ("upsert", "insert", "update"):
        raise ValidationFailed.on("method", "Must be upsert, insert or update")
    entry = require_table(session, resource.id)
    fields = tables.fields_of(entry)
    rows = record_rows.convert(record_rows.parse_records(records), fields, allow_id=True)
    table = tables.table_of(entry)
    connection = session.connection()
    if method == "insert":
        _insert(connection, table, [{k: v for k, v in r.items() if k != ROW_ID} for r in rows])
        return {"resource_id": resource.id, "method": method, "count": len(rows)}
    keys = list(entry.primary_key) or [ROW_ID]
    missing: list[str] = []
    for number, row in enumerate(rows, start=1):
        if any(row.get(k) is None for k in keys):
            raise ValidationFailed.on("records", f'row "{number}" is missing key field(s) {keys}')
        match = sa.and_(*(table.c[k] == row[k] for k in keys))
        values = {k: v for k, v in row.items() if k not in keys}
        result = (
            connection.execute(sa.update(table).where(match).values(**values)) if values else None
        )
        updated = result.rowcount if result is not None else _exists(connection, table, match)
        if not updated:
            if method == "update":
                missing.append(f'row "{number}": key {[row[k] for k in keys]!r} not found')
            elif ROW_ID in keys:
                missing.append(f'row "{number}": _id {row[ROW_ID]} not found')
            else:
                _insert(connection, table, [row])
    if missing:
        raise ValidationFailed({"records": missing[:20]})
    return {"resource_id": resource.id, "method": method, "count": len(rows)}


def delete(session: Session, *, resource: Resource, filters: Any) -> dict[str, Any]:
    """No ``filters``: the whole table goes; ``filters``: only the rows that match."""
    entry = require_table(session, resource.id)
    if filters is None:
        tables.drop_for_resource(session, resource.id)
        return {"resource_id": resource.id}
    fields = tables.fields_of(entry)
    spec = parse({"filters": filters}, fields, default_limit=0, max_limit=0)
    table = tables.table_of(entry)
    conditions = [
        sa.or_(*(table.c[name].is_(None) if v is None else table.c[name] == v for v in values))
        for name, values in spec.filters.items()
    ]
    session.connection().execute(sa.delete(table).where(*conditions))
    return {"resource_id": resource.id, "filters": filters}


def info(session: Session, *, resource: Resource) -> dict[str, Any]:
    entry = require_table(session, resource.id)
    table = tables.table_of(entry)
    count = session.connection().execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    fields = all_fields(tables.fields_of(entry))
    return {
        "meta": {
            "id": resource.id,
            "count": int(count),
            "table_type": "BASE TABLE",
            "aliases": [],
            "primary_key": list(entry.primary_key),
            "loaded_from_upload": entry.source_key is not None,
            "modified": entry.modified.isoformat(),
        },
        "fields": [
            {
                **f.as_dict(),
                "schema": {"native_type": _native(session, f), "is_index": f.id == ROW_ID},
            }
            for f in fields
        ],
        "schema": {f.id: f.as_dict()["type"] for f in fields},
    }


def _native(session: Session, field: Field) -> str:
    return str(sql_type(field.type).compile(dialect=session.get_bind().dialect))


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    try:
        connection.execute(table.insert(), rows)
    except sa.exc.IntegrityError:
        raise ValidationFailed.on(
            "records", "A record repeats the primary key of another"
        ) from None


def _exists(connection: sa.Connection, table: sa.Table, match: sa.ColumnElement[bool]) -> int:
    return 1 if connection.execute(sa.select(table.c[ROW_ID]).where(match).limit(1)).first() else 0


def _extend(session: Session, entry: DatastoreTable, wanted: list[Field], keys: list[str]) -> None:
    current = {f.id: f for f in tables.fields_of(entry)}
    problems = [
        f'field "{f.id}" is {current[f.id].type}; it cannot become {f.type}'
        for f in wanted
        if f.id in current and current[f.id].type != f.type
    ]
    if keys and keys != list(entry.primary_key):
        problems.append("the primary key of an existing table cannot change")
    if problems:
        raise ValidationFailed({"fields": problems})
    new = [f for f in wanted if f.id not in current]
    taken = {name.casefold() for name in current}
    clashes = [f.id for f in new if f.id.casefold() in taken]
    if clashes:
        raise ValidationFailed(
            {"fields": [f'field "{c}" clashes with an existing field' for c in clashes]}
        )
    if new:
        tables.add_columns(session.connection(), entry.table_name, new)
        entry.fields = [*entry.fields, *(f.stored() for f in new)]


def _key_list(raw: Any, key: str) -> list[str]:
    if raw in (None, "", []):
        return []
    names = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationFailed.on(key, "Must be a field name or a list of field names")
    return names


def _index_param(raw: Any) -> list[Any]:
    """CKAN's ``indexes``: field names (one index each), a name list being a composite."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        return [[name.strip()] for name in raw.split(",") if name.strip()]
    if not isinstance(raw, list):
        raise ValidationFailed.on("indexes", "Must be a list of field names")
    return [item if isinstance(item, list) else [item] for item in raw]


def _check_keys(names: list[str], fields: list[Field], key: str) -> None:
    known = {f.id for f in fields}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationFailed(
            {key: [f'field "{n[:60]}" is not a field of the table' for n in unknown]}
        )
