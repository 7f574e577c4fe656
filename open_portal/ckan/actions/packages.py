"""Dataset actions."""

from __future__ import annotations

import json
from typing import Any

from datasets import activity, repository, revise
from datasets import packages as service
from datasets.dictization import package_dict
from delta.errors import ValidationFailed
from open_portal.applications import disclosure
from open_portal.ckan.params import as_bool, as_int, as_str_list, required_str
from open_portal.ckan.registry import ActionContext, action, visibility_key

MAX_LIST = 1000


def _disclosed(ctx: ActionContext, packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Real link URLs of conditional datasets only for callers who may have the data."""
    return disclosure.packages_for(ctx.session, ctx.actor, ctx.unit.site_url, packages)


def _disclosed_one(ctx: ActionContext, package: dict[str, Any]) -> dict[str, Any]:
    return _disclosed(ctx, [package])[0]


@action(side_effect_free=True)
def package_list(ctx: ActionContext, data: dict[str, Any]) -> list[str]:
    """Return the names of the site's public datasets, sorted by name.

    :param limit: how many names to return (optional)
    :param offset: where to start (optional, default 0)
    :param include_private: also list private and closed datasets you may see (optional)
    :param include_drafts: also list drafts you may see (optional)
    """
    limit = as_int(data, "limit", None, minimum=0)
    offset = as_int(data, "offset", 0) or 0
    include_private = as_bool(data, "include_private")
    include_drafts = as_bool(data, "include_drafts")
    # What a caller may list depends only on these and on who they are.
    key = ("package_list", limit, offset, include_private, include_drafts, visibility_key(ctx))

    def compute() -> list[str]:
        return list(
            repository.package_names(
                ctx.session,
                ctx.actor,
                limit=limit,
                offset=offset,
                include_private=include_private,
                include_drafts=include_drafts,
            )
        )

    return ctx.cached(key, compute)


@action(side_effect_free=True)
def current_package_list_with_resources(
    ctx: ActionContext, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return the most recently modified datasets you may see, with their resources.

    :param limit: how many datasets (optional, default 10, at most 1000)
    :param offset: where to start (optional); ``page`` (1-based) is accepted too
    """
    limit = as_int(data, "limit", 10, minimum=1, maximum=MAX_LIST) or 10
    offset = as_int(data, "offset", None)
    if offset is None:
        page = as_int(data, "page", 1, minimum=1) or 1
        offset = (page - 1) * limit
    rows = repository.recent_packages(ctx.session, ctx.actor, limit=limit, offset=offset)
    return _disclosed(ctx, [package_dict(p, site_url=ctx.unit.site_url) for p in rows])


@action(side_effect_free=True)
def package_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a dataset.

    :param id: the id or name of the dataset
    """
    # Shallow: disclosure only sets download counts and replaces resource lists.
    ref = required_str(data, "id")
    return _disclosed_one(
        ctx, service.show_package(ctx.unit, actor=ctx.actor, ref=ref, shallow=True)
    )


@action()
def package_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a dataset. Takes every field ``package_show`` returns; ``name`` and
    ``owner_org`` are required. ``region_code``, ``open_class``, ``update_frequency``,
    ``theme``, ``title_en``, ``notes_en``, ``temporal_start`` and ``temporal_end`` may be
    given as top-level keys or as ``extras``.
    """
    return _disclosed_one(ctx, service.create_package(ctx.unit, actor=ctx.actor, data=data))


@action()
def package_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update a dataset, replacing its fields (resources are kept when not given).

    :param id: the id or name of the dataset
    """
    return _disclosed_one(ctx, service.update_package(ctx.unit, actor=ctx.actor, data=data))


@action()
def package_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of a dataset.

    :param id: the id or name of the dataset
    """
    updated = service.update_package(ctx.unit, actor=ctx.actor, data=data, patch=True)
    return _disclosed_one(ctx, updated)


@action()
def package_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a dataset (it is kept with state ``deleted``).

    :param id: the id or name of the dataset
    """
    service.delete_package(ctx.unit, actor=ctx.actor, ref=required_str(data, "id"))


@action(side_effect_free=True)
def package_activity_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a dataset's activity stream, newest first.

    :param id: the id or name of the dataset
    :param limit: (optional, default 31, at most 100); :param offset: (optional)
    """
    package = service.get_readable_package(ctx.unit, actor=ctx.actor, ref=required_str(data, "id"))
    rows = activity.readable_for_object(
        ctx.session,
        package.id,
        ctx.actor,
        limit=as_int(data, "limit", 31, minimum=1, maximum=100) or 31,
        offset=as_int(data, "offset", 0) or 0,
    )
    return disclosure.activities_for(
        ctx.session,
        ctx.actor,
        ctx.unit.site_url,
        package,
        [activity.activity_dict(row, site_url=ctx.unit.site_url) for row in rows],
    )


def _json_or_string(value: Any) -> Any:
    """Form posts carry nested values as JSON text (CKAN's json_or_string)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _revise_dict(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = _json_or_string(data.get(key))
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationFailed.on(key, "Must be a JSON object")
    return value


def _patterns(data: dict[str, Any], key: str) -> list[str] | None:
    value = data.get(key)
    if isinstance(value, str) and not value.lstrip().startswith("["):
        return [part.strip() for part in value.split(",") if part.strip()]
    patterns = as_str_list(data, key)
    if patterns is not None and any(not p.strip("+-") for p in patterns):
        raise ValidationFailed.on(key, "Empty pattern")
    return patterns


@action()
def package_revise(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Revise a dataset selectively: check ``match``, remove ``filter``, apply ``update``.

    :param match: values the dataset must have now, with ``id`` or ``name`` to find it;
        any difference is a validation error (``{"match": ["notes"]}``)
    :param filter: patterns of fields to remove first, ``-field`` removes and
        ``+field`` keeps (the first pattern naming a field wins), ``*`` is every key,
        e.g. ``["+resources", "-*"]`` (a list, or comma-separated; optional)
    :param update: values to merge in after filtering (optional)
    :param include: patterns of the result to keep, e.g. ``["-*"]`` (optional)

    ``match__`` and ``update__`` keys give the same as flattened keys, a list item by its
    index (``-1`` is the last) or by the first 5 or more characters of its id:
    ``update__resources__-1__description``, ``update__resources__1f9ab={...}``;
    ``update__resources__extend=[{...}]`` appends resources.
    Returns ``{"package": the dataset as saved}``.
    """
    match = _revise_dict(data, "match") or {}
    update = _revise_dict(data, "update")
    match_keys: dict[str, Any] = {}
    update_keys: dict[str, Any] = {}
    for key, value in data.items():
        for prefix, into in (("match__", match_keys), ("update__", update_keys)):
            if isinstance(key, str) and key.startswith(prefix) and len(key) > len(prefix):
                into[key[len(prefix) :]] = _json_or_string(value)
    saved = service.revise_package(
        ctx.unit,
        actor=ctx.actor,
        match=match,
        match_keys=match_keys,
        filters=_patterns(data, "filter") or [],
        update=update,
        update_keys=update_keys,
    )
    result: dict[str, Any] = {"package": _disclosed_one(ctx, saved)}
    include = _patterns(data, "include")
    if include:
        revise.remove_matching(result, include)
    return result


@action()
def package_owner_org_update(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Move a dataset to another organization (its editors, when they may also create
    datasets in the new one; CKAN allows only sysadmins by default).

    :param id: the id or name of the dataset
    :param organization_id: the id or name of the new organization
    """
    service.change_owner_org(
        ctx.unit,
        actor=ctx.actor,
        ref=required_str(data, "id"),
        org_ref=required_str(data, "organization_id"),
    )
