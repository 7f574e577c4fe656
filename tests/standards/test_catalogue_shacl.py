"""The whole search corpus through the DCAT-AP mapping, against the official shapes.

The samples are checked as the running portal serves them (tests/portal/dcat);
here the 1,999 corpus records go through the same mapping as package_show dicts
(loadtests.search_quality.load_corpus gives them ids and timestamps as the
portal would). Private records are validated too, as if published: the mapping
must be right for every record, not only those public today.
"""

from __future__ import annotations

import math
import os
import time

import pytest
from rdflib import BNode, Literal, URIRef

from loadtests.search_quality import corpus_dir, load_corpus
from standards import dcat_ap
from standards import vocabularies as v
from tests.standards.shacl import SHAPES_FILE, validate_chunks

SITE = "https://data.delta.example"


@pytest.fixture(scope="module")
def corpus_packages() -> list[dict]:
    if not (corpus_dir() / "datasets.jsonl").exists():
        pytest.fail(f"search corpus not found at {corpus_dir()} (set DELTA_SEARCH_CORPUS)")
    if not SHAPES_FILE.exists():
        pytest.fail(f"DCAT-AP shapes not found at {SHAPES_FILE} (set DELTA_STANDARDS_DIR)")
    return [package | {"private": False} for package in load_corpus().packages]


def test_every_corpus_dataset_passes_the_official_shapes(corpus_packages) -> None:
    assert len(corpus_packages) == 1999
    info = dcat_ap.CatalogInfo(site_url=SITE)
    started = time.perf_counter()
    # One chunk per core: each worker builds pyshacl's shapes graph once per chunk.
    size = math.ceil(len(corpus_packages) / (os.cpu_count() or 1))
    chunks = [
        dcat_ap.catalog_graph(corpus_packages[i : i + size], info=info)
        for i in range(0, len(corpus_packages), size)
    ]
    outcome = validate_chunks(chunks)
    print(f"\npyshacl: {len(corpus_packages)} datasets, {outcome.triples} triples, "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    assert outcome.violations == 0, outcome.report
    conditional = sum(p["open_class"] == "conditional" for p in corpus_packages)
    assert conditional > 200  # both open classes are among what was checked


def test_the_shapes_do_catch_a_broken_catalogue() -> None:
    """The check above can fail: a dataset without a description, a distribution
    without an access URL and an untyped licence are three violations at least."""
    g = dcat_ap.new_graph()
    dataset, distribution = URIRef(f"{SITE}/dataset/broken"), BNode()
    g.add((dataset, v.RDF.type, v.DCAT.Dataset))
    g.add((dataset, v.DCTERMS.title, Literal("缺少描述", lang="zh")))
    g.add((dataset, v.DCAT.distribution, distribution))
    g.add((distribution, v.RDF.type, v.DCAT.Distribution))
    g.add((distribution, v.DCTERMS.license, URIRef("https://example.org/licence")))
    assert validate_chunks([g]).violations >= 3
