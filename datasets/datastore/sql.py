"""``datastore_search_sql``: one SELECT over DataStore tables, parsed and checked first.

The statement is parsed with sqlglot and refused unless it is a single
SELECT (or a UNION of them) whose tables are all DataStore resources the
caller may read (named by resource id, as in CKAN), whose functions are all
on an allow-list, and which neither writes (SELECT INTO) nor locks rows
(FOR UPDATE). The checked tree, with resource ids swapped for the physical
table names, is what runs -- in a read-only transaction with a statement
timeout on PostgreSQL, on a read-only connection with a deadline on SQLite.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from datasets.datastore.types import to_json
from delta.errors import ValidationFailed

MAX_SQL_CHARS = 20_000
_FUNCTIONS = (
    exp.Abs, exp.Avg, exp.Case, exp.Cast, exp.Ceil, exp.Coalesce, exp.Concat, exp.Count,
    exp.CurrentDate, exp.Date, exp.DateTrunc, exp.Extract, exp.FirstValue, exp.Floor,
    exp.Greatest, exp.GroupConcat, exp.If, exp.Lag, exp.Lead, exp.Least, exp.Left,
    exp.Length, exp.Ln, exp.Lower, exp.Max, exp.Min, exp.Nullif, exp.Pow, exp.Rank,
    exp.DenseRank, exp.Replace, exp.Right, exp.Round, exp.RowNumber, exp.Sign, exp.SplitPart,
    exp.Sqrt, exp.StartsWith, exp.Stddev, exp.StrPosition, exp.Substring, exp.Sum,
    exp.TimestampTrunc, exp.TimeToStr, exp.Trim, exp.Upper, exp.Variance, exp.Exp,
    exp.LastValue, exp.Mod, exp.ArrayAgg, exp.RegexpReplace,
)  # fmt: skip
_NAMED_FUNCTIONS = frozenset(
    {"strftime", "julianday", "substr", "ifnull", "char_length", "string_agg", "date_part",
     "to_char", "instr", "printf", "format"}
)  # fmt: skip
_CAST_TYPES = frozenset(
    {"TEXT", "VARCHAR", "CHAR", "INT", "BIGINT", "SMALLINT", "DECIMAL", "DOUBLE", "FLOAT",
     "BOOLEAN", "DATE", "TIMESTAMP", "TIME", "NUMERIC", "REAL"}
)  # fmt: skip
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    truncated: bool


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.on("sql", message)


def prepare(sql: str, *, dialect: str, resolve: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """The statement to run and the physical -> resource id names (for error messages)."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("Missing value")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse(f"The statement is longer than {MAX_SQL_CHARS} characters")
    flavour = _DIALECTS.get(dialect, "postgres")
    try:
        statements = [s for s in sqlglot.parse(sql, read=flavour) if s is not None]
    except ParseError as exc:
        raise _refuse(f"Cannot parse the statement: {str(exc).splitlines()[0][:200]}") from None
    if len(statements) != 1:
        raise _refuse("Only one statement is allowed")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise _refuse("Only SELECT statements are allowed")
    _check_nodes(tree)
    names = _swap_tables(tree, resolve, flavour)
    return tree.sql(dialect=flavour), names


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Into | exp.Lock):
            raise _refuse("SELECT INTO and row locks are not allowed")
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in _NAMED_FUNCTIONS:
                raise _refuse(f"Function {node.name[:60]} is not allowed")
        elif isinstance(node, exp.Func) and not isinstance(node, _FUNCTIONS):
            raise _refuse(f"Function {node.sql_name()} is not allowed")
        if isinstance(node, exp.Cast) and _type_name(node) not in _CAST_TYPES:
            raise _refuse(f"Casting to {node.to.sql()[:40]} is not allowed")
        if isinstance(node, exp.Command | exp.DDL | exp.DML):
            raise _refuse("Only SELECT statements are allowed")


