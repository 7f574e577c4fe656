"""The Delta catalog's first-class dataset fields.

They are columns and top-level keys of the CKAN dict; harvested CKAN records
and older clients carry them in ``extras``, so those are accepted too (a
top-level value wins over an extra of the same key).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from datasets.models import Package
from datasets.schemas import PackageIn
from delta.errors import ErrorDict
from standards import open_classes, regions, themes, update_frequency

FIRST_CLASS = (
    "region_code",
    "open_class",
    "update_frequency",
    "theme",
    "title_en",
    "notes_en",
    "temporal_start",
    "temporal_end",
)

# Keys that may not be used as extras because the schema already has them.
CORE_KEYS = frozenset(
    {
        "id", "name", "title", "notes", "author", "author_email", "maintainer",
        "maintainer_email", "license_id", "url", "version", "state", "type", "owner_org",
        "private", "tags", "groups", "resources", "extras", "metadata_created",
        "metadata_modified", "creator_user_id", "organization",
    }
) | frozenset(FIRST_CLASS)  # fmt: skip

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?([T ][\d:.]+Z?)?$")


def lift_first_class(data: dict[str, Any], keys: tuple[str, ...] = FIRST_CLASS) -> dict[str, Any]:
    """A copy of ``data`` with first-class ``keys`` moved out of ``extras``."""
    extras = data.get("extras")
    if not isinstance(extras, list):
        return data
    lifted = dict(data)
    kept = []
    for extra in extras:
        key = extra.get("key") if isinstance(extra, dict) else None
        if key in keys:
            if lifted.get(key) in (None, ""):
                lifted[key] = extra.get("value")
            continue
        kept.append(extra)
    lifted["extras"] = kept
    return lifted


def apply_first_class(package: Package, spec: PackageIn, errors: ErrorDict) -> None:
    package.region_code = _region(spec.region_code, errors)
    package.open_class = _open_class(spec.open_class, errors)
    package.update_frequency = _frequency(spec.update_frequency, errors)
    package.theme = _theme(spec.theme, errors)
    package.temporal_start = _temporal(spec.temporal_start, "temporal_start", errors)
    package.temporal_end = _temporal(spec.temporal_end, "temporal_end", errors)
    start, end = package.temporal_start, package.temporal_end
    if start and end and start > end and "temporal_end" not in errors:
        errors["temporal_end"] = ["The end of the temporal coverage is before its start"]


def _region(value: str | None, errors: ErrorDict) -> str | None:
    if not value:
        return None
    if not regions.is_well_formed(value):
        errors["region_code"] = ["Must be a six-digit GB/T 2260 administrative division code"]
        return None
    return value


def _open_class(value: str | None, errors: ErrorDict) -> str:
    if not value:
        return open_classes.OpenClass.UNCONDITIONAL.value
    try:
        return open_classes.parse(value).value
    except ValueError:
        allowed = ", ".join(c.value for c in open_classes.OpenClass)
        errors["open_class"] = [f"Value must be one of: {allowed}"]
        return open_classes.OpenClass.UNCONDITIONAL.value


def _frequency(value: str | None, errors: ErrorDict) -> str | None:
    if not value:
        return None
    try:
        return update_frequency.parse(value).value
    except ValueError:
        allowed = ", ".join(f.value for f in update_frequency.UpdateFrequency)
        errors["update_frequency"] = [f"Value must be one of: {allowed}"]
        return None


def _theme(value: str | None, errors: ErrorDict) -> str | None:
    if not value:
        return None
    if value in themes.BY_SLUG:
        return themes.BY_SLUG[value].name
    if not themes.is_theme(value):
        errors["theme"] = ["Value must be one of: " + ", ".join(t.name for t in themes.THEMES)]
        return None
    return value


def _temporal(value: str | None, field: str, errors: ErrorDict) -> str | None:
    if not value:
        return None
    value = value.strip()
    if not _DATE.match(value) or not _parses(value):
        errors[field] = ["Must be an ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time)"]
        return None
    return value


def _parses(value: str) -> bool:
    try:
        if len(value) == 4:
            return int(value) >= 1
        if len(value) == 7:
            date.fromisoformat(value + "-01")
        elif len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
