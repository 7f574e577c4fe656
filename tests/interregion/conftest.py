"""One federation of four real nodes for the whole session (each test uses its own browser)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster, new_cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = new_cluster(tmp_path_factory.mktemp("federation"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    session = Browser()
    try:
        yield session
    finally:
        session.close()
