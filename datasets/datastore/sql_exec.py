"""Running a checked ``datastore_search_sql`` statement, the second line of defence.

The parser check (datasets.datastore.sql) decides what may run; this layer
makes sure that even a statement it wrongly let through cannot read anything
but DataStore tables nor take the portal down. User SQL never runs on the
portal's own connections: on PostgreSQL it runs on a connection whose session
user is a login role that may only SELECT DataStore tables (sql_postgres),
on SQLite on a read-only connection of its own behind an authorizer
(sql_sqlite). Both enforce the deadline, a cap on values and on the whole
result, and both answer in the same errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from datasets.datastore.types import to_json
from delta.errors import NotAuthorized, ValidationFailed

log = logging.getLogger(__name__)

FETCH_BATCH = 500


@dataclass(frozen=True)
class SqlLimits:
    timeout_ms: int
    max_rows: int
    max_result_bytes: int
    max_value_bytes: int  # SQLite: its longest string or blob
    work_mem_kb: int  # PostgreSQL: memory per sort or hash before it spills


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    truncated: bool


class Refused(Exception):
    """The database refused the statement; the message is meant for the caller."""


class TimedOut(Exception):
    pass


class TooLarge(Exception):
    pass


class Unavailable(Exception):
    """The restricted connection cannot be used (a configuration problem, logged)."""


Rows = list[tuple[Any, ...]]


class Runner(Protocol):
    def fetch(self, sql: str, tables: frozenset[str], limits: SqlLimits) -> tuple[list[str], Rows]:
        """Columns and at most ``limits.max_rows + 1`` rows of ``sql``, which may read
        ``tables`` (physical names) and nothing else."""
        ...


@dataclass
class SqlExecutor:
    runner: Runner
    limits: SqlLimits
    # The role DataStore tables are granted to as they are created (PostgreSQL only).
    grant_role: str | None = None

    def run(self, sql: str, names: dict[str, str]) -> SqlResult:
        """Run a statement prepared by ``sql.prepare`` (``names``: physical -> resource id)."""
        limits = self.limits
        try:
            columns, rows = self.runner.fetch(sql, frozenset(names), limits)
            truncated = len(rows) > limits.max_rows
            rows = rows[: limits.max_rows]
            records = [
                {name: json_value(value) for name, value in zip(columns, row, strict=True)}
                for row in rows
            ]
        except TimedOut:
            raise _refuse(f"The query took longer than {limits.timeout_ms} ms") from None
        except TooLarge:
            raise _refuse(
                f"The result is larger than {limits.max_result_bytes} bytes; "
                "select fewer rows or fields"
            ) from None
        except Refused as exc:
            message = str(exc).splitlines()[0][:300] if str(exc) else "refused"
            for physical, resource_id in names.items():
                message = message.replace(physical, resource_id)
            raise _refuse(f"The database refused the query: {message}") from None
        except RecursionError:
            raise _refuse("A value of the result is nested too deeply") from None
        except Unavailable as exc:
            log.error("datastore_search_sql cannot run: %s", exc)
            raise NotAuthorized("datastore_search_sql is not available on this portal") from None
        return SqlResult(fields=_fields(columns, rows), records=records, truncated=truncated)


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.on("sql", message)


def collect_rows(fetchmany: Callable[[int], Sequence[Sequence[Any]]], limits: SqlLimits) -> Rows:
    """Up to ``max_rows + 1`` rows, stopping with TooLarge once they exceed the byte cap."""
    rows: Rows = []
    size = 0
    while len(rows) <= limits.max_rows:
        batch = fetchmany(min(FETCH_BATCH, limits.max_rows + 1 - len(rows)))
        if not batch:
            break
        for row in batch:
            size += sum(_size(value) for value in row)
            if size > limits.max_result_bytes:
                raise TooLarge
            rows.append(tuple(row))
    return rows


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, list | tuple | dict):
        return len(str(value))
    return 8


def json_value(value: Any) -> Any:
    """A value read by user SQL as JSON: as datastore_search gives it (non-finite numbers
    as null), and the types JSON lacks -- intervals, bytes, arrays -- made JSON too."""
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    converted = to_json(value)
    if converted is None or isinstance(converted, bool | int | float | str):
        return converted
    return str(converted)


def _fields(columns: list[str], rows: Rows) -> list[dict[str, str]]:
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
    return "numeric" if isinstance(value, Decimal) else "text"
