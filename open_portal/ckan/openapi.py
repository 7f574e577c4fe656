"""The CKAN actions in the portal's OpenAPI document (``/api/openapi.json``).

Every registered action appears under its own path, ``/api/3/action/<name>``:
POST for all of them (JSON body), GET too for those without side effects (query
string, as CKAN). Parameters come from the action's own help text (the
``:param name:`` lines ``help_show`` returns) and, for the actions that take a
whole object, from the input schemas the services validate with. Responses are
CKAN's envelope: ``{help, success: true, result}`` or ``{help, success: false,
error: {__type, ...}}`` with 400, 403, 404, 409 or 413.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from datasets.schemas import GroupIn, PackageIn, ResourceIn
from open_portal.ckan import registry
from open_portal.ckan.registry import ActionSpec

JSON = "application/json"
STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
ANY: dict[str, Any] = {}

# How each documented parameter is typed; the rest are strings. GET parameters are
# strings on the wire, which the actions read as CKAN does ("true", "10").
PARAMETER_TYPES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(
        ("limit", "offset", "rows", "start", "page", "expires_in", "grant_days",
         "facet.mincount"),
        INTEGER,
    ),
    "facet.limit": {"type": "integer", "minimum": -1},
    **dict.fromkeys(
        ("include_private", "include_drafts", "include_deleted", "include_datasets",
         "include_users", "all_fields", "force", "distinct", "include_total",
         "agreement_accepted", "facet"),
        BOOLEAN,
    ),
    "records": {"type": "array", "items": {"type": "object"}},
    "fields": ANY,  # a list of field dicts, a list of names or "a,b"
    "filters": {"type": "object"},
    "primary_key": ANY,
    "indexes": ANY,
    "resource": {"type": "object"},
    "fq_list": {"type": "array", "items": STRING},
}  # fmt: skip
# Per action, parameters whose documented meaning differs from the usual one.
ACTION_PARAMETER_TYPES: dict[str, dict[str, dict[str, Any]]] = {
    "datastore_search": {"q": ANY, "sort": ANY},
}
# The actions that take a whole object, and the schema it is validated with.
BODY_MODELS: dict[str, type[BaseModel]] = {
    "package_create": PackageIn,
    "package_update": PackageIn,
    "package_patch": PackageIn,
    "resource_create": ResourceIn,
    "resource_update": ResourceIn,
    "resource_patch": ResourceIn,
    "organization_create": GroupIn,
    "organization_update": GroupIn,
    "organization_patch": GroupIn,
    "group_create": GroupIn,
    "group_update": GroupIn,
    "group_patch": GroupIn,
}
ERROR_STATUSES = {
    "400": "Bad request or Search Query Error (malformed body, bad query, wrong method)",
    "403": "Authorization Error",
    "404": "Not Found Error",
    "409": "Validation Error (field -> messages), or a conflicting change at the same time",
    "413": "The body or uploaded file is larger than the limit",
}
_PARAM = re.compile(r":param ([\w.]+):(.*?)(?=;?\s*:param |\Z)", re.DOTALL)


def documented_parameters(spec: ActionSpec) -> list[tuple[str, str]]:
    """(name, description) of each ``:param name:`` in the action's help text."""
    found = []
    for name, text in _PARAM.findall(spec.doc):
        description = " ".join(text.split()).rstrip(";").strip()
        found.append((name, description))
    return found


# Documented in files whose wording says it otherwise.
OPTIONAL = {("datastore_create", "resource_id"), ("datastore_create", "fields")}


_OPTIONAL_WORDS = re.compile(r"\b(optional|default|or the|or how)\b", re.IGNORECASE)


def is_optional(description: str) -> bool:
    """Documented as optional, with a default, or as an alternative to another one."""
    return bool(_OPTIONAL_WORDS.search(description))


def parameter_schema(action: str, name: str) -> dict[str, Any]:
    schema = ACTION_PARAMETER_TYPES.get(action, {}).get(name) or PARAMETER_TYPES.get(name)
    return dict(STRING if schema is None else schema)


def _envelope(success: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "help": STRING,
        "success": {"type": "boolean", "enum": [success]},
    }
    if success:
        properties["result"] = ANY
        required = ["help", "success", "result"]
    else:
        properties["error"] = {
            "type": "object",
            "properties": {"__type": STRING, "message": STRING},
            "required": ["__type"],
        }
        required = ["help", "success", "error"]
    return {"type": "object", "properties": properties, "required": required}


def _responses() -> dict[str, Any]:
    def answer(description: str, success: bool) -> dict[str, Any]:
        return {"description": description, "content": {JSON: {"schema": _envelope(success)}}}

    out = {"200": answer("Success: the action's result", True)}
    out.update({status: answer(text, False) for status, text in ERROR_STATUSES.items()})
    return out


def _query_parameter(action: str, name: str, description: str) -> dict[str, Any]:
    schema = parameter_schema(action, name)
    if not schema:  # any JSON value: passed as JSON text in a query string
        schema = STRING
    return {
        "name": name,
        "in": "query",
        "required": not (is_optional(description) or (action, name) in OPTIONAL),
        "description": description,
        "schema": schema,
    }


def _body(spec: ActionSpec) -> dict[str, Any]:
    model = BODY_MODELS.get(spec.name)
    schema: dict[str, Any]
    if model is not None:
        schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    else:
        parameters = documented_parameters(spec)
        schema = {
            "type": "object",
            "properties": {
                name: {**parameter_schema(spec.name, name), "description": description}
                for name, description in parameters
            },
            "additionalProperties": True,
        }
        required = [
            name
            for name, description in parameters
            if not (is_optional(description) or (spec.name, name) in OPTIONAL)
        ]
        if required:
            schema["required"] = required
    return {"required": False, "content": {JSON: {"schema": schema}}}


def action_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, spec in sorted(registry.all_actions().items()):
        summary = spec.doc.split("\n\n")[0].replace("\n", " ")
        operation = {
            "tags": ["CKAN Action API"],
            "summary": summary,
            "description": spec.doc,
            "responses": _responses(),
        }
        item: dict[str, Any] = {
            "post": {**operation, "operationId": f"{name}_post", "requestBody": _body(spec)}
        }
        if spec.side_effect_free:
            item["get"] = {
                **operation,
                "operationId": f"{name}_get",
                "parameters": [
                    _query_parameter(name, param, description)
                    for param, description in documented_parameters(spec)
                ],
            }
        paths[f"/api/3/action/{name}"] = item
    return paths


def _component_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in {*BODY_MODELS.values()}:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def install(app: FastAPI) -> None:
    """Serve the CKAN actions in ``app``'s OpenAPI document, next to its own routes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=(
                    "The CKAN Action API v3 (``/api/3/action/<name>``; ``/api/action/<name>``"
                    " is the same) and the portal's download and DataStore dump URLs."
                ),
                routes=app.routes,
            )
            document["paths"] = {**action_paths(), **document.get("paths", {})}
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(_component_schemas())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
