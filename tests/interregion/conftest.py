"""One federation of four real nodes for the whole session (each test uses its own browser)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster, new_cluster

TTL_SECONDS = 2


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # A two-second status-list TTL makes "seen within the TTL" observable (test_licence_pairs).
    running = new_cluster(
        tmp_path_factory.mktemp("federation"), DELTA_LICENCE_STATUS_TTL_SECONDS=str(TTL_SECONDS)
    )
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
