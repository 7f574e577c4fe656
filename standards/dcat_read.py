"""DCAT(-AP) RDF read back into CKAN-shaped dataset dicts, for harvesting DCAT sources.

The inverse of :mod:`standards.dcat_ap` where our own vocabularies are used
(themes, GB/T 2260 regions, access rights for the open classes), and a fair
reading of any other DCAT catalogue: EU data themes map to our nearest
theme, EU frequencies to update frequencies, licence URLs to licence ids.
What cannot be read is left out; a dataset without any identity (a blank
node without ``dct:identifier``) comes back as a problem, not a record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from standards import licences, themes
from standards.dcat_ap import ACCESS_RIGHTS
from standards.open_classes import OpenClass
from standards.update_frequency import EU_CODES
from standards.vocabularies import (
    DCAT,
    DCAT_VERSION,
    DCTERMS,
    EU_FILE_TYPE,
    FOAF,
    HYDRA,
    IANA_MEDIA_TYPES,
    RDF,
    SKOS,
    SPDX,
)

_SLUG_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_REGION = re.compile(r"/vocab/gbt2260/(\d{6})$")
_THEME = re.compile(r"/vocab/theme/([a-z-]+)$")
_DATE_LIKE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
OWL_VERSION_INFO = URIRef("http://www.w3.org/2002/07/owl#versionInfo")
TIME = "http://www.w3.org/2006/time#"

# Our nearest theme for each EU data-theme code (the first theme listing it).
_THEME_OF_EU: dict[str, str] = {}
for _ours in themes.THEMES:
    for _code in _ours.eu:
        _THEME_OF_EU.setdefault(_code, _ours.name)
_FREQUENCY_OF_EU = {code: frequency.value for frequency, code in EU_CODES.items()}
_CLASS_OF_RIGHT = {code: open_class.value for open_class, (code, _, _) in ACCESS_RIGHTS.items()}
_LICENCE_OF_URL = {
    licence.url.rstrip("/"): licence.id for licence in reversed(licences.LICENCES) if licence.url
}


@dataclass
class DcatRecord:
    """One dataset read from a DCAT graph, as a package_create-shaped dict."""

    guid: str
    original_id: str | None
    original_uri: str | None
    name: str
    modified: str | None
    publisher: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Unreadable:
    """A dataset node the graph does not give enough to harvest."""

    node: str
    reason: str


def records(graph: Graph) -> Iterator[DcatRecord | Unreadable]:
    """Every ``dcat:Dataset`` of the graph, in a stable order."""
    for subject in sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str):
        yield _read(graph, subject)


def next_page(graph: Graph) -> str | None:
    """The next page of a paged catalogue (Hydra, as ckanext-dcat pages), if any."""
    for kind in (HYDRA.PartialCollectionView, HYDRA.PagedCollection):
        for page in sorted(graph.subjects(RDF.type, kind), key=str):
            for term in (HYDRA.next, HYDRA.nextPage):
                found = graph.value(page, term)
                if found is not None:
                    return str(found)
    return None


def _read(g: Graph, subject: Node) -> DcatRecord | Unreadable:
    identifier = _first(g, subject, DCTERMS.identifier)
    uri = str(subject) if isinstance(subject, URIRef) else None
    guid = uri or identifier
    if not guid:
        return Unreadable(str(subject), "a dataset without a URI or dct:identifier")
    title, title_en = _texts(g, subject, DCTERMS.title)
    notes, notes_en = _texts(g, subject, DCTERMS.description)
    if not (title or title_en):
        return Unreadable(guid, "a dataset without dct:title")
    landing = _first(g, subject, DCAT.landingPage)
    data: dict[str, Any] = {
        "title": title or title_en,
        "notes": notes or notes_en or "",
        "title_en": title_en if title else None,
        "notes_en": notes_en if notes else None,
        "tags": [{"name": word} for word in _all(g, subject, DCAT.keyword)],
        "version": _first(g, subject, DCAT_VERSION) or _first(g, subject, OWL_VERSION_INFO),
        "url": landing,
        "theme": _theme(g, subject),
        "region_code": _region(g, subject),
        "update_frequency": _frequency(g, subject),
        "open_class": _open_class(g, subject),
        "license_id": _licence(g, subject),
        "resources": [_distribution(g, d) for d in _nodes(g, subject, DCAT.distribution)],
    }
    data.update(_temporal(g, subject))
    return DcatRecord(
        guid=guid,
        original_id=identifier,
        original_uri=uri,
        name=_name(landing, identifier, uri, guid),
        modified=_first(g, subject, DCTERMS.modified),
        publisher=_publisher(g, subject),
        data=data,
    )


def _nodes(g: Graph, subject: Node, term: URIRef) -> list[Node]:
    return sorted(g.objects(subject, term), key=str)


def _first(g: Graph, subject: Node, term: URIRef) -> str | None:
    values = [str(v) for v in g.objects(subject, term) if str(v).strip()]
    return sorted(values)[0] if values else None


def _all(g: Graph, subject: Node, term: URIRef) -> list[str]:
    return sorted({str(v).strip() for v in g.objects(subject, term) if str(v).strip()})


def _texts(g: Graph, subject: Node, term: URIRef) -> tuple[str | None, str | None]:
    """(Chinese or untagged text, English text)."""
    chinese, untagged, english = [], [], []
    for value in g.objects(subject, term):
        if not isinstance(value, Literal) or not str(value).strip():
            continue
        language = (value.language or "").lower()
        if language.startswith("zh"):
            chinese.append(str(value))
        elif language.startswith("en"):
            english.append(str(value))
        elif not language:
            untagged.append(str(value))
    main = sorted(chinese) or sorted(untagged)
    return (main[0] if main else None), (sorted(english)[0] if english else None)


def _theme(g: Graph, subject: Node) -> str | None:
    codes = []
    for concept in _nodes(g, subject, DCAT.theme):
        match = _THEME.search(str(concept))
        if match and match.group(1) in themes.BY_SLUG:
            return themes.BY_SLUG[match.group(1)].name
        codes.append(str(concept).rsplit("/", 1)[-1])
    for code in codes:
        if code in _THEME_OF_EU:
            return _THEME_OF_EU[code]
    return None


def _region(g: Graph, subject: Node) -> str | None:
    for place in _nodes(g, subject, DCTERMS.spatial):
        match = _REGION.search(str(place))
        if match:
            return match.group(1)
        notation = _first(g, place, SKOS.notation)
        if notation and re.fullmatch(r"[1-9]\d{5}", notation):
            return notation
    return None


def _frequency(g: Graph, subject: Node) -> str | None:
    found = g.value(subject, DCTERMS.accrualPeriodicity)
    return _FREQUENCY_OF_EU.get(str(found).rsplit("/", 1)[-1]) if found is not None else None


def _open_class(g: Graph, subject: Node) -> str:
    found = g.value(subject, DCTERMS.accessRights)
    if found is None:
        return OpenClass.UNCONDITIONAL.value
    return _CLASS_OF_RIGHT.get(str(found).rsplit("/", 1)[-1], OpenClass.UNCONDITIONAL.value)


def _licence(g: Graph, subject: Node) -> str | None:
    candidates = [*g.objects(subject, DCTERMS.license)]
    for distribution in _nodes(g, subject, DCAT.distribution):
        candidates += [*g.objects(distribution, DCTERMS.license)]
    for url in sorted(str(c) for c in candidates):
        if url.rstrip("/") in _LICENCE_OF_URL:
            return _LICENCE_OF_URL[url.rstrip("/")]
        if "/licence/" in url:  # ours, for licences without a page of their own
            licence_id = url.rsplit("/", 1)[-1]
            if licences.get(licence_id):
                return licence_id
    return None


def _temporal(g: Graph, subject: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    for period in _nodes(g, subject, DCTERMS.temporal):
        for key, terms in (
            ("temporal_start", (DCAT.startDate, URIRef(TIME + "hasBeginning"))),
            ("temporal_end", (DCAT.endDate, URIRef(TIME + "hasEnd"))),
        ):
            for term in terms:
                found = g.value(period, term)
                if isinstance(found, (URIRef, BNode)):
                    found = g.value(found, URIRef(TIME + "inXSDDate")) or g.value(
                        found, URIRef(TIME + "inXSDDateTimeStamp")
                    )
                if found is not None and _DATE_LIKE.match(str(found)) and key not in out:
                    out[key] = str(found)
    return out


def _publisher(g: Graph, subject: Node) -> dict[str, Any]:
    agent = g.value(subject, DCTERMS.publisher)
    if agent is None:
        return {}
    names, names_en = _texts(g, agent, FOAF.name)
    return {
        "uri": str(agent) if isinstance(agent, URIRef) else None,
        "name": names or names_en,
        "name_en": names_en,
        "identifier": _first(g, agent, DCTERMS.identifier),
    }


def _distribution(g: Graph, node: Node) -> dict[str, Any]:
    download = _first(g, node, DCAT.downloadURL)
    title, title_en = _texts(g, node, DCTERMS.title)
    description, description_en = _texts(g, node, DCTERMS.description)
    resource: dict[str, Any] = {
        "url": download or _first(g, node, DCAT.accessURL) or "",
        "name": title or title_en,
        "description": description or description_en or "",
        "format": _format(g, node),
        "mimetype": _media_type(g, node),
    }
    size = g.value(node, DCAT.byteSize)
    if size is not None and str(size).isdigit():
        resource["size"] = int(str(size))
    checksum = g.value(node, SPDX.checksum)
    if checksum is not None:
        value = g.value(checksum, SPDX.checksumValue)
        algorithm = str(g.value(checksum, SPDX.algorithm) or "")
        if value is not None and algorithm.endswith("sha256") and _SHA256.match(str(value)):
            resource["hash"] = str(value).lower()
    standard = g.value(node, DCTERMS.conformsTo)
    if isinstance(standard, URIRef):
        resource["schema"] = str(standard)
    return resource


def _format(g: Graph, node: Node) -> str:
    found = g.value(node, DCTERMS.format)
    if found is None:
        return ""
    text = str(found)
    if text.startswith(str(EU_FILE_TYPE)):
        return text.rsplit("/", 1)[-1]
    return text.rsplit("/", 1)[-1] if isinstance(found, URIRef) else text


def _media_type(g: Graph, node: Node) -> str | None:
    found = g.value(node, DCAT.mediaType)
    if found is None:
        return None
    text = str(found)
    return text[len(IANA_MEDIA_TYPES) :] if text.startswith(IANA_MEDIA_TYPES) else text


def _name(landing: str | None, identifier: str | None, uri: str | None, guid: str) -> str:
    """A CKAN name: the landing page's last segment, the identifier, the URI's last
    segment (first that makes a valid name), else a hash of the guid."""
    for candidate in (landing, identifier, uri):
        if not candidate:
            continue
        tail = candidate.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower()
        slug = _SLUG_UNSAFE.sub("-", tail).strip("-_")[:90]
        if len(slug) >= 2:
            return slug
    return "dcat-" + hashlib.sha256(guid.encode()).hexdigest()[:12]
