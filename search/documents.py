"""From a CKAN package dict to what a backend stores: analysed text streams,
keyword values for filters and facets, sort keys and visibility.

Both backends index exactly this, so they search the same tokens.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from search.analysis import Analyzer, normalize
from search.datemath import canonical_timestamp
from search.errors import SearchBackendError
from search.fields import TEXT_STREAMS
from search.protocol import PUBLIC_LABEL, IndexDoc, PackageDict
from standards import regions

# Keys CKAN extensions often keep in `extras` while our schema has them first-class.
FIRST_CLASS_EXTRAS = (
    "region_code",
    "open_class",
    "update_frequency",
    "theme",
    "title_en",
    "notes_en",
)


@dataclass(frozen=True)
class IndexedDocument:
    id: str
    name: str
    state: str
    private: bool
    open_class: str
    labels: tuple[str, ...]
    region_code: str
    modified: str
    created: str
    title_sort: str
    words: dict[str, str]  # stream -> space-separated word tokens
    grams: dict[str, str]  # stream -> space-separated gram tokens
    keywords: tuple[tuple[str, str, str], ...]  # (field, value as given, normalised value)
    package: PackageDict
    quality: int | None = None  # metadata_quality.score, a sort key


def keyword_norm(value: str) -> str:
    """How keyword values compare: NFKC, simplified, case-folded, trimmed."""
    return normalize(value.strip())


def build_document(doc: IndexDoc, analyzer: Analyzer) -> IndexedDocument:
    package = doc.package
    package_id = _text(package.get("id"))
    if not package_id:
        raise SearchBackendError("cannot index a package without an id")
    private = bool(package.get("private"))
    open_class = _first_class(package, "open_class")
    state = _text(package.get("state")) or "active"
    texts = stream_texts(package)
    return IndexedDocument(
        id=package_id,
        name=_text(package.get("name")),
        state=state,
        private=private,
        open_class=open_class,
        labels=effective_labels(
            doc.permission_labels, private=private, open_class=open_class, state=state
        ),
        region_code=_first_class(package, "region_code"),
        modified=canonical_timestamp(package.get("metadata_modified")),
        created=canonical_timestamp(package.get("metadata_created")),
        title_sort=normalize(_text(package.get("title")) or _text(package.get("name"))),
        words={s: _join(analyzer.words(t) for t in texts[s]) for s in TEXT_STREAMS},
        grams={s: _join(analyzer.grams(t) for t in texts[s]) for s in TEXT_STREAMS},
        keywords=tuple(_keywords(package, private)),
        package=package,
        quality=_quality(package),
    )


def _quality(package: PackageDict) -> int | None:
    found = package.get("metadata_quality")
    score = found.get("score") if isinstance(found, dict) else None
    return score if isinstance(score, int) and not isinstance(score, bool) else None


def effective_labels(
    labels: Iterable[str], *, private: bool, open_class: str, state: str
) -> tuple[str, ...]:
    """The labels we store. Defence in depth, as CKAN labels datasets: only an
    active, non-private dataset that is not closed (非开放) may be public,
    whatever the caller passed."""
    unique = dict.fromkeys(str(label) for label in labels)
    if private or open_class == "closed" or state != "active":
        unique.pop(PUBLIC_LABEL, None)
    return tuple(unique)


def stream_texts(package: PackageDict) -> dict[str, list[str]]:
    organization = package.get("organization") or {}
    resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
    return {
        "title": [_text(package.get("title")) or _text(package.get("name"))],
        "title_en": [_first_class(package, "title_en")],
        "notes": [_text(package.get("notes"))],
        "notes_en": [_first_class(package, "notes_en")],
        "tags": _names(package.get("tags"), "name", "display_name"),
        "organization": [_text(organization.get("title"))]
        if isinstance(organization, dict)
        else [],
        "groups": _names(package.get("groups"), "title", "display_name"),
        "res_name": [_text(r.get("name")) for r in resources],
        "res_description": [_text(r.get("description")) for r in resources],
        "author": [_text(package.get("author"))],
        "maintainer": [_text(package.get("maintainer"))],
    }


def _keywords(package: PackageDict, private: bool) -> list[tuple[str, str, str]]:
    organization = package.get("organization") or {}
    values: list[tuple[str, str]] = [
        ("id", _text(package.get("id"))),
        ("name", _text(package.get("name"))),
        ("state", _text(package.get("state")) or "active"),
        ("private", "true" if private else "false"),
        ("license_id", _text(package.get("license_id"))),
        ("organization", _text(organization.get("name")) if isinstance(organization, dict) else ""),
    ]
    values += [("tags", name) for name in _names(package.get("tags"), "name")]
    values += [("groups", name) for name in _names(package.get("groups"), "name")]
    values += [
        ("res_format", _text(r.get("format")))
        for r in package.get("resources") or []
        if isinstance(r, dict)
    ]
    values += [
        (key, _first_class(package, key)) for key in ("open_class", "theme", "update_frequency")
    ]
    # A dataset of Xuhui (310104) counts under Shanghai (310000) too; see search.fields.
    values += _region_levels(_first_class(package, "region_code"))
    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for field_name, value in values:
        if value:
            seen.setdefault((field_name, value), (field_name, value, keyword_norm(value)))
    return list(seen.values())


def _region_levels(code: str) -> list[tuple[str, str]]:
    """The area and every region containing it (region_code), its province and its city
    (GB/T 2260), so filters and facets count an area under all of them."""
    if not code:
        return []
    levels = [("region_code", enclosing) for enclosing in regions.enclosing(code)]
    if regions.is_well_formed(code):
        levels += [("province", regions.province_of(code)), ("city", regions.city_of(code))]
    return levels


def _first_class(package: PackageDict, key: str) -> str:
    value = package.get(key)
    if value in (None, ""):
        for extra in package.get("extras") or []:
            if isinstance(extra, dict) and extra.get("key") == key:
                value = extra.get("value")
                break
    return _text(value)


def _names(items: Any, *keys: str) -> list[str]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            for key in keys:
                if item.get(key):
                    out.append(_text(item[key]))
                    break
        elif isinstance(item, str):
            out.append(item)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    # Control characters would only confuse the tokenisers.
    text = str(value)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\n\t")


def _join(parts: Iterable[list[str]]) -> str:
    return " ".join(token for part in parts for token in part)
