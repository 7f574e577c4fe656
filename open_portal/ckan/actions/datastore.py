"""DataStore actions, CKAN-compatible: create, upsert, delete, info, search, search_sql.

Reading needs the same right as downloading the file (``read_data`` in
datasets.policy); writing needs edit rights on the dataset.
A table loaded from an uploaded file is read-only unless ``force`` is given,
as in CKAN: the next upload would replace what was written.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

from datasets import policy, repository
from datasets import resources as resource_service
from datasets.datastore import search as datastore_search_query
from datasets.datastore import service, sql, tables
from datasets.datastore.types import to_text
from datasets.models import Resource
from delta.errors import NotAuthorized, NotFound, ValidationFailed
from open_portal.ckan.params import as_bool, optional_str
from open_portal.ckan.registry import ActionContext, action

RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
_LINK_KEYS = ("q", "filters", "fields", "sort", "limit", "distinct", "include_total")


def _resource_id(data: dict[str, Any]) -> str:
    value = data.get("resource_id") or data.get("id")
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.on("resource_id", "Missing value")
    return value.strip()[:100]


def _readable(ctx: ActionContext, data: dict[str, Any]) -> Resource:
    _, resource = resource_service.get_data_resource(
        ctx.unit, actor=ctx.actor, resource_id=_resource_id(data)
    )
    return resource


def _writable(ctx: ActionContext, resource_id: str, *, force: bool) -> Resource:
    resource = repository.find_resource(ctx.session, resource_id)
    if resource is None or resource.package.state == "deleted":
        raise NotFound("Resource was not found.")
    policy.require(
        ctx.actor,
        policy.Action.UPDATE,
        policy.Dataset.of(resource.package),
        message=f"User {ctx.actor.name} not authorized to update resource {resource.id}",
    )
    entry = tables.entry(ctx.session, resource.id)
    if entry is not None and entry.source_key is not None and not force:
        raise ValidationFailed.on(
            "read-only",
            'This table is loaded from the uploaded file; pass "force": true to change it',
        )
    return resource


@action()
def datastore_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a DataStore table (or add fields and records to one).

    :param resource_id: the resource; or ``resource``: a new resource to create (with
        ``package_id``)
    :param fields: ``[{"id": "名称", "type": "text"}, ...]`` (types: text, int, numeric,
        float8, bool, date, time, timestamp, json); inferred from ``records`` when absent
    :param records: rows as objects (optional)
    :param primary_key: a field or a list of fields (optional)
    :param indexes: fields to index (optional)
    :param force: change a table loaded from an uploaded file (optional)
    """
    force = as_bool(data, "force")
    if isinstance(data.get("resource"), dict) and not data.get("resource_id"):
        created = resource_service.create_resource(
            ctx.unit, actor=ctx.actor, data={**data["resource"]}, upload=None
        )
        resource_id = created["id"]
    else:
        resource_id = _resource_id(data)
    resource = _writable(ctx, resource_id, force=force)
    result = service.create(
        ctx.session,
        resource=resource,
        fields=data.get("fields"),
        records=data.get("records"),
        primary_key=data.get("primary_key"),
        indexes=data.get("indexes"),
    )
    ctx.unit.changed_packages.add(resource.package_id)
    return result


