"""The RDF serialisations the portal serves: Turtle, RDF/XML and JSON-LD.

ckanext-dcat's file extensions and media types, so CKAN harvesters and
browsers find the same URLs here. JSON-LD is compacted with a context of the
prefixes the graph binds; it parses back to exactly the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph


@dataclass(frozen=True)
class RdfFormat:
    extension: str
    media_type: str
    rdflib_name: str


TURTLE = RdfFormat("ttl", "text/turtle", "turtle")
RDF_XML = RdfFormat("rdf", "application/rdf+xml", "xml")
JSON_LD = RdfFormat("jsonld", "application/ld+json", "json-ld")
N3 = RdfFormat("n3", "text/n3", "n3")

BY_EXTENSION = {
    "ttl": TURTLE,
    "rdf": RDF_XML,
    "xml": RDF_XML,
    "jsonld": JSON_LD,
    "n3": N3,
}
# Media types a client may ask for with Accept (content negotiation).
BY_MEDIA_TYPE = {
    "text/turtle": TURTLE,
    "application/x-turtle": TURTLE,
    "application/rdf+xml": RDF_XML,
    "application/ld+json": JSON_LD,
    "text/n3": N3,
}


def serialize(graph: Graph, rdf_format: RdfFormat) -> bytes:
    if rdf_format is JSON_LD:
        context = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=rdf_format.rdflib_name, encoding="utf-8")


def parse(data: bytes | str, rdf_format: RdfFormat) -> Graph:
    return Graph().parse(data=data, format=rdf_format.rdflib_name)


def negotiate(accept: str | None) -> RdfFormat | None:
    """The RDF format an ``Accept`` header prefers, or None when it prefers none of them:
    HTML and wildcards stand for the web page, which wins a tie it is listed first in."""
    candidates: list[tuple[float, int, RdfFormat | None]] = []
    for position, part in enumerate((accept or "").split(",")):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        found = BY_MEDIA_TYPE.get(media)
        if found is None and media not in _PAGE_TYPES:
            continue
        quality = _quality(params)
        if quality > 0:
            candidates.append((quality, -position, found))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "*/*", "text/*", "application/*"})


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, raw = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(raw), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
