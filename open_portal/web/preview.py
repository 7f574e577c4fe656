"""A resource's page: the table preview (sorting, filtering, keyset paging over the
DataStore), quick charts, and the validation report."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from datasets import packages as package_service
from datasets import policy
from datasets import resources as resource_service
from datasets.datastore import aggregate, tables
from datasets.policy import Action
from delta.errors import NotAuthorized, NotFound, ValidationFailed
from open_portal import downloads
from open_portal.web import charts
from open_portal.web.actions import Act, PageError, acting

router = APIRouter(include_in_schema=False)

PAGE_ROWS = 50
SAMPLE = PAGE_ROWS
MAP_VENDOR_FILES = [f"map-{code}.json" for code in charts.MAP_PROVINCES]


@router.get("/dataset/{name}/resource/{resource_id}")
def resource_page(name: str, resource_id: str, request: Request) -> Response:
    with acting(request) as act:
        package = act.call("package_show", {"id": name})
        resource = next((r for r in package["resources"] if r["id"] == resource_id), None)
        if resource is None:
            raise PageError(404, act.visit.gettext("Page not found"))
        has_data = _may_have_data(act, package["id"])
        table = (
            _table(act, request, resource) if has_data and resource["datastore_active"] else None
        )
        views = act.call("resource_view_list", {"id": resource_id})
        quick = charts.suggestions(table["fields"], table["records"]) if table else []
        report = None
        if has_data and resource.get("validation_status"):
            report = downloads.report_of(act.ctx.unit, act.actor, package["id"], resource_id)
        return act.render(
            "resource.html",
            {
                "package": package,
                "resource": resource,
                "has_data": has_data,
                "table": table,
                "charts": _charts(act, package, resource, views, quick) if table else [],
                "report": report,
                "can_edit": policy.can(act.actor, Action.UPDATE, policy.Dataset.from_dict(package)),
                "map_files": MAP_VENDOR_FILES,
            },
        )


def _may_have_data(act: Act, package_id: str) -> bool:
    try:
        package_service.get_data_package(act.ctx.unit, actor=act.actor, ref=package_id)
    except (NotAuthorized, NotFound):
        return False
    return True


def _table(act: Act, request: Request, resource: dict[str, Any]) -> dict[str, Any]:
    query = request.query_params
    data: dict[str, Any] = {"resource_id": resource["id"], "limit": PAGE_ROWS}
    if query.get("q"):
        data["q"] = query["q"][:200]
    column, value = query.get("column", ""), query.get("value", "")
    if column and value:
        data["filters"] = json.dumps({column: value})
    if query.get("sort"):
        data["sort"] = query["sort"][:200]
    if query.get("cursor"):
        data["cursor"] = query["cursor"][:2000]
    try:
        found = act.call("datastore_search", data)
        error = ""
    except ValidationFailed as exc:
        found = act.call("datastore_search", {"resource_id": resource["id"], "limit": PAGE_ROWS})
        error = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
    fields = [f for f in found["fields"] if f["id"] != "_id"]
    nxt = found.get("_links", {}).get("next", "")
    cursor = ""
    if "cursor=" in nxt and len(found["records"]) == PAGE_ROWS:
        cursor = parse_qs(urlsplit(nxt).query).get("cursor", [""])[0]
    return {
        "fields": fields,
        "records": found["records"],
        "total": found.get("total"),
        "cursor": cursor,
        "error": error,
        "q": query.get("q", ""),
        "column": column,
        "value": value,
        "sort": query.get("sort", ""),
        "paged": bool(query.get("cursor")),
    }


def _charts(
    act: Act,
    package: dict[str, Any],
    resource: dict[str, Any],
    views: list[dict[str, Any]],
    quick: list[dict[str, str]],
) -> list[dict[str, Any]]:
    """Saved chart and map views first, then the quick charts the table suggests."""
    base = f"/dataset/{package['name']}/resource/{resource['id']}/chart.json"
    shown: list[dict[str, Any]] = []
    for view in views:
        if view["view_type"] == "chart_view":
            spec = {"chart_type": view["chart_type"], "x": view["x"]}
        elif view["view_type"] == "map_view":
            spec = {"chart_type": "map", "x": view["region_field"]}
        else:
            continue
        spec |= {"y": view.get("y", ""), "aggregate": view.get("aggregate") or "count"}
        shown.append({**spec, "title": view["title"]})
    known = {(c["chart_type"], c["x"]) for c in shown}
    shown += [q for q in quick if (q["chart_type"], q["x"]) not in known]
    for chart in shown:
        params = {k: chart.get(k) or "" for k in ("chart_type", "x", "y", "aggregate")}
        chart["src"] = f"{base}?{urlencode(params)}"
    return shown


@router.get("/dataset/{name}/resource/{resource_id}/chart.json")
def chart_data(name: str, resource_id: str, request: Request) -> Response:
    query = request.query_params
    chart_type, x, y = query.get("chart_type", "bar"), query.get("x", ""), query.get("y", "")
    function = query.get("aggregate", "count")
    with acting(request) as act:
        _, resource = resource_service.get_data_resource(
            act.ctx.unit, actor=act.actor, resource_id=resource_id, package_ref=name
        )
        entry = tables.entry(act.session, resource.id)
        if entry is None:
            raise PageError(404, "This resource has no DataStore table")
        try:
            rows = aggregate.grouped(
                act.session.connection(),
                tables.table_of(entry),
                tables.fields_of(entry),
                by=x,
                measure=y or None,
                function=function,
                order="key" if chart_type == "line" else "total",
                limit=aggregate.MAX_GROUPS if chart_type in ("line", "map") else 30,
            )
        except ValidationFailed as exc:
            return JSONResponse({"error": exc.errors}, status_code=422)
    body: dict[str, Any] = {"chart_type": chart_type, "x": x, "y": y, "aggregate": function}
    if chart_type == "map":
        body["regions"] = _by_feature(rows)
    else:
        body["points"] = [[str(key), value] for key, value in rows]
    return JSONResponse(body, headers={"Cache-Control": "private, no-cache"})


def _by_feature(rows: list[tuple[Any, float]]) -> list[dict[str, Any]]:
    """Totals per map shape; a province-level value colours each of its shapes."""
    totals: dict[str, float] = {}
    for key, value in rows:
        code = charts.region_code(key)
        if code is None:
            continue
        feature = charts.map_feature(code)
        totals[feature] = totals.get(feature, 0.0) + value
    return [{"code": code, "value": value} for code, value in sorted(totals.items())]
