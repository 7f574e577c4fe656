"""CKAN package dicts as schema.org ``Dataset`` JSON-LD, for dataset search engines.

The same package dict as :mod:`standards.dcat_ap` takes, mapped to what
Google's Dataset Search requires (``name``, ``description`` of 50 to 5,000
characters) and recommends (``url``, ``identifier``, ``sameAs``,
``keywords``, ``license``, ``creator``/``publisher``, ``spatialCoverage``,
``temporalCoverage``, ``variableMeasured``, ``version``,
``isAccessibleForFree``, ``includedInDataCatalog``, ``distribution``, dates).

Conditional datasets get ``conditionsOfAccess`` and no ``distribution``: a
``DataDownload`` needs a ``contentUrl``, and their data is only reached
through an approved application. Closed datasets are refused.

Embed the result in a page as ``<script type="application/ld+json">`` with
:func:`script_json` (which escapes ``</`` so the text cannot end the script).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from standards import licences, media_types, regions, themes
from standards.dcat_ap import (
    NotPublishable,
    dataset_uri,
    is_publishable,
    landing_page,
    value,
)
from standards.open_classes import OpenClass
from standards.update_frequency import LABELS_ZH, UpdateFrequency

DESCRIPTION_MIN, DESCRIPTION_MAX = 50, 5000
CATALOG_NAME = "长三角公共数据开放平台 Delta Open Data Portal"
CONDITIONS_OF_ACCESS = (
    "有条件开放：元数据公开，数据经平台提交数据使用申请并获批准后获取。"
    " Conditionally open: the data is available after an approved data-use application."
)


def dataset_jsonld(
    package: Mapping[str, Any], *, site_url: str, catalog_name: str = CATALOG_NAME
) -> dict[str, Any]:
    """The schema.org ``Dataset`` of ``package`` (a JSON-serialisable dict)."""
    if not is_publishable(package):
        raise NotPublishable(f"dataset {package.get('name')!r} is not public")
    base = site_url.rstrip("/")
    page = str(landing_page(base, package))
    open_class = value(package, "open_class") or OpenClass.UNCONDITIONAL.value
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(dataset_uri(base, package)),
        "name": package.get("title") or package["name"],
        "description": _description(package),
        "url": page,
        "identifier": package.get("id") or package["name"],
        "inLanguage": ["zh"] + (["en"] if value(package, "title_en") else []),
        "isAccessibleForFree": True,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": catalog_name, "url": base + "/"},
    }
    out.update(_described(package, base))
    out.update(_covered(package))
    harvest = package.get("harvest")
    if isinstance(harvest, Mapping) and harvest.get("original_uri"):
        out["sameAs"] = harvest["original_uri"]
        out["isBasedOn"] = harvest["original_uri"]
    if open_class == OpenClass.CONDITIONAL:
        out["conditionsOfAccess"] = CONDITIONS_OF_ACCESS
    else:
        downloads = _downloads(package.get("resources") or ())
        if downloads:
            out["distribution"] = downloads
    return out


def script_json(document: Mapping[str, Any]) -> str:
    """JSON for an inline ``<script type="application/ld+json">``: ``<``, ``>`` and ``&``
    escaped, so no value can close the script element or open a comment."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _described(package: Mapping[str, Any], base: str) -> dict[str, Any]:
    """Who published it, under which licence, when, with which words."""
    out: dict[str, Any] = {}
    if value(package, "title_en"):
        out["alternateName"] = value(package, "title_en")
    keywords = _keywords(package)
    if keywords:
        out["keywords"] = keywords
    licence = _licence(base, package.get("license_id"))
    if licence:
        out["license"] = licence
    organization = _organization(base, package.get("organization"))
    if organization:
        out["creator"] = organization
        out["publisher"] = organization
    for key, prop in (("metadata_created", "datePublished"), ("metadata_modified", "dateModified")):
        if isinstance(package.get(key), str) and package[key]:
            out[prop] = package[key]
    if package.get("version"):
        out["version"] = str(package["version"])
    return out


def _covered(package: Mapping[str, Any]) -> dict[str, Any]:
    """Where and when the data is about, and what it measures."""
    out: dict[str, Any] = {}
    place = _place(value(package, "region_code"))
    if place:
        out["spatialCoverage"] = place
    temporal = _temporal(value(package, "temporal_start"), value(package, "temporal_end"))
    if temporal:
        out["temporalCoverage"] = temporal
    variables = _variables(package.get("resources") or ())
    if variables:
        out["variableMeasured"] = variables
    return out


