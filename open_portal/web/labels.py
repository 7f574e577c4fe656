"""Display names of code-list values, in the catalogue's msgids (English).

Marked with ``N_`` so Babel extracts them; templates translate them at render time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from standards import regions, themes


def N_(message: str) -> str:
    return message


OPEN_CLASSES = {
    "unconditional": N_("Open to everyone"),
    "conditional": N_("Open on application"),
    "closed": N_("Not open"),
}
UPDATE_FREQUENCIES = {
    "realtime": N_("Real time"),
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
    "monthly": N_("Monthly"),
    "quarterly": N_("Quarterly"),
    "yearly": N_("Yearly"),
    "irregular": N_("Irregular"),
}
APPLICATION_STATES = {
    "pending": N_("Pending review"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
}
VALIDATION_STATES = {
    "pending": N_("Validation pending"),
    "success": N_("Valid"),
    "failure": N_("Has errors"),
    "error": N_("Could not be validated"),
}
ACTIVITIES = {
    "new package": N_("Dataset created"),
    "changed package": N_("Dataset changed"),
    "deleted package": N_("Dataset deleted"),
}
CHARTS = {"line": N_("Line chart"), "bar": N_("Bar chart"), "map": N_("Map")}
AGGREGATES = {"count": N_("Number of rows"), "sum": N_("Sum"), "avg": N_("Average")}
FACETS = {
    "theme": N_("Theme"),
    "province": N_("Province"),
    "city": N_("City"),
    "organization": N_("Organisation"),
    "res_format": N_("Format"),
    "open_class": N_("Open class"),
    "update_frequency": N_("Update frequency"),
    "tags": N_("Tags"),
}
SORTS = {
    "score desc, metadata_modified desc": N_("Relevance"),
    "metadata_modified desc": N_("Last updated"),
    "metadata_created desc": N_("Newest"),
    "title_string asc": N_("Title"),
}


def preview_query(table: dict[str, Any], **changes: str) -> str:
    """The preview's query string (filter, sort, page) with ``changes``."""
    state = {key: table.get(key, "") for key in ("q", "column", "value", "sort")} | changes
    return urlencode([(k, v) for k, v in state.items() if v])


def region_name(code: str | None, locale: str) -> str:
    if not code:
        return ""
    region = regions.get(code)
    if region is None:
        return code
    return region.name_en if locale == "en" else region.name


def theme_name(name: str | None, locale: str) -> str:
    theme = themes.BY_NAME.get(name or "")
    if theme is None:
        return name or ""
    return theme.name_en if locale == "en" else theme.name


def theme_slug(name: str | None) -> str | None:
    theme = themes.BY_NAME.get(name or "")
    return theme.slug if theme else None


def localized(item: dict, key: str, locale: str) -> str:
    """``title``/``notes`` of a dict in the reader's language (``title_en`` in English)."""
    if locale == "en" and item.get(f"{key}_en"):
        return str(item[f"{key}_en"])
    return str(item.get(key) or "")
