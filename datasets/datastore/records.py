"""Records sent to datastore_create / datastore_upsert, checked and converted row by row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from datasets.datastore.fulltext import row_text
from datasets.datastore.tables import FULL_TEXT, ROW_ID, Field
from datasets.datastore.types import BadValue, to_python
from delta.errors import ValidationFailed

MAX_RECORDS = 100_000
MAX_PROBLEMS = 20


def parse_records(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValidationFailed.on("records", "Must be a list of objects")
    if len(raw) > MAX_RECORDS:
        raise ValidationFailed.on("records", f"At most {MAX_RECORDS} records per call")
    return raw


def infer_fields(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Field definitions guessed from records, for datastore_create without ``fields``."""
    kinds: dict[str, str] = {}
    for record in records[:1000]:
        for key, value in record.items():
            kinds.setdefault(key, _kind_of(value))
            if kinds[key] != _kind_of(value) and value is not None:
                kinds[key] = "text"
    return [{"id": key, "type": kind} for key, kind in kinds.items()]


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "numeric"
    if isinstance(value, dict | list):
        return "json"
    return "text"


def convert(
    records: Sequence[dict[str, Any]], fields: Sequence[Field], *, allow_id: bool = False
) -> list[dict[str, Any]]:
    """Rows ready for SQL: typed values plus ``_full_text``; every problem reported at once."""
    by_id = {f.id: f for f in fields}
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    for number, record in enumerate(records, start=1):
        extra = [k for k in record if k not in by_id and not (allow_id and k == ROW_ID)]
        if extra:
            keys = ", ".join(f'"{str(k)[:60]}"' for k in extra)
            problems.append(f'row "{number}" has extra keys {keys}')
            continue
        row: dict[str, Any] = {}
        for key, value in record.items():
            kind = "int" if key == ROW_ID else by_id[key].type
            try:
                row[key] = to_python(kind, value)
            except BadValue:
                problems.append(f'row "{number}": "{key}" is not a valid {kind} value')
        row[FULL_TEXT] = row_text(v for k, v in record.items() if k != ROW_ID)
        rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ValidationFailed({"records": problems})
    return rows
