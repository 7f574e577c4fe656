"""Column types: CKAN's names, Table Schema's names, SQL types, and value conversion.

Values from clients (JSON records, filters, cursors) are converted to Python
values of the column's type before they reach SQL, where they are bound as
parameters; values from SQL are converted back to JSON-friendly ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from datasets.schemas import MAX_BIGINT

# CKAN's datastore type names (and their aliases) -> our canonical name.
CKAN_TYPES = {
    "text": "text", "string": "text", "varchar": "text", "char": "text", "name": "text",
    "int": "int", "int4": "int", "int8": "int", "integer": "int", "bigint": "int",
    "smallint": "int", "int2": "int", "year": "int",
    "numeric": "numeric", "number": "numeric", "decimal": "numeric",
    "float8": "float", "float": "float", "float4": "float", "double precision": "float",
    "real": "float",
    "bool": "bool", "boolean": "bool",
    "date": "date", "time": "time", "timestamp": "timestamp", "datetime": "timestamp",
    "json": "json", "jsonb": "json", "object": "json", "array": "json",
}  # fmt: skip
# The name each canonical type is reported with (CKAN's own).
REPORTED = {"text": "text", "int": "int", "numeric": "numeric", "float": "float8",
            "bool": "bool", "date": "date", "time": "time", "timestamp": "timestamp",
            "json": "json"}  # fmt: skip
# Table Schema field types -> canonical.
FROM_TABLE_SCHEMA = {
    "string": "text", "integer": "int", "number": "numeric", "boolean": "bool",
    "date": "date", "datetime": "timestamp", "time": "time", "year": "int",
    "object": "json", "array": "json",
}  # fmt: skip

_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


class BadValue(ValueError):
    """A value that cannot be a value of the column's type."""


def canonical_type(name: Any) -> str | None:
    """The DataStore type a client's type name stands for; None for an unknown one
    (anything that is not a string, too: clients send what they like)."""
    if name is None or name == "":
        name = "text"
    if not isinstance(name, str):
        return None
    return CKAN_TYPES.get(name.strip().lower())


def sql_type(kind: str) -> sa.types.TypeEngine[Any]:
    return _SQL_TYPES.get(kind, sa.Text)()


_SQL_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "int": sa.BigInteger,
    # SQLite has no exact decimal type; its NUMERIC affinity stores REAL anyway.
    "numeric": lambda: sa.Numeric().with_variant(sa.Float(), "sqlite"),
    "float": lambda: sa.Float(53),
    "bool": lambda: sa.Boolean(create_constraint=False),
    "date": sa.Date,
    "time": sa.Time,
    "timestamp": sa.DateTime,
    "json": lambda: sa.JSON().with_variant(JSONB(), "postgresql"),
    "text": sa.Text,
}


def to_python(kind: str, value: Any) -> Any:
    """A client's value as a value of the column type; raises BadValue."""
    if value is None or (value == "" and kind != "text"):
        return None
    if isinstance(value, bool) and kind in ("int", "numeric", "float"):
        raise BadValue(value)
    try:
        return _CONVERTERS.get(kind, _as_is)(value)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        raise BadValue(value) from None


def _as_is(value: Any) -> Any:
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _int(value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise BadValue(value)
    number = int(value)
    if not -MAX_BIGINT - 1 <= number <= MAX_BIGINT:  # "int" columns are BIGINT
        raise BadValue(value)
    return number


def _float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise BadValue(value)
    return number


def _numeric(value: Any) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise BadValue(value)
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(value)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _timestamp(value: Any) -> datetime:
    stamp = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    # Columns are "timestamp without time zone": keep UTC, as CKAN's clients expect.
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "int": _int,
    "numeric": _numeric,
    "float": _float,
    "bool": _bool,
    "date": _date,
    "time": _time,
    "timestamp": _timestamp,
}


def to_json(value: Any) -> Any:
    """A value read from SQL as JSON: dates as ISO text, decimals as numbers, and
    non-finite numbers (NaN, Infinity: JSON has none) as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def to_text(value: Any) -> str:
    """A value as a CSV/TSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(to_json(value))
