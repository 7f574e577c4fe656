"""Grouped totals of a DataStore table, for charts: ``count``, ``sum`` or ``avg`` of a
field per value of another. Field names are checked against the table's fields and
used only as columns of the reflected table; values are bound parameters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from datasets.datastore.tables import Field
from datasets.datastore.types import to_json
from delta.errors import ValidationFailed

NUMERIC = {"int", "numeric", "float"}
FUNCTIONS = ("count", "sum", "avg")
MAX_GROUPS = 2000


def grouped(
    connection: sa.Connection,
    table: sa.Table,
    fields: list[Field],
    *,
    by: str,
    measure: str | None,
    function: str,
    order: str,
    limit: int,
) -> list[tuple[Any, float]]:
    """``[(value of by, total), ...]`` ordered by the value (``order="key"``) or by the
    total, largest first (``order="total"``)."""
    kinds = {f.id: f.type for f in fields}
    if by not in kinds:
        raise ValidationFailed.on("x", f'field "{by}" not in table')
    if function not in FUNCTIONS:
        raise ValidationFailed.on("aggregate", f"Must be one of: {', '.join(FUNCTIONS)}")
    if function != "count":
        if measure not in kinds:
            raise ValidationFailed.on("y", "A sum or average needs a field")
        if kinds[measure] not in NUMERIC:
            raise ValidationFailed.on("y", f'field "{measure}" is not numeric')
    key = table.c[by]
    if function == "count" or measure is None:
        total = sa.func.count().label("total")
    elif function == "sum":
        total = sa.func.sum(table.c[measure]).label("total")
    else:
        total = sa.func.avg(table.c[measure]).label("total")
    stmt = sa.select(key, total).where(key.is_not(None)).group_by(key)
    stmt = stmt.order_by(key.asc() if order == "key" else total.desc(), key.asc())
    rows = connection.execute(stmt.limit(min(max(limit, 1), MAX_GROUPS))).all()
    return [(to_json(value), float(amount or 0)) for value, amount in rows]
