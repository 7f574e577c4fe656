"""schema.org Dataset JSON-LD for dataset search engines."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

from standards import dcat_ap, schemaorg
from tests.standards import packages
from tests.standards.packages import PACKAGE_ID, REAL_LINK, SITE


def test_required_and_recommended_properties() -> None:
    doc = schemaorg.dataset_jsonld(packages.unconditional(), site_url=SITE)
    assert doc["@context"] == "https://schema.org/" and doc["@type"] == "Dataset"
    assert doc["name"] == "浦东新区公共停车场信息"
    assert doc["alternateName"] == "Public car parks in Pudong"
    assert 50 <= len(doc["description"]) <= 5000
    assert doc["url"] == f"{SITE}/dataset/pudong-parking-lots"
    assert doc["@id"] == f"{SITE}/dataset/{PACKAGE_ID}"
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert doc["creator"]["identifier"]["value"] == "11310115DELTA0009R"
    assert doc["spatialCoverage"]["identifier"]["value"] == "310115"
    assert doc["spatialCoverage"]["containedInPlace"]["name"] == "上海市"
    assert doc["temporalCoverage"] == "2024-01/2024-06-30"
    assert {"停车", "交通", "道路交通"} <= set(doc["keywords"])
    assert [v["name"] for v in doc["variableMeasured"]] == ["lot_id", "spaces"]
    assert doc["isAccessibleForFree"] is True
    assert doc["includedInDataCatalog"]["url"] == f"{SITE}/"
    urls = [d["contentUrl"] for d in doc["distribution"]]
    assert REAL_LINK in urls and len(urls) == 2  # the API is no download
    assert doc["distribution"][0]["encodingFormat"] == "text/csv"
    assert doc["dateModified"] == "2024-06-30T09:15:00.654321"


def test_short_descriptions_are_completed_from_the_metadata() -> None:
    package = packages.unconditional() | {"notes": "停车场。", "notes_en": None}
    description = schemaorg.dataset_jsonld(package, site_url=SITE)["description"]
    assert description.startswith("停车场。")
    assert len(description) >= 50
    assert "上海市浦东新区建设和交通委员会" in description and "浦东新区" in description


def test_conditional_dataset_has_conditions_and_no_download() -> None:
    doc = schemaorg.dataset_jsonld(packages.conditional(), site_url=SITE)
    assert "distribution" not in doc
    assert "申请" in doc["conditionsOfAccess"]
    assert REAL_LINK not in json.dumps(doc)


def test_closed_and_private_datasets_are_refused() -> None:
    for hidden in ({"open_class": "closed"}, {"private": True}):
        with pytest.raises(dcat_ap.NotPublishable):
            schemaorg.dataset_jsonld(packages.unconditional() | hidden, site_url=SITE)


def test_harvested_dataset_links_its_original() -> None:
    doc = schemaorg.dataset_jsonld(packages.with_harvest(packages.unconditional()), site_url=SITE)
    assert doc["sameAs"] == "https://data.hangzhou.example/dataset/orig-42"


def test_script_json_cannot_close_the_script_element() -> None:
    package = packages.unconditional() | {"title": "</script><script>alert(1)</script>&"}
    text = schemaorg.script_json(schemaorg.dataset_jsonld(package, site_url=SITE))
    assert "</" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["name"] == package["title"]


def test_it_is_valid_json_ld_of_schema_org_terms() -> None:
    doc = schemaorg.dataset_jsonld(packages.unconditional(), site_url=SITE)
    doc["@context"] = {"@vocab": "http://schema.org/"}  # offline: no remote context fetch
    graph = Graph().parse(data=json.dumps(doc), format="json-ld")
    subject = URIRef(f"{SITE}/dataset/{PACKAGE_ID}")
    assert (subject, None, URIRef("http://schema.org/Dataset")) in graph
    assert len(list(graph.objects(subject, URIRef("http://schema.org/distribution")))) == 2
