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
