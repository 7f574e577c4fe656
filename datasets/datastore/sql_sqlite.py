"""User SQL on SQLite: a read-only connection of its own, an authorizer, limits, a deadline.

The authorizer is asked by SQLite itself while it compiles the statement, so
it sees what the statement really reads -- whatever the parser thought:
it allows reading the DataStore tables the statement was checked against
(and nothing else: not sqlite_master, not the portal's tables, not
table-valued functions, no PRAGMA, no ATTACH) and calling the functions on
the allow-list below. ``setlimit`` bounds one string or blob (so no single
function call can build gigabytes, which the deadline could not interrupt)
and the columns of a row, so one row holds at most MAX_COLUMNS values of
that size; text is counted against the result cap as each value is turned
into a Python string (a row is not built whole first); a progress handler
enforces the deadline between virtual-machine steps.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from datasets.datastore.sql_exec import (
    Refused,
    Rows,
    SqlLimits,
    TimedOut,
    TooLarge,
    collect_rows,
)

PROGRESS_STEPS = 1000  # virtual-machine instructions between deadline checks
MAX_COLUMNS = 600  # a DataStore table has at most 502 (tables.MAX_FIELDS + _id, _full_text)

# SQLite's names of the functions the parser's allow-list can produce (and LIKE, GLOB).
FUNCTIONS = frozenset(
    {"abs", "avg", "ceil", "ceiling", "coalesce", "count", "date", "datetime", "dense_rank",
     "exp", "first_value", "floor", "format", "glob", "group_concat", "ifnull", "iif", "instr",
     "julianday", "lag", "last_value", "lead", "length", "like", "ln", "lower", "ltrim", "max",
     "min", "mod", "nullif", "pow", "power", "printf", "rank", "replace", "round",
     "row_number", "rtrim", "sign", "sqrt", "strftime", "substr", "substring", "sum", "time",
     "total", "trim", "upper"}
)  # fmt: skip
_ALWAYS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE}
_CATALOG = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})


def _limits(limits: SqlLimits) -> dict[int, int]:
    return {
        sqlite3.SQLITE_LIMIT_LENGTH: limits.max_value_bytes,
        sqlite3.SQLITE_LIMIT_SQL_LENGTH: 200_000,
        sqlite3.SQLITE_LIMIT_COLUMN: MAX_COLUMNS,
        sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 500,
        sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 100,
        sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
        sqlite3.SQLITE_LIMIT_ATTACHED: 0,
        sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
        sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1,
        sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 1,
        sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
    }


def authorizer(tables: frozenset[str], schema: frozenset[str]) -> Any:
    """Allow reading ``tables`` and calling allowed functions; deny everything else.

    ``schema``: the lower-cased names of every table in the database. A read of no
    column in particular (``count(*)``) names the CTE or subquery it counts; it is
    allowed unless that name is a table's (SQLite compares names case-blind).
    """

    def decide(
        action: int, arg1: str | None, arg2: str | None, database: str | None, _: Any
    ) -> int:
        if action in _ALWAYS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and database in ("main", None):
            if arg1 in tables:
                return sqlite3.SQLITE_OK
            if arg2 == "" and database is None and (arg1 or "").lower() not in schema:
                return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return decide


class _TextBudget:
    """Decodes text values, raising TooLarge once they add up to more than the cap."""

    def __init__(self, cap: int) -> None:
        self.left = cap

    def __call__(self, data: bytes) -> str:
        self.left -= len(data)
        if self.left < 0:
            raise TooLarge
        return data.decode("utf-8", "replace")


class SqliteRunner:
    def __init__(self, database: Path) -> None:
        self.location = database.resolve().as_uri()

    def connect(self, tables: frozenset[str], limits: SqlLimits) -> sqlite3.Connection:
        """A read-only connection that may only read ``tables``, with every limit set."""
        connection = sqlite3.connect(
            f"{self.location}?mode=ro", uri=True, timeout=5, check_same_thread=False
        )
        for limit, value in _limits(limits).items():
            connection.setlimit(limit, value)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        names = connection.execute("SELECT lower(name) FROM sqlite_master").fetchall()
        connection.set_authorizer(authorizer(tables, _CATALOG | {name for (name,) in names}))
        deadline = time.monotonic() + limits.timeout_ms / 1000
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
        connection.text_factory = _TextBudget(limits.max_result_bytes)
        return connection

    def fetch(self, sql: str, tables: frozenset[str], limits: SqlLimits) -> tuple[list[str], Rows]:
        connection = self.connect(tables, limits)
        try:
            cursor = connection.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            return columns, collect_rows(cursor.fetchmany, limits)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            if str(exc) == "interrupted":
                raise TimedOut from None
            if str(exc) == "string or blob too big":
                raise Refused(
                    f"a value or a row is longer than {limits.max_value_bytes} bytes"
                ) from None
            raise Refused(str(exc)) from None
        finally:
            connection.close()