def _type_name(cast: exp.Cast) -> str:
    kind = cast.to.this
    return str(getattr(kind, "name", kind)).upper()


def _key(identifier: exp.Expression, flavour: str) -> str:
    """How the database itself compares a name: PostgreSQL folds unquoted ones to
    lower case, SQLite ignores case altogether."""
    name = identifier.name
    quoted = isinstance(identifier, exp.Identifier) and identifier.quoted
    return name if quoted and flavour == "postgres" else name.lower()


def _swap_tables(
    tree: exp.Expression, resolve: Callable[[str], str], flavour: str
) -> dict[str, str]:
    # A CTE name only shadows a table inside its own WITH scope; allowing WITH only on
    # the whole statement makes "is this name a CTE?" the same question everywhere.
    top = tree.args.get("with_")
    ctes = {_key(cte.args["alias"].this, flavour) for cte in top.expressions} if top else set()
    if any(w is not top for w in tree.find_all(exp.With)):
        raise _refuse("WITH is allowed only at the start of the statement")
    names: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse("Tables are DataStore resource ids, without a schema")
        if not table.name:
            raise _refuse("Only DataStore tables can be queried")
        if _key(table.this, flavour) in ctes:
            continue
        physical = resolve(table.name)
        names[physical] = table.name
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
        table.set("this", exp.to_identifier(physical, quoted=True))
    if not names:
        raise _refuse("The statement reads no DataStore table")
    return names


def run(
    engine: sa.Engine, sql: str, names: dict[str, str], *, timeout_ms: int, max_rows: int
) -> SqlResult:
    try:
        if engine.dialect.name == "sqlite":
            columns, rows = _run_sqlite(engine, sql, timeout_ms, max_rows)
        else:
            columns, rows = _run_postgresql(engine, sql, timeout_ms, max_rows)
    except _TimedOut:
        raise _refuse(f"The query took longer than {timeout_ms} ms") from None
    except (sa.exc.DBAPIError, sqlite3.Error, _DatabaseRefused) as exc:
        message = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        for physical, resource_id in names.items():
            message = message.replace(physical, resource_id)
        raise _refuse(f"The database refused the query: {message}") from None
    truncated = len(rows) > max_rows
    records = [
        {name: to_json(value) for name, value in zip(columns, row, strict=True)}
        for row in rows[:max_rows]
    ]
    return SqlResult(fields=_fields(columns, rows), records=records, truncated=truncated)


class _TimedOut(Exception):
    pass


class _DatabaseRefused(Exception):
    pass


def _run_postgresql(
    engine: sa.Engine, sql: str, timeout_ms: int, max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    import psycopg

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        try:
            cursor.execute(sql)  # no parameters: "%" in the statement stays literal
        except psycopg.errors.QueryCanceled:
            raise _TimedOut from None
        except psycopg.Error as exc:
            raise _DatabaseRefused(str(exc)) from None
        columns = [d[0] for d in cursor.description or []]
        rows = [tuple(r) for r in cursor.fetchmany(max_rows + 1)]
        return columns, rows
    finally:
        raw.rollback()
        raw.close()


def _run_sqlite(
    engine: sa.Engine, sql: str, timeout_ms: int, max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    # A connection of its own, opened read-only: nothing it runs can write.
    location = Path(engine.url.database or "").resolve().as_uri()
    connection = sqlite3.connect(f"{location}?mode=ro", uri=True, timeout=5)
    deadline = time.monotonic() + timeout_ms / 1000
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = [tuple(r) for r in cursor.fetchmany(max_rows + 1)]
        return columns, rows
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise _TimedOut from None
        raise
    finally:
        connection.close()


def _fields(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, str]]:
    out = []
    for position, name in enumerate(columns):
        sample = next((row[position] for row in rows if row[position] is not None), None)
        out.append({"id": name, "type": _kind(sample)})
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float8"
    return "numeric" if type(value).__name__ == "Decimal" else "text"
