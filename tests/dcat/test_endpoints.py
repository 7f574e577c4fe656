"""The DCAT-AP endpoints of a portal holding the sample catalogue (SQLite and PostgreSQL).

Every public sample, as the portal serves it, passes the official DCAT-AP 3.0.0
shapes; its Turtle, RDF/XML and JSON-LD forms are the same graph; paging
follows ckanext-dcat (hydra:PagedCollection, ``page``, ``modified_since``)
without skipping or repeating a dataset when the catalogue changes under it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from standards import rdf_formats
from standards import vocabularies as v
from tests.dcat.conftest import SITE, InProcessPortal
from tests.standards.shacl import validate_chunks

CLOSED = ("hefei-gas-pipeline-monitoring", "pudong-flood-control-points")
CONDITIONAL = "sh-public-parking-lots"
FORMS = (rdf_formats.TURTLE, rdf_formats.RDF_XML, rdf_formats.JSON_LD)


def get_graph(portal: InProcessPortal, url: str, form=rdf_formats.TURTLE) -> Graph:
    response = portal.client.get(url.removeprefix(SITE))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(form.media_type)
    return rdf_formats.parse(response.content, form)


def walk(portal: InProcessPortal, first: str, *, between=None) -> tuple[list[Graph], list[URIRef]]:
    """Follow hydra:next from ``first``; the pages and the datasets in the order seen."""
    pages, seen, url = [], [], first
    while url:
        graph = get_graph(portal, url)
        pages.append(graph)
        seen += sorted(graph.objects(URIRef(f"{SITE}/catalog"), v.DCAT.dataset))
        # As ckanext-dcat's harvester reads it: the PagedCollection's hydra:next.
        collection = graph.value(None, v.RDF.type, v.HYDRA.PagedCollection)
        found = graph.value(collection, v.HYDRA.next)
        url = str(found) if found else None
        if between and url:
            between(len(pages))
    return pages, seen


def public_names(portal: InProcessPortal) -> set[str]:
    found = portal.client.get("/api/3/action/package_list").json()["result"]
    return set(found)


def test_every_public_sample_passes_the_official_shapes(sample_portal: InProcessPortal) -> None:
    """Every page on both databases; pyshacl once (on SQLite): the graphs do not depend
    on the database, and the PostgreSQL walk checks that every sample is on a page."""
    started = time.perf_counter()
    pages, seen = walk(sample_portal, f"{SITE}/catalog.ttl")
    assert len(pages) == 4  # 35 public samples, 10 a page
    assert len(seen) == len(set(seen)) == len(public_names(sample_portal)) == 35
    if sample_portal.backend != "sqlite":
        return
    outcome = validate_chunks(pages)
    print(f"\npyshacl on {len(seen)} samples: {time.perf_counter() - started:.1f} s")
    assert outcome.violations == 0, outcome.report


def test_each_dataset_reads_the_same_in_every_form(sample_portal: InProcessPortal) -> None:
    """Every sample in every form, half of them on each database (the serialisation does
    not depend on it; serving does, and both serve)."""
    names = sorted(public_names(sample_portal))
    for name in names[0 if sample_portal.backend == "sqlite" else 1 :: 2]:
        graphs = [get_graph(sample_portal, f"/dataset/{name}.{f.extension}", f) for f in FORMS]
        assert len(graphs[0]) > 40, name
        assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2]), name


def test_catalogue_forms_are_the_same_graph(sample_portal: InProcessPortal) -> None:
    """The same page in each form; only the paging links name their own form."""
    graphs = []
    for form in FORMS:
        text = sample_portal.client.get(f"/catalog.{form.extension}?page=2").text
        same_links = text.replace(f"catalog.{form.extension}?", "catalog?")
        graphs.append(rdf_formats.parse(same_links, form))
    assert len(graphs[0]) > 500
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


def test_closed_datasets_are_never_published(sample_portal: InProcessPortal) -> None:
    _, seen = walk(sample_portal, f"{SITE}/catalog.ttl")
    text = " ".join(map(str, seen))
    for name in CLOSED:
        shown = sample_portal.client.get(f"/api/3/action/package_show?id={name}").json()
        assert not shown["success"]  # not public
        assert sample_portal.client.get(f"/dataset/{name}.ttl").status_code == 404
        negotiated = sample_portal.client.get(f"/dataset/{name}", headers={"Accept": "text/turtle"})
        assert negotiated.status_code == 404
        assert negotiated.headers["content-type"] == "application/problem+json"
    with sample_portal.portal.sessions() as session:
        from datasets import repository

        ids = [repository.find_package(session, name).id for name in CLOSED]
    assert not any(package_id in text for package_id in ids)


def test_private_and_deleted_datasets_are_not_published(sample_portal: InProcessPortal) -> None:
    private = sample_portal.create(
        name=f"private-{sample_portal.backend}", owner_org="shanghai-transport", private=True
    )
    response = sample_portal.client.get(f"/dataset/{private['name']}.ttl")
    assert response.status_code == 404
    assert sample_portal.client.get(f"/dataset/{private['id']}.jsonld").status_code == 404


def test_conditional_data_has_no_way_around_the_application(
    sample_portal: InProcessPortal,
) -> None:
    graph = get_graph(sample_portal, f"/dataset/{CONDITIONAL}.ttl")
    dataset = next(graph.subjects(v.RDF.type, v.DCAT.Dataset))
    assert graph.value(dataset, v.DCTERMS.accessRights) == v.EU_ACCESS_RIGHT.RESTRICTED
    assert not list(graph.triples((None, v.DCAT.downloadURL, None)))
    landing = URIRef(f"{SITE}/dataset/{CONDITIONAL}")
    distributions = list(graph.objects(dataset, v.DCAT.distribution))
    assert distributions
    for distribution in distributions:
        assert set(graph.objects(distribution, v.DCAT.accessURL)) == {landing}
    unconditional = get_graph(sample_portal, "/dataset/ah-credit-commitments.ttl")
    assert list(unconditional.triples((None, v.DCAT.downloadURL, None)))


def test_uploads_carry_size_checksum_and_table_schema(sample_portal: InProcessPortal) -> None:
    graph = get_graph(sample_portal, "/dataset/ah-credit-commitments.ttl")
    distribution = next(graph.subjects(v.RDF.type, v.DCAT.Distribution))
    assert graph.value(distribution, v.DCAT.byteSize).toPython() == 91752
    checksum = graph.value(distribution, v.SPDX.checksum)
    assert str(graph.value(checksum, v.SPDX.checksumValue)).startswith("cc952ba3")
    schema_url = graph.value(distribution, v.DCTERMS.conformsTo)
    schema = sample_portal.client.get(str(schema_url).removeprefix(SITE))
    assert schema.status_code == 200
    assert schema.json()["fields"][0]["name"] == "commitment_id"
    publisher = graph.value(next(graph.subjects(v.RDF.type, v.DCAT.Dataset)), v.DCTERMS.publisher)
    assert str(graph.value(publisher, v.DCTERMS.identifier)).startswith("11340000DELTA")


def test_paging_survives_changes_while_walking(sample_portal: InProcessPortal) -> None:
    """A dataset changed between two pages moves behind the cursor: it shows up again
    later and nothing is skipped (ckanext-dcat's offset paging would skip one)."""
    _, before = walk(sample_portal, f"{SITE}/catalog.ttl")
    first_seen = str(before[0]).rsplit("/", 1)[1]
    counter = iter(range(100))

    def change(_: int) -> None:
        sample_portal.patch(first_seen, version=f"9.{next(counter)}")

    _, during = walk(sample_portal, f"{SITE}/catalog.ttl", between=change)
    assert set(during) == set(before)
    assert len(during) == len(before) + 1  # the changed one, seen twice


def test_modified_since_lists_only_later_changes(sample_portal: InProcessPortal) -> None:
    since = datetime.now(UTC).replace(tzinfo=None)
    changed = sample_portal.patch("zj-drinking-water-sources", version="7.7.7")
    graph = get_graph(sample_portal, f"/catalog.ttl?modified_since={since.isoformat()}Z")
    datasets = set(graph.objects(URIRef(f"{SITE}/catalog"), v.DCAT.dataset))
    assert datasets == {URIRef(f"{SITE}/dataset/{changed['id']}")}
    page = next(graph.subjects(v.RDF.type, v.HYDRA.PagedCollection))
    assert "modified_since=" in str(page) and graph.value(page, v.HYDRA.totalItems).toPython() == 1
    empty = get_graph(sample_portal, "/catalog.ttl?modified_since=2999-01-01")
    assert not list(empty.objects(None, v.DCAT.dataset))


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=abc", "page=99999999", "modified_since=yesterday",
     "modified_since=2024-13-01", "cursor=nonsense", "cursor=2024-01-01T00:00:00_%27%3B--"],
)  # fmt: skip
def test_bad_parameters_are_clear_errors(sample_portal: InProcessPortal, query: str) -> None:
    response = sample_portal.client.get(f"/catalog.ttl?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_unknown_forms_and_datasets_are_not_found(sample_portal: InProcessPortal) -> None:
    for path in ("/catalog.exe", "/dataset/ah-credit-commitments.exe", "/dataset/nope.ttl",
                 "/vocab/nope.ttl", "/vocab/nope", "/licence/nope"):  # fmt: skip
        response = sample_portal.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


def test_content_negotiation_on_the_dataset_page_and_home(sample_portal: InProcessPortal) -> None:
    client = sample_portal.client
    cases = (
        ("text/turtle", rdf_formats.TURTLE),
        ("application/ld+json", rdf_formats.JSON_LD),
        ("application/rdf+xml;q=0.9, text/html;q=0.5", rdf_formats.RDF_XML),
    )
    for accept, form in cases:
        response = client.get("/dataset/ah-credit-commitments", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(form.media_type)
        assert "Accept" in response.headers["vary"]
        direct = get_graph(sample_portal, f"/dataset/ah-credit-commitments.{form.extension}", form)
        assert isomorphic(rdf_formats.parse(response.content, form), direct)
    browser = client.get(
        "/dataset/ah-credit-commitments", headers={"Accept": "text/html,*/*;q=0.8"}
    )
    assert not browser.headers["content-type"].startswith("text/turtle")
    assert "Accept" in browser.headers["vary"]
    home = client.get("/", headers={"Accept": "text/turtle"})
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/turtle")
    assert client.get("/").headers["content-type"].startswith("text/html")


def test_concept_schemes_we_publish(sample_portal: InProcessPortal) -> None:
    themes = get_graph(sample_portal, "/vocab/theme.ttl")
    concepts = set(themes.subjects(v.RDF.type, v.SKOS.Concept))
    ours = {c for c in concepts if str(c).startswith(f"{SITE}/vocab/theme/")}
    assert len(ours) == 12
    assert all(themes.value(c, v.SKOS.closeMatch) is not None for c in ours)
    regions = get_graph(sample_portal, "/vocab/gbt2260.ttl")
    pudong = URIRef(f"{SITE}/vocab/gbt2260/310115")
    assert str(regions.value(pudong, v.SKOS.notation)) == "310115"
    assert regions.value(pudong, v.SKOS.broader) == URIRef(f"{SITE}/vocab/gbt2260/310000")
    assert len(set(regions.subjects(v.RDF.type, v.SKOS.Concept))) > 300
    redirect = sample_portal.client.get("/vocab/gbt2260/310115", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"{SITE}/vocab/gbt2260.ttl"


def test_schemaorg_document_of_a_dataset(sample_portal: InProcessPortal) -> None:
    response = sample_portal.client.get("/dataset/ah-credit-commitments/schema.org.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    doc = response.json()
    assert doc["@type"] == "Dataset" and doc["name"] == "安徽省信用承诺信息公示"
    assert doc["distribution"][0]["contentUrl"].startswith(f"{SITE}/dataset/")
    conditional = sample_portal.client.get(f"/dataset/{CONDITIONAL}/schema.org.json").json()
    assert "distribution" not in conditional


def test_status_show_names_what_is_served(sample_portal: InProcessPortal) -> None:
    status = sample_portal.client.get("/api/3/action/status_show").json()["result"]
    assert {"delta-dcat", "delta-harvest"} <= set(status["extensions"])
