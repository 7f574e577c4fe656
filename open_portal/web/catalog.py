"""Finding data: the front page, search, dataset pages, organisations, themes, regions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from datasets import policy
from datasets import resources as resource_service
from datasets.policy import Action
from delta.errors import NotAuthorized, NotFound
from open_portal.web import examples, highlight, labels
from open_portal.web.actions import Act, PageError, acting
from open_portal.web.search_params import FILTER_FIELDS, SearchParams
from search.errors import SearchQueryError
from standards import dcat_ap, rdf_formats, regions, schemaorg, themes
from standards.update_frequency import EXPECTED_INTERVAL, UpdateFrequency

router = APIRouter(include_in_schema=False)

POPULAR = 6
HISTORY = 50  # changes on the history page
DCAT_FORMATS = (rdf_formats.RDF_XML, rdf_formats.TURTLE, rdf_formats.JSON_LD)
RECENT = 6


@router.get("/")
def front_page(request: Request) -> Response:
    with acting(request) as act:
        overview = act.call(
            "package_search",
            {"rows": RECENT, "sort": "metadata_modified desc",
             "facet.field": '["theme", "province", "organization"]', "facet.limit": -1},
        )  # fmt: skip
        return act.render(
            "index.html",
            {
                "count": overview["count"],
                "recent": overview["results"],
                "popular": _popular(act),
                "themes": _theme_counts(overview["facets"].get("theme", {})),
                "provinces": [
                    (code, overview["facets"].get("province", {}).get(code, 0))
                    for code in regions.DELTA_PROVINCES
                ],
                "organizations": len(overview["facets"].get("organization", {})),
            },
        )


def _popular(act: Act) -> list[dict[str, Any]]:
    """The most downloaded datasets the visitor may see."""
    shown = []
    for package_id in resource_service.most_downloaded(act.session, limit=POPULAR * 3):
        try:
            shown.append(act.call("package_show", {"id": package_id}))
        except (NotFound, NotAuthorized):
            continue
        if len(shown) == POPULAR:
            break
    return shown


def _theme_counts(counts: dict[str, int]) -> list[tuple[themes.Theme, int]]:
    return [(theme, counts.get(theme.name, 0)) for theme in themes.THEMES]


# --- search --------------------------------------------------------------------------


@router.get("/dataset")
def search_page(request: Request) -> Response:
    return _search(request, template="search.html")


def _search(
    request: Request,
    *,
    template: str,
    fixed: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    params = SearchParams.from_query(request.query_params, fixed=fixed)
    with acting(request) as act:
        error = ""
        try:
            found = act.call("package_search", params.action_data())
        except SearchQueryError as exc:
            error = str(exc)
            found = {"count": 0, "results": [], "search_facets": {}}
        context = {
            "params": params,
            "found": found,
            "error": error,
            "facets": _facets(act, found.get("search_facets", {}), fixed or {}),
            "active": _active_filters(act, params, fixed or {}),
            "terms": highlight.terms_of(params.q),
            "pages": _pages(found["count"], params.page),
            **(extra or {}),
        }
        return act.render(template, context, status=400 if error else 200)


def _facet_label(act: Act, name: str, value: str, display: str, orgs: dict[str, str]) -> str:
    locale = act.visit.locale
    if name == "theme":
        return labels.theme_name(value, locale)
    if name in ("province", "city"):
        return labels.region_name(value, locale)
    if name == "organization":
        return orgs.get(value) or display
    if name == "open_class":
        return act.visit.gettext(labels.OPEN_CLASSES.get(value, value))
    if name == "update_frequency":
        return act.visit.gettext(labels.UPDATE_FREQUENCIES.get(value, value))
    return display


def _organization_titles(act: Act) -> dict[str, str]:
    if act.visit.locale != "en":
        return {}
    orgs = act.call("organization_list", {"all_fields": True, "limit": 1000})
    return {o["name"]: o.get("title_en") or o["display_name"] for o in orgs}


def _facets(act: Act, search_facets: dict[str, Any], fixed: dict[str, str]) -> list[dict[str, Any]]:
    orgs = _organization_titles(act) if "organization" in search_facets else {}
    shown = []
    for name in FILTER_FIELDS:
        if name in fixed:
            continue
        items = search_facets.get(name, {}).get("items", [])
        if name == "city":  # municipalities are their own city: the province says it already
            items = [i for i in items if regions.level_of(i["name"]) == "city"]
        shown.append(
            {
                "name": name,
                "title": labels.FACETS[name],
                "items": [
                    {**item, "label": _facet_label(act, name, item["name"],
                                                   item["display_name"], orgs)}
                    for item in items[:12]
                ],
            }
        )  # fmt: skip
    return [facet for facet in shown if facet["items"]]


def _active_filters(act: Act, params: SearchParams, fixed: dict[str, str]) -> list[dict[str, str]]:
    orgs = _organization_titles(act) if "organization" in params.filters else {}
    return [
        {
            "field": act.visit.gettext(labels.FACETS[name]),
            "label": _facet_label(act, name, value, value, orgs),
            "remove": params.removing(name, value),
        }
        for name, values in params.filters.items()
        if name not in fixed
        for value in values
    ]


def _pages(count: int, page: int, rows: int = 20) -> dict[str, Any]:
    last = max(1, min((count + rows - 1) // rows, 500))
    window = [p for p in range(page - 2, page + 3) if 1 <= p <= last]
    return {"current": page, "last": last, "window": window}


# --- a dataset -----------------------------------------------------------------------


@router.get("/dataset/{name}")
def dataset_page(name: str, request: Request) -> Response:
    with acting(request) as act:
        # One package_show; access, JSON-LD and examples all come from its dict. The
        # change history is its own page: package_activity_list took twice as long as
        # package_show and kept this page at 2.4 times the API's time.
        package = act.call("package_show", {"id": name})
        dataset = policy.Dataset.from_dict(package)
        return act.render(
            "dataset.html",
            {
                "package": package,
                "has_data": policy.can(act.actor, Action.READ_DATA, dataset),
                "can_edit": policy.can(act.actor, Action.UPDATE, dataset),
                "applications": _own_applications(act, package),
                "timeliness": timeliness(package),
                "examples": examples.for_package(act.ctx.unit.site_url, package),
                "theme_slug": labels.theme_slug(package.get("theme")),
                "province": regions.province_of(package["region_code"])
                if package.get("region_code")
                else None,
                **_linked_data(act.ctx.unit.site_url, package),
            },
        )


@router.get("/dataset/{name}/history")
def history_page(name: str, request: Request) -> Response:
    with acting(request) as act:
        package = act.call("package_show", {"id": name})
        history = act.call("package_activity_list", {"id": package["id"], "limit": HISTORY})
        return act.render("history.html", {"package": package, "history": history})


def _linked_data(site_url: str, package: dict[str, Any]) -> dict[str, Any]:
    """schema.org JSON-LD for the page and its DCAT-AP documents, for datasets the
    catalogue publishes (the DCAT endpoints answer 404 for the others)."""
    if not dcat_ap.is_publishable(package):
        return {"jsonld": "", "dcat": []}
    document = schemaorg.dataset_jsonld(package, site_url=site_url)
    return {
        # script_json escapes <, > and &: the text cannot end the script element.
        "jsonld": Markup(schemaorg.script_json(document)),  # noqa: S704
        "dcat": [(f"/dataset/{package['id']}.{f.extension}", f.media_type) for f in DCAT_FORMATS],
    }


def _own_applications(act: Act, package: dict[str, Any]) -> list[dict[str, Any]]:
    if act.user is None or package.get("open_class") != "conditional":
        return []
    listed = act.call("data_application_list", {"package_id": package["id"]})
    return [a for a in listed if a["applicant_id"] == act.user.id]


def timeliness(package: dict[str, Any], now: datetime | None = None) -> str:
    """``on-time``, ``overdue`` or ``""`` (no fixed frequency): the last update against
    the declared update frequency."""
    try:
        frequency = UpdateFrequency(package.get("update_frequency") or "")
    except ValueError:
        return ""
    allowed = EXPECTED_INTERVAL.get(frequency)
    modified = package.get("metadata_modified")
    if allowed is None or not modified:
        return ""
    age = (now or datetime.now()) - datetime.fromisoformat(modified)
    return "on-time" if age <= allowed else "overdue"


# --- organisations, themes, regions --------------------------------------------------


@router.get("/organization")
def organizations_page(request: Request) -> Response:
    with acting(request) as act:
        orgs = act.call("organization_list", {"all_fields": True, "limit": 1000})
        return act.render("organizations.html", {"organizations": orgs})


@router.get("/organization/{name}")
def organization_page(name: str, request: Request) -> Response:
    with acting(request) as act:
        org = act.call("organization_show", {"id": name, "include_users": False})
    return _search(
        request, template="organization.html", fixed={"organization": org["name"]},
        extra={"organization": org},
    )  # fmt: skip


@router.get("/theme")
def themes_page(request: Request) -> Response:
    with acting(request) as act:
        found = act.call(
            "package_search", {"rows": 0, "facet.field": '["theme"]', "facet.limit": -1}
        )
        return act.render(
            "themes.html", {"themes": _theme_counts(found["facets"].get("theme", {}))}
        )


@router.get("/theme/{slug}")
def theme_page(slug: str, request: Request) -> Response:
    theme = themes.BY_SLUG.get(slug)
    if theme is None:
        raise PageError(404, "No such theme")
    return _search(
        request, template="theme.html", fixed={"theme": theme.name}, extra={"theme": theme}
    )


@router.get("/region/{code}")
def region_page(code: str, request: Request) -> Response:
    if not regions.is_delta_region(code) or not regions.is_known(code):
        raise PageError(404, "No such region")
    level = regions.level_of(code)
    # A province or city with everything inside it; a district by the CKAN field itself.
    field = {"province": "province", "city": "city"}.get(level, "region_code")
    return _search(
        request, template="region.html", fixed={field: code},
        extra={"region": regions.get(code), "children": _children(code)},
    )  # fmt: skip


def _children(code: str) -> list[regions.Region]:
    level = regions.level_of(code)
    return [
        region
        for region in regions.gazetteer().values()
        if region.code != code
        and regions.contains(code, region.code)
        and (level == "city" or regions.level_of(region.code) != "district"
             or regions.province_of(code) in regions.MUNICIPALITIES)
    ]  # fmt: skip
