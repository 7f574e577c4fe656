"""What only the Elasticsearch backend has: the URL, the alias and its versions."""

from __future__ import annotations

import pytest

from search import open_backend
from search.elasticsearch import ElasticsearchBackend, split_search_url
from search.errors import SearchBackendError
from search.protocol import SearchQuery
from tests.search.catalog import index_docs

pytestmark = pytest.mark.elasticsearch


def test_search_url_names_the_alias() -> None:
    assert split_search_url("http://es:9200") == ("http://es:9200", "delta-catalog")
    assert split_search_url("https://u:p@es:9243/catalog/") == ("https://u:p@es:9243", "catalog")
    with pytest.raises(SearchBackendError, match="index name"):
        split_search_url("http://es:9200/Not An Index")


def test_an_unreachable_cluster_is_a_backend_error() -> None:
    with pytest.raises(SearchBackendError):
        ElasticsearchBackend("http://127.0.0.1:9", request_timeout=1)


def test_open_backend_and_zero_downtime_reindex(es_node) -> None:
    backend = open_backend(f"{es_node.url}/delta-open-test", index_path=None)  # type: ignore[arg-type]
    assert isinstance(backend, ElasticsearchBackend) and backend.alias == "delta-open-test"
    try:
        backend.bulk_index(index_docs())
        before = backend._versions()
        assert len(before) == 1
        backend.reindex(index_docs())
        after = backend._versions()
        assert len(after) == 1 and after != before
        assert not backend.es.indices.exists(index=before[0])
        assert backend.search(SearchQuery(q="养老院")).results[0]["name"] == "elderly-suzhou"
        health = backend.health()
        assert health.ok and health.documents == len(index_docs())
        assert "reindex" not in health.detail
    finally:
        backend.drop()
        backend.close()


def test_an_index_made_before_the_province_field_takes_it_on_open(es_node) -> None:
    """The mapping is strict: an index created before ``province`` existed refused every
    document carrying it until reindexed. Opening the backend adds the new fields."""
    from elasticsearch import Elasticsearch

    from search import es_dsl
    from search.protocol import IndexDoc

    old = es_dsl.mappings()
    for field in ("kw_province", "facet_province"):
        del old["properties"][field]
    es = Elasticsearch(es_node.url)
    try:
        es.indices.delete(index="delta-old-mapping-v1", ignore_unavailable=True)
        settings = es_dsl.index_settings(shards=1, replicas=0, max_result_window=10_000)
        es.indices.create(index="delta-old-mapping-v1", settings=settings, mappings=old)
        es.indices.put_alias(index="delta-old-mapping-v1", name="delta-old-mapping")
        backend = ElasticsearchBackend(es_node.url, index_prefix="delta-old-mapping")
        package = {"id": "p1", "name": "p1", "region_code": "310104", "state": "active"}
        backend.index(IndexDoc(package, ["public"]))
        found = backend.search(
            SearchQuery(fq=["province:310000"], facet_fields=["province"], rows=1)
        )
        assert found.count == 1 and found.facets["province"] == {"310000": 1}
    finally:
        es.indices.delete(index="delta-old-mapping*", ignore_unavailable=True)
        es.close()
