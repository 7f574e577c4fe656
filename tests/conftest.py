"""Fixtures shared by more than one test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.search.es_node import NodeUnavailable, TestNode, start_test_node


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadfile` as `make test` runs it: files (or a database's half of one) go
    to workers longest first (tests/support/scheduling.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.support.scheduling import longest_first_scheduler

    return longest_first_scheduler(config, log)


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
