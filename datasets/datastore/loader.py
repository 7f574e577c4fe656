"""Loading a validated file into a new DataStore table, then swapping it in.

Rows stream from the file to the database (never the whole file in memory):
PostgreSQL takes them through ``COPY ... FROM STDIN``; SQLite through batched
inserts, each batch its own short transaction so other writers are not
locked out for the length of a large load. Readers keep using the previous
table until the registry row is switched to the new one in one transaction.
CSV/TSV rows are parsed with the csv module and cast by frictionless' own
cell readers (the same casting validation used) -- or, into PostgreSQL, sent
as the validated text when PostgreSQL reads it as the same value; XLSX and
JSON go through frictionless' row stream.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from frictionless import Dialect, Schema
from frictionless import Field as FrictionlessField
from frictionless import fields as types_of
from frictionless.resources import TableResource
from sqlalchemy.orm import Session, sessionmaker

from datasets.datastore import tables
from datasets.datastore.fulltext import fold_many
from datasets.datastore.tables import Field
from datasets.datastore.types import FROM_TABLE_SCHEMA, to_python

SQLITE_BATCH = 5000
FOLD_BATCH = 1000
_PG_BOOLEANS = frozenset({"true", "True", "TRUE", "1", "false", "False", "FALSE", "0"})
csv.field_size_limit(64 * 1024 * 1024)


class LoadProblem(Exception):
    """The file could not be loaded (the message is meant for the publisher)."""


@dataclass(frozen=True)
class TableFile:
    path: Path  # UTF-8 text for CSV/TSV/JSON
    format: str  # CSV, TSV, XLSX or JSON
    schema: dict[str, Any]  # Table Schema descriptor
    csv_dialect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadResult:
    table_name: str
    rows: int
    seconds: float


def fields_for(schema: dict[str, Any]) -> list[Field]:
    """DataStore fields for a Table Schema: names made safe, types mapped, labels kept."""
    raw_fields = schema.get("fields") or []
    names = tables.safe_field_names([f.get("name", "") for f in raw_fields])
    out: list[Field] = []
    for name, raw in zip(names, raw_fields, strict=True):
        info: dict[str, Any] = {}
        if raw.get("name") != name:
            info["label"] = raw.get("name")
        if raw.get("title"):
            info["label"] = raw["title"]
        if raw.get("description"):
            info["notes"] = raw["description"]
        kind = FROM_TABLE_SCHEMA.get(str(raw.get("type", "string")), "text")
        out.append(Field(id=name, type=kind, info=info))
    return out


def load_file(
    engine: sa.Engine,
    sessions: sessionmaker[Session],
    *,
    resource_id: str,
    source: TableFile,
    source_key: str,
    progress: Callable[[int], None] | None = None,
    sql_reader: str | None = None,
) -> LoadResult:
    started = time.monotonic()
    fields = fields_for(source.schema)
    if not fields:
        raise LoadProblem("The table has no columns")
    primary_key = _primary_key(source.schema, fields)
    name = tables.new_table_name()
    with engine.begin() as connection:
        table = tables.create_physical(
            connection, name, fields, primary_key=primary_key, sql_reader=sql_reader
        )
    try:
        rows = _rows(source, fields, text_ok=engine.dialect.name == "postgresql")
        if engine.dialect.name == "postgresql":
            count = _copy_postgresql(engine, table, fields, rows, progress)
        else:
            count = _insert_batches(engine, table, fields, rows, progress)
        with sessions() as session, session.begin():
            tables.register(
                session,
                resource_id=resource_id,
                table_name=name,
                fields=fields,
                primary_key=primary_key,
                source_key=source_key,
            )
    except BaseException:
        with engine.begin() as connection:
            tables.drop_physical(connection, name)
        raise
    return LoadResult(table_name=name, rows=count, seconds=time.monotonic() - started)


def _primary_key(schema: dict[str, Any], fields: Sequence[Field]) -> list[str]:
    given = schema.get("primaryKey") or []
    keys = [given] if isinstance(given, str) else list(given)
    raw_fields = schema.get("fields") or []
    by_source = {raw.get("name"): f.id for raw, f in zip(raw_fields, fields, strict=True)}
    return [by_source[key] for key in keys if key in by_source]


def _rows(source: TableFile, fields: Sequence[Field], *, text_ok: bool) -> Iterator[list[Any]]:
    """Each row as values in field order, followed by its full text.

    ``text_ok``: the database parses cell text itself (PostgreSQL's COPY does), so
    cells whose Table Schema field has default formats pass through as text.
    """
    if source.format in ("CSV", "TSV"):
        rows = _csv_rows(source, fields, text_ok=text_ok)
    else:
        rows = _frictionless_rows(source, fields)
    yield from _with_full_text(rows)


def _with_full_text(rows: Iterator[tuple[list[Any], str]]) -> Iterator[list[Any]]:
    """Appends each row's folded text, folding a batch of rows at a time."""
    batch: list[tuple[list[Any], str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == FOLD_BATCH:
            yield from _folded(batch)
            batch = []
    yield from _folded(batch)


def _folded(batch: list[tuple[list[Any], str]]) -> Iterator[list[Any]]:
    texts = fold_many([text for _, text in batch])
    for (values, _), text in zip(batch, texts, strict=True):
        values.append(text)
        yield values


def _passes_as_text(field: FrictionlessField) -> bool:
    """Validation proved the cell matches the field; with default formats PostgreSQL
    reads that same text as the same value (123, 1.5, true/False, 2023-01-31)."""
    if field.missing_values != [""] or field.format not in ("default", None):
        return False
    if isinstance(field, types_of.StringField | types_of.DateField | types_of.YearField):
        return True
    if isinstance(field, types_of.IntegerField):
        return field.bare_number
    if isinstance(field, types_of.NumberField):
        return field.bare_number and field.decimal_char == "." and not field.group_char
    if isinstance(field, types_of.BooleanField):
        return set(field.true_values) | set(field.false_values) <= _PG_BOOLEANS
    return False


def _csv_rows(
    source: TableFile, fields: Sequence[Field], *, text_ok: bool
) -> Iterator[tuple[list[Any], str]]:
    schema = Schema.from_descriptor(source.schema)
    readers = [
        None if text_ok and _passes_as_text(f) else f.create_cell_reader() for f in schema.fields
    ]
    kinds = [f.type for f in fields]
    width = len(readers)
    all_text = all(read is None for read in readers)
    dialect = source.csv_dialect
    header_rows = dialect.get("headerRows", [1]) or []
    skip = max(header_rows) if header_rows else 0
    comment = dialect.get("commentChar")
    with source.path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(
            handle,
            delimiter=dialect.get("delimiter", "\t" if source.format == "TSV" else ","),
            quotechar=dialect.get("quoteChar", '"'),
            doublequote=dialect.get("doubleQuote", True),
            escapechar=dialect.get("escapeChar"),
            skipinitialspace=dialect.get("skipInitialSpace", False),
        )
        for number, cells in enumerate(reader, start=1):
            if number <= skip or not cells or (comment and cells[0].startswith(comment)):
                continue
            if all_text:  # the common case: no cell needs Python-side casting
                values = [cell or None for cell in cells[:width]]
                values += [None] * (width - len(values))
                yield values, " ".join(cells)
                continue
            values = []
            for position, (read, kind) in enumerate(zip(readers, kinds, strict=False)):
                cell = cells[position] if position < len(cells) else None
                if read is None:
                    values.append(cell or None)
                    continue
                value, problem = read(cell)
                if problem:
                    raise LoadProblem(f"Row {number}, field {position + 1}: {problem}")
                values.append(_db_value(kind, value))
            yield values, " ".join(cells)


def _frictionless_rows(
    source: TableFile, fields: Sequence[Field]
) -> Iterator[tuple[list[Any], str]]:
    schema = Schema.from_descriptor(source.schema)
    names = [f.name for f in schema.fields]
    kinds = [f.type for f in fields]
    resource = TableResource(
        path=source.path.name,
        basepath=str(source.path.parent),
        format=source.format.lower(),
        encoding="utf-8",
        schema=schema,
        dialect=Dialect(),
    )
    with resource:
        for row in resource.row_stream:
            if row.errors:
                raise LoadProblem(f"Row {row.row_number}: {row.errors[0].message}")
            cells = [row[name] for name in names]
            values = [_db_value(kind, cell) for kind, cell in zip(kinds, cells, strict=True)]
            yield values, " ".join(str(cell) for cell in cells if cell not in (None, ""))


def _db_value(kind: str, value: Any) -> Any:
    """frictionless has cast the cell already; only what SQL stores differently changes."""
    if value is None:
        return None
    if kind == "text" and not isinstance(value, str):
        return str(value)
    if kind == "timestamp" and getattr(value, "tzinfo", None) is not None:
        return to_python(kind, value)
    return value


def _copy_postgresql(
    engine: sa.Engine,
    table: sa.Table,
    fields: Sequence[Field],
    rows: Iterator[list[Any]],
    progress: Callable[[int], None] | None,
) -> int:
    from psycopg import sql
    from psycopg.types.json import Jsonb

    json_positions = [i for i, f in enumerate(fields) if f.type == "json"]
    columns = [*(f.id for f in fields), tables.FULL_TEXT]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for values in rows:
                for position in json_positions:
                    if values[position] is not None:
                        values[position] = Jsonb(values[position])
                copy.write_row(values)
                count += 1
                if progress and count % 100_000 == 0:
                    progress(count)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    return count


def _insert_batches(
    engine: sa.Engine,
    table: sa.Table,
    fields: Sequence[Field],
    rows: Iterator[list[Any]],
    progress: Callable[[int], None] | None,
) -> int:
    keys = [*(f.id for f in fields), tables.FULL_TEXT]
    insert = table.insert()
    count = 0
    batch: list[dict[str, Any]] = []
    for values in rows:
        batch.append(dict(zip(keys, values, strict=True)))
        if len(batch) == SQLITE_BATCH:
            count += _flush(engine, insert, batch)
            if progress and count % 100_000 == 0:
                progress(count)
    return count + _flush(engine, insert, batch)


def _flush(engine: sa.Engine, insert: sa.Insert, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    with engine.begin() as connection:
        connection.execute(insert, batch)
    size = len(batch)
    batch.clear()
    return size
