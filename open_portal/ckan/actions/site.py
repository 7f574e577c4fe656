"""Site-level actions: site_read, status_show, help_show, license_list, tag_list."""

from __future__ import annotations

from typing import Any

from datasets import repository
from delta import __version__
from delta.errors import NotFound
from open_portal.ckan import registry
from open_portal.ckan.params import as_bool, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action
from standards import licences

# The CKAN release whose Action API we implement; clients gate features on it.
CKAN_API_VERSION = "2.10.4"


@action(side_effect_free=True)
def site_read(ctx: ActionContext, data: dict[str, Any]) -> bool:
    """Return ``True``: the site may be read."""
    return True


@action(side_effect_free=True)
def status_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return the site's name, URL, CKAN API version and extensions."""
    health = ctx.portal.search.health()
    return {
        "site_title": "长三角公共数据开放平台 Delta Open Data Portal",
        "site_description": "Open government data of Shanghai, Jiangsu, Zhejiang and Anhui",
        "site_url": ctx.portal.settings.site_url,
        "ckan_version": CKAN_API_VERSION,
        "delta_version": __version__,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN",
        "extensions": ["delta-datastore", "delta-dcat", "delta-harvest", "delta-search"],
        "search_backend": health.backend,
        "search_ok": health.ok,
    }


@action(side_effect_free=True)
def help_show(ctx: ActionContext, data: dict[str, Any]) -> str:
    """Return the help string of an action.

    :param name: the name of the action, e.g. ``package_create``
    """
    name = required_str(data, "name")
    spec = registry.get(name)
    if spec is None:
        raise NotFound(f"Action function not found: {name}")
    return spec.doc


@action(side_effect_free=True)
def license_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the licences datasets may use."""
    return [licence.as_ckan_dict() for licence in licences.LICENCES]


@action(side_effect_free=True)
def tag_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Return the tags of public datasets.

    :param query: only tags containing this string (optional)
    :param all_fields: return dicts instead of names (optional, default False)
    """
    query = optional_str(data, "query", max_len=100) or optional_str(data, "q", max_len=100)
    names = repository.public_tags(ctx.session, query=query)
    if as_bool(data, "all_fields"):
        return [{"name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return list(names)
