"""Backends for the search tests: real SQLite files and a real Elasticsearch node.

The Elasticsearch node is started once per session by
scripts/elasticsearch-test-node and stopped at the end. Its tests are skipped
only when the node cannot be provisioned (no npm, no network), with the
script's message; any other failure fails them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from search.protocol import SearchBackend
from tests.search.catalog import index_docs
from tests.search.es_node import TestNode

BACKENDS = ["fts5", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]
_names = itertools.count()

# es_node (one Elasticsearch node for the whole session) is in tests/conftest.py.


def open_test_backend(kind: str, request: pytest.FixtureRequest, tmp: Path) -> SearchBackend:
    if kind == "fts5":
        from search.fts5 import Fts5Backend

        return Fts5Backend(tmp / f"catalog-{next(_names)}.db")
    from search.elasticsearch import ElasticsearchBackend

    node: TestNode = request.getfixturevalue("es_node")
    return ElasticsearchBackend(node.url, index_prefix=f"delta-test-{next(_names)}")


def dispose(backend: SearchBackend) -> None:
    drop = getattr(backend, "drop", None)
    if drop is not None:
        drop()
    backend.close()


@pytest.fixture(scope="module", params=BACKENDS)
def catalog(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The test catalogue, indexed once per module and backend; tests only read it."""
    backend = open_test_backend(request.param, request, tmp_path_factory.mktemp("catalog"))
    backend.bulk_index(index_docs())
    yield backend
    dispose(backend)


@pytest.fixture(params=BACKENDS)
def empty_backend(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty backend for tests that write."""
    backend = open_test_backend(request.param, request, tmp_path)
    yield backend
    dispose(backend)
