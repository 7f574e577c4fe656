"""Fixtures shared by more than one test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.search.es_node import NodeUnavailable, TestNode, start_test_node


@pytest.fixture(scope="session")
def es_node() -> Iterator[TestNode]:
    """One Elasticsearch node for the session (the search tests and the scale-out test)."""
    try:
        node = start_test_node()
    except NodeUnavailable as exc:
        pytest.skip(f"Elasticsearch test node unavailable: {exc}")
    print(f"\nElasticsearch test node {node.url} started in {node.startup_seconds:.1f} s")
    yield node
    node.stop()
