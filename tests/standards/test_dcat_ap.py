"""The DCAT-AP 3.0 mapping: every first-class field, the open classes, paging, serialisations."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic

from standards import dcat_ap, rdf_formats
from standards import vocabularies as v
from tests.standards import packages
from tests.standards.packages import API_ID, LINK_ID, PACKAGE_ID, REAL_LINK, SITE, UPLOAD_ID
from tests.standards.shacl import validate_chunks

DATASET = URIRef(f"{SITE}/dataset/{PACKAGE_ID}")
UPLOAD = URIRef(f"{DATASET}/resource/{UPLOAD_ID}")
LINK = URIRef(f"{DATASET}/resource/{LINK_ID}")
API = URIRef(f"{DATASET}/resource/{API_ID}")


def graph_of(package):
    return dcat_ap.dataset_graph(package, site_url=SITE)


def test_titles_and_descriptions_are_language_tagged() -> None:
    g = graph_of(packages.unconditional())
    assert set(g.objects(DATASET, v.DCTERMS.title)) == {
        Literal("浦东新区公共停车场信息", lang="zh"),
        Literal("Public car parks in Pudong", lang="en"),
    }
    assert {lit.language for lit in g.objects(DATASET, v.DCTERMS.description)} == {"zh", "en"}
    languages = set(g.objects(DATASET, v.DCTERMS.language))
    assert {str(uri).rsplit("/", 1)[1] for uri in languages} == {"ZHO", "ENG"}


def test_publisher_carries_its_uscc() -> None:
    g = graph_of(packages.unconditional())
    publisher = g.value(DATASET, v.DCTERMS.publisher)
    assert (publisher, v.RDF.type, v.FOAF.Agent) in g
    assert g.value(publisher, v.DCTERMS.identifier) == Literal("11310115DELTA0009R")
    identifier = g.value(publisher, v.ADMS.identifier)
    assert g.value(identifier, v.SKOS.notation) == Literal("11310115DELTA0009R")
    names = set(g.objects(publisher, v.FOAF.name))
    assert Literal("上海市浦东新区建设和交通委员会", lang="zh") in names


def test_theme_in_both_schemes_region_frequency_and_temporal() -> None:
    g = graph_of(packages.unconditional())
    themes = set(g.objects(DATASET, v.DCAT.theme))
    ours = URIRef(f"{SITE}/vocab/theme/transport")
    assert themes == {ours, v.EU_DATA_THEME.TRAN}
    assert (ours, v.SKOS.inScheme, URIRef(f"{SITE}/vocab/theme")) in g
    assert (ours, v.SKOS.closeMatch, v.EU_DATA_THEME.TRAN) in g
    region = URIRef(f"{SITE}/vocab/gbt2260/310115")
    assert g.value(DATASET, v.DCTERMS.spatial) == region
    assert (region, v.RDF.type, v.DCTERMS.Location) in g
    assert (region, v.SKOS.broader, URIRef(f"{SITE}/vocab/gbt2260/310000")) in g
    assert (region, v.SKOS.prefLabel, Literal("浦东新区", lang="zh")) in g
    assert g.value(DATASET, v.DCTERMS.accrualPeriodicity) == v.EU_FREQUENCY.MONTHLY
    period = g.value(DATASET, v.DCTERMS.temporal)
    assert g.value(period, v.DCAT.startDate) == Literal("2024-01", datatype=v.XSD.gYearMonth)
    assert g.value(period, v.DCAT.endDate) == Literal("2024-06-30", datatype=v.XSD.date)
    assert g.value(DATASET, v.DCTERMS.issued).datatype == v.XSD.dateTime


def test_distributions_carry_urls_size_checksum_media_type_and_schema() -> None:
    g = graph_of(packages.unconditional())
    assert set(g.objects(DATASET, v.DCAT.distribution)) == {UPLOAD, LINK, API}
    download = URIRef(f"{SITE}/dataset/{PACKAGE_ID}/resource/{UPLOAD_ID}/download/parking.csv")
    assert g.value(UPLOAD, v.DCAT.accessURL) == download
    assert g.value(UPLOAD, v.DCAT.downloadURL) == download
    assert g.value(UPLOAD, v.DCAT.byteSize) == Literal(91752, datatype=v.XSD.nonNegativeInteger)
    checksum = g.value(UPLOAD, v.SPDX.checksum)
    assert g.value(checksum, v.SPDX.algorithm) == v.SPDX.checksumAlgorithm_sha256
    value = Literal(packages.SHA256, datatype=v.XSD.hexBinary)
    assert g.value(checksum, v.SPDX.checksumValue) == value
    assert str(g.value(UPLOAD, v.DCAT.mediaType)).endswith("/media-types/text/csv")
    assert g.value(UPLOAD, v.DCTERMS.format) == v.EU_FILE_TYPE.CSV
    assert g.value(UPLOAD, v.DCTERMS.conformsTo) == URIRef(f"{UPLOAD}/schema.json")
    cc_by = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert g.value(UPLOAD, v.DCTERMS.license) == cc_by
    assert (g.value(UPLOAD, v.DCTERMS.license), v.RDF.type, v.DCTERMS.LicenseDocument) in g
    # A linked file is downloadable where it is; an API is only accessed.
    assert g.value(LINK, v.DCAT.downloadURL) == URIRef(REAL_LINK)
    assert g.value(API, v.DCAT.downloadURL) is None
    assert g.value(API, v.DCAT.accessURL) == URIRef("https://api.pudong.example/parking/v1")


def test_open_classes_map_to_access_rights() -> None:
    public = graph_of(packages.unconditional())
    assert public.value(DATASET, v.DCTERMS.accessRights) == v.EU_ACCESS_RIGHT.PUBLIC
    restricted = graph_of(packages.conditional())
    assert restricted.value(DATASET, v.DCTERMS.accessRights) == v.EU_ACCESS_RIGHT.RESTRICTED
    closed = packages.unconditional() | {"open_class": "closed"}
    with pytest.raises(dcat_ap.NotPublishable):
        graph_of(closed)
    for hidden in ({"private": True}, {"state": "deleted"}, {"state": "draft"}):
        with pytest.raises(dcat_ap.NotPublishable):
            graph_of(packages.unconditional() | hidden)
    with pytest.raises(dcat_ap.NotPublishable):
        dcat_ap.catalog_graph([closed], info=dcat_ap.CatalogInfo(site_url=SITE))


def test_conditional_data_is_reached_only_through_the_application() -> None:
    """Even handed a dict with the real link (a grantee's view), the graph names no URL
    that reaches the data: every access URL is the dataset page, there is no download URL."""
    g = graph_of(packages.conditional())
    landing = URIRef(f"{SITE}/dataset/pudong-parking-lots")
    for distribution in (UPLOAD, LINK, API):
        assert set(g.objects(distribution, v.DCAT.accessURL)) == {landing}
        assert g.value(distribution, v.DCTERMS.rights) == v.EU_ACCESS_RIGHT.RESTRICTED
    assert not list(g.triples((None, v.DCAT.downloadURL, None)))
    text = rdf_formats.serialize(g, rdf_formats.TURTLE).decode()
    assert REAL_LINK not in text and "/download/" not in text and "api.pudong" not in text


def test_harvested_dataset_says_where_it_came_from() -> None:
    g = graph_of(packages.with_harvest(packages.unconditional()))
    identifier = g.value(DATASET, v.ADMS.identifier)
    assert g.value(identifier, v.SKOS.notation) == Literal(
        "https://data.hangzhou.example/dataset/orig-42"
    )
    statement = g.value(DATASET, v.DCTERMS.provenance)
    assert (statement, v.RDF.type, v.DCTERMS.ProvenanceStatement) in g
    assert any("杭州市公共数据开放平台" in str(label) for label in g.objects(statement, None))


def test_fields_in_extras_are_mapped_like_top_level_ones() -> None:
    """Harvested CKAN records carry the first-class fields as extras."""
    package = packages.unconditional()
    extras = [{"key": k, "value": package.pop(k)} for k in ("region_code", "theme", "title_en")]
    package["extras"] = extras
    g = graph_of(package)
    assert g.value(DATASET, v.DCTERMS.spatial) == URIRef(f"{SITE}/vocab/gbt2260/310115")
    assert v.EU_DATA_THEME.TRAN in set(g.objects(DATASET, v.DCAT.theme))
    english = Literal("Public car parks in Pudong", lang="en")
    assert english in set(g.objects(DATASET, v.DCTERMS.title))


def test_odd_values_are_left_out_not_emitted_broken() -> None:
    package = packages.unconditional() | {
        "region_code": "31011X",
        "update_frequency": "sometimes",
        "theme": "unknown",
        "temporal_start": "not a date",
        "temporal_end": None,
        "license_id": None,
        "metadata_created": "yesterday",
    }
    package["resources"][0] |= {"hash": "md5:abc", "size": -3, "url": "javascript:alert(1)"}
    g = graph_of(package)
    dct = v.DCTERMS
    for term in (dct.spatial, dct.accrualPeriodicity, dct.temporal, dct.issued):
        assert g.value(DATASET, term) is None, term
    assert g.value(UPLOAD, v.SPDX.checksum) is None and g.value(UPLOAD, v.DCAT.byteSize) is None
    assert g.value(UPLOAD, v.DCAT.accessURL) == URIRef(f"{SITE}/dataset/pudong-parking-lots")
    assert validate_chunks([g]).violations == 0


def test_catalog_page_with_hydra_paging() -> None:
    paging = dcat_ap.Paging(
        current=f"{SITE}/catalog.ttl?page=2",
        first=f"{SITE}/catalog.ttl?page=1",
        last=f"{SITE}/catalog.ttl?page=3",
        next=f"{SITE}/catalog.ttl?page=3",
        previous=f"{SITE}/catalog.ttl?page=1",
        total=250,
        per_page=100,
    )
    g = dcat_ap.catalog_graph(
        [packages.unconditional()], info=dcat_ap.CatalogInfo(site_url=SITE), paging=paging
    )
    catalog = URIRef(f"{SITE}/catalog")
    assert list(g.objects(catalog, v.DCAT.dataset)) == [DATASET]
    page = URIRef(paging.current)
    assert (page, v.RDF.type, v.HYDRA.PagedCollection) in g
    assert g.value(page, v.HYDRA.next) == g.value(page, v.HYDRA.nextPage) == URIRef(paging.next)
    assert g.value(page, v.HYDRA.totalItems).toPython() == 250
    assert g.value(page, v.HYDRA.itemsPerPage).toPython() == 100


def test_all_forms_parse_to_the_same_graph() -> None:
    g = dcat_ap.catalog_graph(
        [packages.unconditional(), packages.with_harvest(packages.conditional() | {"id": "x2"})],
        info=dcat_ap.CatalogInfo(site_url=SITE),
    )
    for form in (rdf_formats.TURTLE, rdf_formats.RDF_XML, rdf_formats.JSON_LD):
        assert isomorphic(g, rdf_formats.parse(rdf_formats.serialize(g, form), form)), form


def test_examples_of_this_file_pass_the_official_shapes() -> None:
    variants = [
        packages.unconditional(),
        packages.conditional() | {"id": "c1"},
        packages.with_harvest(packages.unconditional() | {"id": "h1"}),
    ]
    g = dcat_ap.catalog_graph(variants, info=dcat_ap.CatalogInfo(site_url=SITE))
    outcome = validate_chunks([g])
    assert outcome.violations == 0, outcome.report


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "ttl"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml;q=1.0, application/ld+json;q=0.6", "rdf"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),
        ("*/*", None),
        ("", None),
        ("application/json", None),
        ("text/turtle;q=0.5, text/html", None),
        ("text/turtle;q=oops", None),
    ],
)
def test_content_negotiation(accept: str, expected: str | None) -> None:
    found = rdf_formats.negotiate(accept)
    assert (found.extension if found else None) == expected


def test_the_turtle_writer_round_trips_awkward_terms() -> None:
    from rdflib import BNode

    g = dcat_ap.new_graph()
    subject = URIRef("http://x.test/dataset/1.2/3")
    g.add((subject, v.DCTERMS.title, Literal('引号 " 与\n换行 \\ 反斜杠 \t', lang="zh")))
    g.add((subject, v.DCTERMS.identifier, Literal("42", datatype=v.XSD.integer)))
    g.add((subject, v.DCAT.keyword, Literal("'single' \"double\" '''triple'''")))
    g.add((subject, URIRef("http://purl.org/dc/terms/1starts-with-digit"), Literal(True)))
    g.add((subject, v.DCTERMS.source, URIRef("http://x.test/a%20b?c=d&e=f#frag.ment")))
    g.add((subject, URIRef(str(v.DCTERMS) + "with.dot"), Literal(1.5)))
    period = BNode()
    g.add((subject, v.DCTERMS.temporal, period))
    g.add((period, v.DCAT.startDate, Literal("2024", datatype=v.XSD.gYear)))
    text = rdf_formats.serialize(g, rdf_formats.TURTLE)
    assert isomorphic(g, rdf_formats.parse(text, rdf_formats.TURTLE))
    assert isomorphic(g, rdf_formats.parse(g.serialize(format="turtle"), rdf_formats.TURTLE))
