"""``package_search``: CKAN parameters in, the search backend's answer in CKAN's shape out."""

from __future__ import annotations

import json
from typing import Any

from datasets import policy, repository
from datasets.dictization import with_site_url
from delta.errors import ValidationFailed
from open_portal.applications import disclosure
from open_portal.ckan.params import as_bool, as_str_list
from open_portal.ckan.registry import ActionContext, action
from search.errors import SearchQueryError
from search.fields import FACET_FIELDS
from search.limits import DEFAULT_LIMITS as LIMITS
from search.protocol import SearchQuery
from standards import regions

DEFAULT_SORT = "score desc, metadata_modified desc"
# What each limit means to the caller, said with it.
_LIMIT_HINTS = {
    "rows": "the most one page holds; page through the rest with start",
    "start": "deeper paging is not served; narrow the search with q or fq",
}


def _int(data: dict[str, Any], key: str, default: int, *, minimum: int, maximum: int) -> int:
    """Paging and facet numbers: a bad value is a bad query (CKAN's Search Query Error)
    whose message names the limit."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    not_whole = SearchQueryError(f"{key} must be a whole number, not {str(value)[:40]!r}")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise not_whole
    try:
        number = int(value)
    except ValueError:
        raise not_whole from None
    if number < minimum:
        raise SearchQueryError(f"{key} must be at least {minimum}")
    if number > maximum:
        hint = _LIMIT_HINTS.get(key)
        raise SearchQueryError(f"{key} must be at most {maximum}" + (f" ({hint})" if hint else ""))
    return number


def _text(data: dict[str, Any], key: str, *, limit: int) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SearchQueryError(f"{key} must be a string")
    if len(value) > limit:
        raise SearchQueryError(f"{key} is longer than {limit} characters")
    return value


def _facet_fields(data: dict[str, Any]) -> list[str]:
    raw = data.get("facet.field")
    if raw is None:
        return []
    try:
        fields = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SearchQueryError("facet.field must be a JSON list of field names") from None
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise SearchQueryError("facet.field must be a JSON list of field names")
    unknown = [f for f in fields if f not in FACET_FIELDS]
    if unknown:
        raise SearchQueryError(f"cannot facet on {', '.join(unknown)[:200]}")
    return fields


def _filters(data: dict[str, Any], limit: int) -> list[str]:
    filters = [fq] if (fq := _text(data, "fq", limit=limit)).strip() else []
    try:
        extra = as_str_list(data, "fq_list") or []
    except ValidationFailed:
        raise SearchQueryError("fq_list must be a list of filter strings") from None
    if sum(len(f) for f in extra) > limit:
        raise SearchQueryError(f"fq_list is longer than {limit} characters")
    return filters + [f for f in extra if f.strip()]


def build_query(ctx: ActionContext, data: dict[str, Any]) -> SearchQuery:
    settings = ctx.portal.settings
    limit = settings.max_query_chars
    try:
        include_private = as_bool(data, "include_private")
        include_drafts = as_bool(data, "include_drafts")
        include_deleted = as_bool(data, "include_deleted")
        want_facets = as_bool(data, "facet", True)
    except ValidationFailed as exc:
        raise SearchQueryError(str(next(iter(exc.errors.values())))) from None
    sort = _text(data, "sort", limit=200).strip() or DEFAULT_SORT
    return SearchQuery(
        q=_text(data, "q", limit=limit),
        fq=_filters(data, limit),
        facet_fields=_facet_fields(data) if want_facets else [],
        facet_limit=_int(data, "facet.limit", 50, minimum=-1, maximum=10_000),
        facet_mincount=_int(data, "facet.mincount", 1, minimum=0, maximum=1_000_000),
        rows=_int(data, "rows", 10, minimum=0, maximum=min(settings.max_rows, LIMITS.max_rows)),
        start=_int(data, "start", 0, minimum=0, maximum=LIMITS.max_start),
        sort=sort,
        permission_labels=policy.search_labels(ctx.actor),
        include_private=include_private,
        include_drafts=include_drafts,
        include_deleted=include_deleted
        and policy.can(ctx.actor, policy.Action.LIST_DELETED, policy.SITE),
    )


@action(side_effect_free=True)
def package_search(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Search datasets (CKAN/Solr syntax).

    :param q: the query (optional), e.g. ``空气质量``, ``tags:公共交通``,
        ``title:"停车场" AND region_code:310000`` (a province or city code includes
        the regions inside it; ``province:320000`` too)
    :param fq: a filter query (optional); ``fq_list`` a list of them
    :param facet.field: a JSON list of fields to facet on (optional)
    :param facet.limit: values per facet (default 50, -1 for all)
    :param facet.mincount: least count a facet value needs (default 1)
    :param rows: results per page (default 10, at most 1000)
    :param start: offset of the first result (default 0)
    :param sort: (optional) e.g. ``score desc, metadata_modified desc``, ``name asc``
    :param include_private: include private datasets you may see (default False)
    :param include_drafts: include drafts you may see (default False)
    """
    query = build_query(ctx, data)
    found = ctx.portal.search.search(query)
    # The index holds the public, site-relative form of each dict: make its links
    # absolute for this server, then reveal and count for this caller.
    site_url = ctx.unit.site_url
    results = disclosure.packages_for(
        ctx.session, ctx.actor, site_url, [with_site_url(p, site_url) for p in found.results]
    )
    return {
        "count": found.count,
        "results": results,
        "sort": query.sort,
        "facets": found.facets,
        "search_facets": _search_facets(ctx, found.facets),
    }


def _search_facets(ctx: ActionContext, facets: dict[str, dict[str, int]]) -> dict[str, Any]:
    titles = _display_names(ctx, facets)
    return {
        field: {
            "title": field,
            "items": [
                {"name": value, "display_name": titles.get((field, value), value), "count": count}
                for value, count in counts.items()
            ],
        }
        for field, counts in facets.items()
    }


def _display_names(
    ctx: ActionContext, facets: dict[str, dict[str, int]]
) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for field, organization in (("organization", True), ("groups", False)):
        if values := facets.get(field):
            found = _group_titles(ctx, frozenset(values), organization=organization)
            names.update(((field, name), title) for name, title in found.items())
    for field in ("region_code", "province"):
        for code in facets.get(field, {}):
            names[(field, code)] = regions.name_of(code)
    return names


def _group_titles(
    ctx: ActionContext, names: frozenset[str], *, organization: bool
) -> dict[str, str]:
    """Titles are public and the same for every caller: kept per catalog revision."""
    return ctx.cached(
        ("group_titles", organization, names),
        lambda: repository.group_titles(ctx.session, names, organization=organization),
    )
