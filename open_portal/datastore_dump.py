"""``/datastore/dump/{resource_id}``: a whole DataStore table as CSV, TSV, JSON or XLSX.

There is no row cap and memory stays flat: rows come from a server-side
cursor in batches and leave as they are formatted. XLSX cannot be written as
a stream, so openpyxl's write-only mode fills a temporary file (new sheets
after Excel's 1,048,576 rows), which is unlinked once opened for sending.
Same access rule as datastore_search; optional ``q``, ``filters``, ``fields``
and ``sort`` as there; ``bom=true`` prefixes CSV/TSV with a BOM for Excel.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from datasets import resources as resource_service
from datasets.datastore import search as datastore_search
from datasets.datastore import service, tables
from datasets.datastore.tables import Field
from datasets.datastore.types import to_json, to_text
from delta.errors import ValidationFailed
from open_portal.downloads import caller, request_token
from open_portal.runtime import Portal

router = APIRouter()

BATCH = 5000
EXCEL_MAX_ROWS = 1_048_576
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class _Dump:
    resource_id: str
    query: sa.Select[Any]
    fields: list[Field]


@router.get("/datastore/dump/{resource_id}")
async def dump(resource_id: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    params = dict(request.query_params)
    chosen = (params.pop("format", "csv") or "csv").lower()
    if chosen not in FORMATS:
        raise ValidationFailed.on("format", f"Must be one of {', '.join(FORMATS)}")
    bom = params.pop("bom", "").lower() in ("true", "1", "yes")
    plan = await run_in_threadpool(_plan, portal, resource_id, params, request_token(request))
    headers = {
        "Content-Disposition": f'attachment; filename="{plan.resource_id}.{chosen}"',
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization",
        "X-Content-Type-Options": "nosniff",
    }
    if chosen == "xlsx":
        handle, size = await run_in_threadpool(_xlsx, portal, plan)
        headers["Content-Length"] = str(size)
        return StreamingResponse(_file_chunks(handle), media_type=FORMATS[chosen], headers=headers)
    rows = _rows(portal.engine, plan.query)
    names = [f.id for f in plan.fields]
    body = _json(plan, rows) if chosen == "json" else _delimited(names, rows, chosen, bom)
    return StreamingResponse(body, media_type=FORMATS[chosen], headers=headers)


def _plan(portal: Portal, resource_id: str, params: dict[str, Any], token: str | None) -> _Dump:
    with portal.unit_of_work() as unit:
        actor = caller(unit.session, token)
        _, resource = resource_service.get_data_resource(unit, actor=actor, resource_id=resource_id)
        entry = service.require_table(unit.session, resource.id)
        fields = tables.fields_of(entry)
        for ignored in ("limit", "offset", "cursor"):
            params.pop(ignored, None)
        spec = datastore_search.parse(params, fields, default_limit=0, max_limit=0)
        table = tables.table_of(entry)
        columns = [table.c[name] for name in spec.fields]
        order = [
            (table.c[n].asc() if asc else table.c[n].desc()).nulls_last() for n, asc in spec.sort
        ]
        query = (
            sa.select(*columns)
            .where(*datastore_search.conditions(table, spec))
            .order_by(*order, table.c[tables.ROW_ID].asc())
        )
        by_id = {f.id: f for f in datastore_search.all_fields(fields)}
        return _Dump(resource.id, query, [by_id[name] for name in spec.fields])


def _rows(engine: sa.Engine, query: sa.Select[Any]) -> Iterator[list[Any]]:
    """All rows through a server-side cursor, a batch at a time."""
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for partition in result.partitions():
            for row in partition:
                yield list(row)


def _delimited(
    names: list[str], rows: Iterator[list[Any]], chosen: str, bom: bool
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if chosen == "csv" else "\t", lineterminator="\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow(names)
    for count, row in enumerate(rows, start=1):
        writer.writerow([to_text(value) for value in row])
        if count % BATCH == 0:
            yield _take(buffer)
    yield _take(buffer)


def _json(plan: _Dump, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    """CKAN's JSON dump shape: {"fields": [...], "records": [[...], ...]}."""
    fields = json.dumps([f.as_dict() for f in plan.fields], ensure_ascii=False)
    buffer = io.StringIO()
    buffer.write(f'{{"fields": {fields}, "records": [')
    for count, row in enumerate(rows):
        if count:
            buffer.write(",")
        buffer.write(json.dumps([to_json(value) for value in row], ensure_ascii=False))
        if count % BATCH == BATCH - 1:
            yield _take(buffer)
    buffer.write("]}\n")
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _xlsx(portal: Portal, plan: _Dump) -> tuple[IO[bytes], int]:
    from openpyxl import Workbook

    with portal.storage.scratch(".xlsx") as path:
        workbook = Workbook(write_only=True)
        sheet = None
        written = EXCEL_MAX_ROWS
        header = [f.id for f in plan.fields]
        for row in _rows(portal.engine, plan.query):
            if written >= EXCEL_MAX_ROWS:  # a new sheet, with the header again
                sheet = workbook.create_sheet(f"data{len(workbook.worksheets) + 1}")
                sheet.append(header)
                written = 1
            assert sheet is not None
            sheet.append([_cell(value) for value in row])
            written += 1
        if sheet is None:
            workbook.create_sheet("data1").append(header)
        workbook.save(path)
        # Open before the scratch file is removed: the open handle keeps the bytes.
        handle = Path(path).open("rb")  # noqa: SIM115  (closed by _file_chunks)
    return handle, _size(handle)


def _cell(value: Any) -> Any:
    """Dates stay dates in Excel; text loses the control characters XML cannot carry."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(1024 * 1024):
            yield chunk
    finally:
        handle.close()
