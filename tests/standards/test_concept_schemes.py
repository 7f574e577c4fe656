"""The SKOS schemes we publish: our themes (matched to the EU data themes) and GB/T 2260."""

from __future__ import annotations

from rdflib import URIRef

from standards import concept_schemes, regions, themes
from standards import vocabularies as v
from tests.standards.shacl import validate_chunks

SITE = "https://data.delta.example"


def test_every_theme_is_matched_to_the_eu_data_themes() -> None:
    g = concept_schemes.theme_scheme_graph(SITE)
    for theme in themes.THEMES:
        concept = URIRef(f"{SITE}/vocab/theme/{theme.slug}")
        matches = {str(m).rsplit("/", 1)[1] for m in g.objects(concept, v.SKOS.closeMatch)}
        assert matches == set(theme.eu) and matches, theme
        assert (concept, v.SKOS.topConceptOf, URIRef(f"{SITE}/vocab/theme")) in g


def test_regions_nest_province_city_district() -> None:
    g = concept_schemes.region_scheme_graph(SITE)
    uri = concept_schemes.region_uri
    assert g.value(uri(SITE, "320506"), v.SKOS.broader) == uri(SITE, "320500")
    assert g.value(uri(SITE, "320500"), v.SKOS.broader) == uri(SITE, "320000")
    assert g.value(uri(SITE, "310115"), v.SKOS.broader) == uri(SITE, "310000")
    assert g.value(uri(SITE, "310000"), v.SKOS.broader) is None
    assert len(set(g.subjects(v.RDF.type, v.SKOS.Concept))) == len(regions.gazetteer())


def test_both_schemes_pass_the_official_shapes() -> None:
    outcome = validate_chunks(
        [concept_schemes.theme_scheme_graph(SITE), concept_schemes.region_scheme_graph(SITE)]
    )
    assert outcome.violations == 0, outcome.report