@action()
def datastore_upsert(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Add or change rows.

    :param resource_id: the resource
    :param records: rows as objects
    :param method: ``upsert`` (default; by primary key), ``insert`` or ``update``
    :param force: change a table loaded from an uploaded file (optional)
    """
    resource = _writable(ctx, _resource_id(data), force=as_bool(data, "force"))
    method = optional_str(data, "method", max_len=20) or "upsert"
    return service.upsert(
        ctx.session, resource=resource, records=data.get("records"), method=method
    )


@action()
def datastore_delete(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Delete rows matching ``filters``, or (without ``filters``) the whole table.

    :param resource_id: the resource
    :param filters: ``{"field": value}`` (optional)
    :param force: change a table loaded from an uploaded file (optional)
    """
    resource = _writable(ctx, _resource_id(data), force=as_bool(data, "force"))
    result = service.delete(ctx.session, resource=resource, filters=data.get("filters"))
    ctx.unit.changed_packages.add(resource.package_id)
    return result


@action(side_effect_free=True)
def datastore_info(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a DataStore table's fields and row count.

    :param id: the resource id (``resource_id`` works too)
    """
    return service.info(ctx.session, resource=_readable(ctx, data))


@action(side_effect_free=True)
def datastore_search(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Search a DataStore table.

    :param resource_id: the resource
    :param filters: ``{"field": value or [values]}`` (optional)
    :param q: full-text query over the whole row (Chinese works: substring matching),
        or ``{"field": "text"}`` (optional)
    :param distinct: only distinct rows (optional)
    :param fields: fields to return, a list or comma-separated (optional)
    :param sort: e.g. ``"年份 desc, 名称"`` (optional; default ``_id``)
    :param limit: rows per page (default 100, at most 32000)
    :param offset: rows to skip (optional; following ``_links.next`` is faster)
    :param include_total: count all matching rows (default true)
    :param records_format: ``objects`` (default), ``lists``, ``csv`` or ``tsv``
    """
    resource = _readable(ctx, data)
    entry = service.require_table(ctx.session, resource.id)
    fields = tables.fields_of(entry)
    settings = ctx.portal.settings
    records_format = optional_str(data, "records_format", max_len=10) or "objects"
    if records_format not in RECORDS_FORMATS:
        raise ValidationFailed.on("records_format", f"Must be one of {', '.join(RECORDS_FORMATS)}")
    spec = datastore_search_query.parse(
        data,
        fields,
        default_limit=settings.datastore_default_limit,
        max_limit=settings.datastore_max_limit,
    )
    found = datastore_search_query.run(
        ctx.session.connection(), tables.table_of(entry), spec, fields
    )
    names = [f.id for f in found.fields]
    out: dict[str, Any] = {
        "resource_id": resource.id,
        "fields": [f.as_dict() for f in found.fields],
        "records_format": records_format,
        "records": _format(found.records, names, records_format),
        "limit": spec.limit,
        "include_total": spec.include_total,
        "_links": _links(resource.id, data, spec, found, records_format),
    }
    if data.get("cursor") is None:
        out["offset"] = spec.offset
    for key in ("q", "filters", "sort", "distinct"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if found.total is not None:
        out["total"] = found.total
        out["total_was_estimated"] = False
    return out


@action(side_effect_free=True)
def datastore_search_sql(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Run one read-only SELECT over DataStore tables (off unless the portal enables it).

    :param sql: e.g. ``SELECT "区县", count(*) FROM "<resource id>" GROUP BY 1``
    """
    settings = ctx.portal.settings
    if not settings.datastore_search_sql_enabled:
        raise NotAuthorized("datastore_search_sql is not enabled on this portal")

    def resolve(resource_id: str) -> str:
        _, resource = resource_service.get_data_resource(
            ctx.unit, actor=ctx.actor, resource_id=resource_id
        )
        return service.require_table(ctx.session, resource.id).table_name

    statement = data.get("sql")
    prepared, names = sql.prepare(
        statement if isinstance(statement, str) else "",
        dialect=ctx.portal.engine.dialect.name,
        resolve=resolve,
    )
    result = sql.run(
        ctx.portal.engine,
        prepared,
        names,
        timeout_ms=settings.datastore_sql_timeout_ms,
        max_rows=settings.datastore_max_limit,
    )
    out: dict[str, Any] = {"sql": statement, "fields": result.fields, "records": result.records}
    if result.truncated:
        out["records_truncated"] = True
    return out


def _format(records: list[list[Any]], names: list[str], records_format: str) -> Any:
    if records_format == "lists":
        return records
    if records_format in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t")
        writer.writerows([[to_text(v) for v in row] for row in records])
        return buffer.getvalue()
    return [dict(zip(names, row, strict=True)) for row in records]


def _links(
    resource_id: str,
    data: dict[str, Any],
    spec: datastore_search_query.SearchSpec,
    found: datastore_search_query.SearchResult,
    records_format: str,
) -> dict[str, str]:
    params: dict[str, str] = {"resource_id": resource_id}
    for key in _LINK_KEYS:
        value = data.get(key)
        if value not in (None, ""):
            params[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if records_format != "objects":
        params["records_format"] = records_format
    base = "/api/3/action/datastore_search?"
    start = base + urlencode(params)
    cursor = found.next_cursor or data.get("cursor")
    if cursor:
        # Past the last row the same cursor again gives an empty page: clients stop there.
        following = {**params, "cursor": str(cursor)}
    else:
        following = {**params, "offset": str(spec.offset + spec.limit)}
    return {"start": start, "next": base + urlencode(following)}