def _description(package: Mapping[str, Any]) -> str:
    parts = [str(text).strip() for text in (package.get("notes"), value(package, "notes_en"))]
    text = "\n\n".join(part for part in parts if part)
    if len(text) < DESCRIPTION_MIN:
        # Too short for search engines: add what the metadata itself says, nothing invented.
        text = "\n\n".join(part for part in (text, _summary(package)) if part)
    if len(text) > DESCRIPTION_MAX:
        text = text[: DESCRIPTION_MAX - 1] + "…"
    return text


def _summary(package: Mapping[str, Any]) -> str:
    facts = [f"数据集：{package.get('title') or package['name']}"]
    org = package.get("organization")
    if isinstance(org, Mapping) and org.get("title"):
        facts.append(f"发布机构：{org['title']}")
    if value(package, "theme"):
        facts.append(f"主题：{value(package, 'theme')}")
    code = value(package, "region_code")
    if code:
        facts.append(f"覆盖地区：{regions.name_of(str(code))}")
    with contextlib.suppress(ValueError):
        facts.append(f"更新频率：{LABELS_ZH[UpdateFrequency(value(package, 'update_frequency'))]}")
    facts.append(f"由{CATALOG_NAME}开放")
    return "；".join(facts) + "。"


def _keywords(package: Mapping[str, Any]) -> list[str]:
    words = [
        tag.get("name") if isinstance(tag, Mapping) else tag for tag in package.get("tags") or ()
    ]
    theme = themes.BY_NAME.get(value(package, "theme") or "")
    if theme is not None:
        words += [theme.name, theme.name_en]
    return list(dict.fromkeys(str(word) for word in words if word))


def _licence(base: str, licence_id: Any) -> str | None:
    if not licence_id or not isinstance(licence_id, str):
        return None
    licence = licences.get(licence_id)
    return licence.url if licence and licence.url else f"{base}/licence/{licence_id}"


def _organization(base: str, org: Any) -> dict[str, Any] | None:
    if not isinstance(org, Mapping) or not (org.get("title") or org.get("name")):
        return None
    out: dict[str, Any] = {
        "@type": "GovernmentOrganization",
        "@id": f"{base}/organization/{org.get('id') or org['name']}",
        "name": org.get("title") or org["name"],
        "url": f"{base}/organization/{org['name']}",
    }
    if org.get("title_en"):
        out["alternateName"] = org["title_en"]
    if org.get("uscc"):
        out["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "统一社会信用代码 (GB 32100)",
            "value": org["uscc"],
        }
    return out


def _place(code: Any) -> dict[str, Any] | None:
    if not code or not regions.is_well_formed(str(code)):
        return None
    region = regions.get(str(code))
    place: dict[str, Any] = {
        "@type": "AdministrativeArea",
        "name": region.name if region else str(code),
        "identifier": {"@type": "PropertyValue", "propertyID": "GB/T 2260", "value": str(code)},
    }
    if regions.level_of(str(code)) != "province":
        province = regions.province_of(str(code))
        place["containedInPlace"] = {
            "@type": "AdministrativeArea",
            "name": regions.name_of(province),
        }
    return place


def _temporal(start: Any, end: Any) -> str | None:
    """An ISO 8601 interval; ``..`` stands for an open end."""
    if not start and not end:
        return None
    if start and end:
        return f"{start}/{end}"
    return f"{start}/.." if start else f"../{end}"


def _variables(resources: Any) -> list[dict[str, Any]]:
    """The columns of the resources' Table Schemas."""
    seen: dict[str, dict[str, Any]] = {}
    for resource in resources:
        schema = resource.get("schema") if isinstance(resource, Mapping) else None
        if not isinstance(schema, Mapping):
            continue
        for column in schema.get("fields") or ():
            if not isinstance(column, Mapping) or not column.get("name"):
                continue
            variable: dict[str, Any] = {"@type": "PropertyValue", "name": str(column["name"])}
            if column.get("title") or column.get("description"):
                variable["description"] = str(column.get("title") or column.get("description"))
            seen.setdefault(str(column["name"]), variable)
    return list(seen.values())


def _downloads(resources: Any) -> list[dict[str, Any]]:
    out = []
    for resource in resources:
        if not isinstance(resource, Mapping):
            continue
        url = resource.get("url")
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            continue
        if str(resource.get("format") or "").strip().upper() == "API":
            continue
        download: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        media = media_types.media_type(resource.get("mimetype"), resource.get("format"))
        download["encodingFormat"] = media or str(resource.get("format") or "")
        if resource.get("name"):
            download["name"] = str(resource["name"])
        if isinstance(resource.get("size"), int):
            download["contentSize"] = f"{resource['size']} B"
        out.append(download)
    return out
