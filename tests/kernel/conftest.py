"""In-process apps shared by the kernel tests: the portal and one region node, each on a
fresh home (creating a node's demo keys takes seconds, so once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.inprocess_portal import portal_client, portal_settings


@pytest.fixture(scope="session")
def portal_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = portal_settings(tmp_path_factory.mktemp("kernel-portal"))
    with portal_client(settings) as client:
        yield client


@pytest.fixture(scope="session")
def node_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from interregion.app import create_node_app
    from interregion.clock import utcnow
    from interregion.federation.members import demo_base_urls
    from interregion.federation.provisioning import provision
    from tests.support.processes import free_base_port

    home = tmp_path_factory.mktemp("kernel-node")
    settings = portal_settings(home)
    provision(home, base_urls=demo_base_urls("127.0.0.1", free_base_port()), now=utcnow())
    with TestClient(create_node_app(settings, "320000")) as client:
        yield client
