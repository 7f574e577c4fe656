"""``datastore_search``: CKAN's parameters checked, turned into one bound SQL query.

Field names are looked up in the table's own field list (never pasted into
SQL); every value is converted to the column's type and bound. Paging is by
keyset: ``_links.next`` carries a cursor with the last row's sort values and
``_id``, so every page is an index range scan, as fast at row 1,000,000 as at
row 1 (``offset`` is still accepted for CKAN clients that compute pages).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from datasets.datastore import fulltext
from datasets.datastore.tables import FULL_TEXT, ROW_ID, Field
from datasets.datastore.types import BadValue, to_json, to_python
from delta.errors import ValidationFailed

MAX_OFFSET = 10_000_000
MAX_SORT_KEYS = 20
MAX_FILTER_VALUES = 10_000


@dataclass(frozen=True)
class SearchSpec:
    fields: list[str]  # output fields, in order
    filters: dict[str, list[Any]]
    q: str | dict[str, str] | None
    sort: list[tuple[str, bool]]  # (field, ascending)
    distinct: bool
    limit: int
    offset: int
    include_total: bool
    after: tuple[list[Any], int] | None  # keyset position: sort values, _id


@dataclass(frozen=True)
class SearchResult:
    fields: list[Field]
    records: list[list[Any]]  # JSON-ready values in field order
    total: int | None
    next_cursor: str | None  # None: distinct rows, or no rows (page by offset)


def all_fields(fields: list[Field]) -> list[Field]:
    return [Field(id=ROW_ID, type="int"), *fields]


def parse(
    data: dict[str, Any],
    fields: list[Field],
    *,
    default_limit: int,
    max_limit: int,
    max_sort_keys: int = MAX_SORT_KEYS,
    max_filter_values: int = MAX_FILTER_VALUES,
) -> SearchSpec:
    by_id = {f.id: f for f in all_fields(fields)}
    chosen = _field_list(data.get("fields"), by_id)
    sort = _sort(data.get("sort"), by_id, max_sort_keys)
    distinct = _bool(data.get("distinct"), "distinct", False)
    if distinct and any(name not in chosen for name, _ in sort):
        raise ValidationFailed.on("sort", "With distinct, sort only by fields you select")
    cursor = data.get("cursor")
    return SearchSpec(
        fields=chosen,
        filters=_filters(data.get("filters"), by_id, max_filter_values),
        q=_q(data.get("q"), by_id),
        sort=sort,
        distinct=distinct,
        limit=_int(data.get("limit"), "limit", default_limit, maximum=max_limit),
        offset=0 if cursor else _int(data.get("offset"), "offset", 0, maximum=MAX_OFFSET),
        include_total=_bool(data.get("include_total"), "include_total", True),
        after=_decode_cursor(cursor, sort, by_id) if cursor and not distinct else None,
    )


def run(
    connection: sa.Connection, table: sa.Table, spec: SearchSpec, fields: list[Field]
) -> SearchResult:
    by_id = {f.id: f for f in all_fields(fields)}
    where = conditions(table, spec)
    selected = [table.c[name] for name in spec.fields]
    order = [_ordered(table.c[name], ascending) for name, ascending in spec.sort]
    if spec.distinct:
        # A stable order for offset paging: the sort, then every selected field.
        stmt = sa.select(*selected).distinct()
        sorted_names = {name for name, _ in spec.sort}
        order += [_ordered(table.c[n], True) for n in spec.fields if n not in sorted_names]
    else:
        keys = [table.c[name].label(f"__k{i}") for i, (name, _) in enumerate(spec.sort)]
        stmt = sa.select(*selected, *keys, table.c[ROW_ID].label("__id"))
        order.append(table.c[ROW_ID].asc())
        if spec.after is not None:
            where.append(_after(table, spec.sort, *spec.after))
    stmt = stmt.where(*where).order_by(*order).limit(spec.limit).offset(spec.offset)
    rows = connection.execute(stmt).all() if spec.limit else []
    width = len(spec.fields)
    records = [[to_json(value) for value in row[:width]] for row in rows]
    total = _total(connection, table, spec, where) if spec.include_total else None
    next_cursor = None
    if rows and not spec.distinct:
        last = rows[-1]
        values = list(last[width : width + len(spec.sort)])
        next_cursor = encode_cursor(spec.sort, values, int(last[-1]))
    return SearchResult(
        fields=[by_id[name] for name in spec.fields],
        records=records,
        total=total,
        next_cursor=next_cursor,
    )


def conditions(table: sa.Table, spec: SearchSpec) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    for name, values in spec.filters.items():
        column = table.c[name]
        nulls = [v for v in values if v is None]
        present = [v for v in values if v is not None]
        options = [column.in_(present)] if present else []
        if nulls:
            options.append(column.is_(None))
        out.append(sa.or_(*options))
    if isinstance(spec.q, str):
        for term in fulltext.query_terms(spec.q):
            out.append(table.c[FULL_TEXT].like(fulltext.like_pattern(term), escape="\\"))
    elif isinstance(spec.q, dict):
        for name, text in spec.q.items():
            pattern = fulltext.like_pattern(text.strip())
            out.append(sa.cast(table.c[name], sa.Text).ilike(pattern, escape="\\"))
    return out


def _ordered(column: sa.ColumnElement[Any], ascending: bool) -> sa.ColumnElement[Any]:
    # Explicit NULLS LAST: PostgreSQL and SQLite disagree on the default.
    return (column.asc() if ascending else column.desc()).nulls_last()


def _after(
    table: sa.Table, sort: list[tuple[str, bool]], values: list[Any], last_id: int
) -> sa.ColumnElement[bool]:
    """Rows after the keyset position, in (sort..., _id) order with NULLS LAST."""
    condition: sa.ColumnElement[bool] = table.c[ROW_ID] > last_id
    for (name, ascending), value in reversed(list(zip(sort, values, strict=True))):
        column = table.c[name]
        if value is None:
            condition = sa.and_(column.is_(None), condition)
            continue
        beyond = column > value if ascending else column < value
        if name == ROW_ID:  # never NULL; keep the condition an index range
            condition = sa.or_(beyond, sa.and_(column == value, condition))
        else:
            condition = sa.or_(beyond, column.is_(None), sa.and_(column == value, condition))
    return condition


def _total(
    connection: sa.Connection,
    table: sa.Table,
    spec: SearchSpec,
    conditions: list[sa.ColumnElement[bool]],
) -> int:
    if spec.distinct:
        inner = sa.select(*(table.c[n] for n in spec.fields)).distinct().where(*conditions)
        stmt = sa.select(sa.func.count()).select_from(inner.subquery())
    else:
        stmt = sa.select(sa.func.count()).select_from(table).where(*conditions)
    return int(connection.execute(stmt).scalar_one())


# --- parameters ---------------------------------------------------------------------------


def _json_param(value: Any, key: str) -> Any:
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationFailed.on(key, "Cannot parse JSON") from None
    return value


def _field_list(raw: Any, by_id: dict[str, Field]) -> list[str]:
    raw = _json_param(raw, "fields")
    if raw in (None, "", []):
        return list(by_id)
    names = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationFailed.on("fields", "Must be a list of field names")
    unknown = [n for n in names if n not in by_id]
    if unknown:
        raise ValidationFailed({"fields": [f'field "{n[:60]}" not in table' for n in unknown]})
    return list(dict.fromkeys(names))


def _sort(raw: Any, by_id: dict[str, Field], max_keys: int) -> list[tuple[str, bool]]:
    raw = _json_param(raw, "sort")
    if raw in (None, "", []):
        return []
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise ValidationFailed.on("sort", "Must be a string like 'field desc, other asc'")
    # Every key adds a level to the keyset condition of the next page: keep it short.
    if len(parts) > max_keys:
        raise ValidationFailed.on("sort", f"Sort by at most {max_keys} fields")
    out: list[tuple[str, bool]] = []
    for part in parts:
        text = part.strip()
        ascending = True
        lowered = text.lower()
        if lowered.endswith((" asc", " desc")):
            ascending = lowered.endswith(" asc")
            text = text.rsplit(" ", 1)[0].strip()
        name = text.strip('"')
        if name not in by_id:
            raise ValidationFailed.on("sort", f'field "{name[:60]}" not in table')
        if by_id[name].type == "json":
            raise ValidationFailed.on("sort", f'field "{name[:60]}" is JSON and cannot be sorted')
        out.append((name, ascending))
    if out == [(ROW_ID, True)]:
        return []  # the default order; keeps the keyset condition a plain range
    return out


def _filters(raw: Any, by_id: dict[str, Field], max_values: int) -> dict[str, list[Any]]:
    raw = _json_param(raw, "filters")
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed.on("filters", "Must be an object of field: value")
    count = sum(len(v) if isinstance(v, list) else 1 for v in raw.values())
    if count > max_values:
        raise ValidationFailed.on("filters", f"Filter by at most {max_values} values in all")
    problems: list[str] = []
    out: dict[str, list[Any]] = {}
    for name, value in raw.items():
        field = by_id.get(name)
        if field is None:
            problems.append(f'field "{str(name)[:60]}" not in table')
            continue
        if field.type == "json":
            # JSON has no equality SQL shares (PostgreSQL: no jsonb = integer); use q.
            problems.append(f'field "{name[:60]}" is JSON and cannot be filtered')
            continue
        values = value if isinstance(value, list) else [value]
        try:
            out[name] = [to_python(field.type, v) for v in values]
        except BadValue:
            problems.append(f'"{name}": a value is not a valid {field.type}')
    if problems:
        raise ValidationFailed({"filters": problems})
    return out


def _q(raw: Any, by_id: dict[str, Field]) -> str | dict[str, str] | None:
    raw = _json_param(raw, "q")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        return raw[:1000]
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        unknown = [k for k in raw if k not in by_id]
        if unknown:
            raise ValidationFailed({"q": [f'field "{k[:60]}" not in table' for k in unknown]})
        return {k: v[:1000] for k, v in raw.items() if v.strip()}
    raise ValidationFailed.on("q", "Must be a string or an object of field: text")


def _int(raw: Any, key: str, default: int, *, maximum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        number = int(raw)
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed.on(key, "Invalid integer") from None
    if number < 0:
        raise ValidationFailed.on(key, "Must be a natural number")
    if number > maximum:
        raise ValidationFailed.on(key, f"Must be at most {maximum}")
    return number


def _bool(raw: Any, key: str, default: bool) -> bool:
    if raw in (None, ""):
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "t", "on"):
        return True
    if text in ("false", "0", "no", "f", "off"):
        return False
    raise ValidationFailed.on(key, "Must be true or false")


# --- keyset cursors -------------------------------------------------------------------------


def _signature(sort: list[tuple[str, bool]]) -> str:
    return json.dumps(sort, ensure_ascii=False)


def encode_cursor(sort: list[tuple[str, bool]], values: list[Any], last_id: int) -> str:
    plain = [str(v) if isinstance(v, Decimal | float) else to_json(v) for v in values]
    body = json.dumps({"s": _signature(sort), "v": plain, "i": last_id}, ensure_ascii=False)
    return base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(
    token: Any, sort: list[tuple[str, bool]], by_id: dict[str, Field]
) -> tuple[list[Any], int]:
    try:
        padded = str(token) + "=" * (-len(str(token)) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if body["s"] != _signature(sort) or len(body["v"]) != len(sort):
            raise ValueError
        values = [
            to_python(by_id[name].type, v) for (name, _), v in zip(sort, body["v"], strict=True)
        ]
        return values, int(body["i"])
    except (ValueError, KeyError, TypeError, UnicodeError, BadValue):
        raise ValidationFailed.on("cursor", "Invalid cursor for this sort order") from None
