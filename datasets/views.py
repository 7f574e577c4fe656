"""Resource views (CKAN's ``resource_view_*``): how a resource is shown.

View types: ``datatables_view`` (the table preview), ``chart_view`` (a line
chart over a date column or a bar chart over a category column) and
``map_view`` (the delta's provinces and cities, coloured by a region
column). A view's own keys live in ``config`` and are printed beside its
fields, as CKAN does. Reading a view needs read access to its dataset;
changing one needs edit rights, as for the resource itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from datasets import policy, repository
from datasets.datastore import tables
from datasets.models import Resource, ResourceView
from datasets.policy import Principal
from datasets.unit import CatalogUnit
from delta.errors import ErrorDict, NotFound, ValidationFailed

CORE = ("id", "resource_id", "package_id", "title", "description", "view_type")
AGGREGATES = ("count", "sum", "avg")
# view type -> its config keys: (key, required, what the value names)
VIEW_TYPES: dict[str, tuple[tuple[str, bool, str], ...]] = {
    "datatables_view": (),
    "chart_view": (("chart_type", True, "kind"), ("x", True, "field"), ("y", False, "field"),
                   ("aggregate", False, "aggregate")),
    "map_view": (("region_field", True, "field"), ("y", False, "field"),
                 ("aggregate", False, "aggregate")),
}  # fmt: skip
CHART_TYPES = ("line", "bar")
MAX_VIEWS = 50


def view_dict(view: ResourceView, package_id: str) -> dict[str, Any]:
    return {
        **(view.config or {}),
        "id": view.id,
        "resource_id": view.resource_id,
        "package_id": package_id,
        "title": view.title,
        "description": view.description,
        "view_type": view.view_type,
    }


def _resource(unit: CatalogUnit, ref: Any) -> Resource:
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationFailed.on("resource_id", "Missing value")
    resource = repository.find_resource(unit.session, ref.strip())
    if resource is None or resource.package.state == "deleted":
        raise NotFound("Resource was not found.")
    return resource


def _view(unit: CatalogUnit, ref: Any) -> ResourceView:
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationFailed.on("id", "Missing value")
    view = unit.session.get(ResourceView, ref.strip())
    if view is None:
        raise NotFound("Resource view not found")
    return view


def _check_edit(actor: Principal, resource: Resource) -> None:
    message = f"User {actor.name} not authorized to edit resource {resource.id}"
    policy.require(
        actor, policy.Action.UPDATE, policy.Dataset.of(resource.package), message=message
    )


def _check_read(actor: Principal, resource: Resource) -> None:
    message = f"User {actor.name or 'anonymous'} not authorized to read this dataset"
    policy.require(actor, policy.Action.READ, policy.Dataset.of(resource.package), message=message)


def _text(data: dict[str, Any], key: str, errors: ErrorDict, *, required: bool, limit: int) -> str:
    value = data.get(key)
    if value in (None, ""):
        if required:
            errors[key] = ["Missing value"]
        return ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        errors[key] = [f"Must be text of at most {limit} characters"]
        return ""
    return value.strip()


def _config(
    unit: CatalogUnit, resource: Resource, view_type: str, data: dict[str, Any], errors: ErrorDict
) -> dict[str, Any]:
    given = data.get("config")
    source = {**(given if isinstance(given, dict) else {}), **data}
    entry = tables.entry(unit.session, resource.id)
    names = {f.id for f in tables.fields_of(entry)} if entry else None
    config: dict[str, Any] = {}
    for key, required, kind in VIEW_TYPES.get(view_type, ()):
        value = _text(source, key, errors, required=required, limit=200)
        if not value:
            continue
        if kind == "field" and names is not None and value not in names:
            errors[key] = [f'field "{value}" not in the DataStore table']
        elif kind == "kind" and value not in CHART_TYPES:
            errors[key] = [f"Must be one of: {', '.join(CHART_TYPES)}"]
        elif kind == "aggregate" and value not in AGGREGATES:
            errors[key] = [f"Must be one of: {', '.join(AGGREGATES)}"]
        config[key] = value
    return config


def _fill(unit: CatalogUnit, view: ResourceView, resource: Resource, data: dict[str, Any]) -> None:
    errors: ErrorDict = {}
    view_type = _text(data, "view_type", errors, required=True, limit=50)
    if view_type and view_type not in VIEW_TYPES:
        errors["view_type"] = [f"No plugin found for view_type {view_type}"]
    title = _text(data, "title", errors, required=True, limit=200)
    description = _text(data, "description", errors, required=False, limit=4000)
    config = _config(unit, resource, view_type, data, errors) if view_type in VIEW_TYPES else {}
    if errors:
        raise ValidationFailed(errors)
    view.view_type, view.title, view.description, view.config = (
        view_type, title, description, config
    )  # fmt: skip


def create(unit: CatalogUnit, *, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(unit, data.get("resource_id"))
    _check_edit(actor, resource)
    existing = _views_of(unit, resource.id)
    if len(existing) >= MAX_VIEWS:
        raise ValidationFailed.on("resource_id", f"A resource has at most {MAX_VIEWS} views")
    view = ResourceView(resource_id=resource.id, position=len(existing))
    _fill(unit, view, resource, data)
    unit.session.add(view)
    unit.session.flush()
    return view_dict(view, resource.package_id)


def show(unit: CatalogUnit, *, actor: Principal, ref: Any) -> dict[str, Any]:
    view = _view(unit, ref)
    resource = _resource(unit, view.resource_id)
    _check_read(actor, resource)
    return view_dict(view, resource.package_id)


def listing(unit: CatalogUnit, *, actor: Principal, resource_ref: Any) -> list[dict[str, Any]]:
    resource = _resource(unit, resource_ref)
    _check_read(actor, resource)
    return [view_dict(v, resource.package_id) for v in _views_of(unit, resource.id)]


def update(unit: CatalogUnit, *, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    view = _view(unit, data.get("id"))
    resource = _resource(unit, view.resource_id)
    _check_edit(actor, resource)
    _fill(unit, view, resource, {**data, "view_type": data.get("view_type") or view.view_type})
    unit.session.flush()
    return view_dict(view, resource.package_id)


def delete(unit: CatalogUnit, *, actor: Principal, ref: Any) -> None:
    view = _view(unit, ref)
    resource = _resource(unit, view.resource_id)
    _check_edit(actor, resource)
    unit.session.delete(view)
    unit.session.flush()
    for position, remaining in enumerate(_views_of(unit, resource.id)):
        remaining.position = position


def reorder(unit: CatalogUnit, *, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(unit, data.get("id"))
    _check_edit(actor, resource)
    order = data.get("order")
    if not isinstance(order, list) or not all(isinstance(i, str) for i in order):
        raise ValidationFailed.on("order", "Must be a list of view ids")
    views = {v.id: v for v in _views_of(unit, resource.id)}
    unknown = [i for i in order if i not in views]
    if unknown or len(set(order)) != len(order):
        raise ValidationFailed.on("order", "Invalid view ids in order")
    # As CKAN: the views named come first, in that order; the others keep theirs after.
    ordered = [views[i] for i in order] + [v for i, v in views.items() if i not in order]
    for position, view in enumerate(ordered):
        view.position = position
    unit.session.flush()
    return {"id": resource.id, "order": [v.id for v in ordered]}


def _views_of(unit: CatalogUnit, resource_id: str) -> list[ResourceView]:
    return list(
        unit.session.scalars(
            select(ResourceView)
            .where(ResourceView.resource_id == resource_id)
            .order_by(ResourceView.position, ResourceView.id)
        )
    )
