"""The SKOS concept schemes the portal publishes: its twelve themes and GB/T 2260 regions.

Both live under the portal's own URL (``{site}/vocab/theme/economy``,
``{site}/vocab/gbt2260/310115``) because neither has an official linked-data
home. Each theme is matched to the EU data-theme vocabulary, so a European
harvester understands it without knowing ours; each region points to the
region it lies in (``skos:broader``), so 浦东新区 is found under 上海市.

DCAT-AP checks ranges by ``rdf:type``, so every concept carries its classes
and a ``skos:prefLabel`` wherever it is used, not only in the scheme.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef

from standards import regions, themes
from standards.themes import Theme
from standards.vocabularies import (
    DATA_THEME_SCHEME,
    DCTERMS,
    EU_DATA_THEME,
    PREFIXES,
    RDF,
    SKOS,
)

THEME_SCHEME = "theme"
REGION_SCHEME = "gbt2260"
SCHEMES = (THEME_SCHEME, REGION_SCHEME)


def scheme_uri(site_url: str, scheme: str) -> URIRef:
    return URIRef(f"{site_url.rstrip('/')}/vocab/{scheme}")


def theme_uri(site_url: str, theme: Theme) -> URIRef:
    return URIRef(f"{scheme_uri(site_url, THEME_SCHEME)}/{theme.slug}")


def region_uri(site_url: str, code: str) -> URIRef:
    return URIRef(f"{scheme_uri(site_url, REGION_SCHEME)}/{code}")


def add_eu_theme(graph: Graph, code: str) -> URIRef:
    concept = EU_DATA_THEME[code]
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, SKOS.prefLabel, Literal(themes.EU_THEME_LABELS[code], lang="en")))
    graph.add((concept, SKOS.inScheme, URIRef(DATA_THEME_SCHEME)))
    return concept


def add_theme(graph: Graph, site_url: str, theme: Theme) -> URIRef:
    """Our theme concept, with its EU data-theme matches."""
    concept = theme_uri(site_url, theme)
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, SKOS.prefLabel, Literal(theme.name, lang="zh")))
    graph.add((concept, SKOS.prefLabel, Literal(theme.name_en, lang="en")))
    graph.add((concept, SKOS.notation, Literal(theme.slug)))
    graph.add((concept, SKOS.inScheme, scheme_uri(site_url, THEME_SCHEME)))
    for code in theme.eu:
        graph.add((concept, SKOS.closeMatch, add_eu_theme(graph, code)))
    return concept


def add_region(graph: Graph, site_url: str, code: str) -> URIRef:
    """A GB/T 2260 division as a concept and a ``dct:Location`` (DCAT-AP's spatial range)."""
    concept = region_uri(site_url, code)
    region = regions.get(code)
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, RDF.type, DCTERMS.Location))
    graph.add((concept, SKOS.notation, Literal(code)))
    graph.add((concept, SKOS.inScheme, scheme_uri(site_url, REGION_SCHEME)))
    # A code outside our gazetteer is still a valid division: it is labelled by its code.
    graph.add((concept, SKOS.prefLabel, Literal(region.name if region else code, lang="zh")))
    if region and region.name_en:
        graph.add((concept, SKOS.prefLabel, Literal(region.name_en, lang="en")))
    parent = _parent(code)
    if parent is not None:
        graph.add((concept, SKOS.broader, region_uri(site_url, parent)))
    return concept


def _parent(code: str) -> str | None:
    level = regions.level_of(code)
    if level == "province":
        return None
    city = regions.city_of(code)
    if level == "district" and city != code:
        return city
    return regions.province_of(code)


def _scheme(graph: Graph, site_url: str, scheme: str, title: tuple[str, str]) -> URIRef:
    uri = scheme_uri(site_url, scheme)
    graph.add((uri, RDF.type, SKOS.ConceptScheme))
    graph.add((uri, DCTERMS.title, Literal(title[0], lang="zh")))
    graph.add((uri, DCTERMS.title, Literal(title[1], lang="en")))
    return uri


def add_theme_scheme(graph: Graph, site_url: str) -> URIRef:
    return _scheme(graph, site_url, THEME_SCHEME, ("开放数据主题", "Open data themes"))


def add_region_scheme(graph: Graph, site_url: str) -> URIRef:
    return _scheme(
        graph,
        site_url,
        REGION_SCHEME,
        ("中华人民共和国行政区划代码 (GB/T 2260)", "Administrative divisions of China (GB/T 2260)"),
    )


def new_graph() -> Graph:
    """A graph binding our prefixes only (not rdflib's three dozen defaults)."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def theme_scheme_graph(site_url: str) -> Graph:
    """The whole theme scheme, as ``/vocab/theme.ttl`` serves it."""
    graph = new_graph()
    scheme = add_theme_scheme(graph, site_url)
    graph.add((URIRef(DATA_THEME_SCHEME), RDF.type, SKOS.ConceptScheme))
    graph.add((URIRef(DATA_THEME_SCHEME), DCTERMS.title, Literal("Data theme", lang="en")))
    for theme in themes.THEMES:
        concept = add_theme(graph, site_url, theme)
        graph.add((scheme, SKOS.hasTopConcept, concept))
        graph.add((concept, SKOS.topConceptOf, scheme))
    return graph


def region_scheme_graph(site_url: str) -> Graph:
    """Every division of our gazetteer, provinces as top concepts."""
    graph = new_graph()
    scheme = add_region_scheme(graph, site_url)
    for code in regions.gazetteer():
        concept = add_region(graph, site_url, code)
        if regions.level_of(code) == "province":
            graph.add((scheme, SKOS.hasTopConcept, concept))
            graph.add((concept, SKOS.topConceptOf, scheme))
    return graph


def scheme_graph(site_url: str, scheme: str) -> Graph:
    if scheme == THEME_SCHEME:
        return theme_scheme_graph(site_url)
    if scheme == REGION_SCHEME:
        return region_scheme_graph(site_url)
    raise KeyError(scheme)
