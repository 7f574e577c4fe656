"""Cached reads stay exact when another process changes the catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.portal.conftest import Deployment
from tests.support.ckan import Api
from tests.support.processes import PortalServer, free_port


@pytest.fixture(scope="module")
def twin(deployment: Deployment) -> Iterator[Api]:
    """A second server process on the same database and home."""
    port = free_port()
    env = {**deployment.server.env, "DELTA_SITE_URL": deployment.url}
    server = PortalServer(home=deployment.server.home / "twin", env=env, port=port)
    server.start()
    yield Api(server.url, deployment.tokens["sysadmin"])
    server.stop()


def test_reads_follow_writes_made_elsewhere(deployment: Deployment, twin: Api) -> None:
    here = deployment.api("sysadmin")
    name = deployment.new_name("cache")
    assert here.post(
        "package_create", {"name": name, "title": "第一版", "owner_org": "perm-org"}
    ).ok
    # Fill the twin's caches, then change the dataset and its organisation through this server.
    assert twin.post("package_show", {"id": name}).result["title"] == "第一版"
    assert name in twin.post("package_list", {}).result
    assert here.post("package_patch", {"id": name, "title": "第二版"}).ok
    assert twin.post("package_show", {"id": name}).result["title"] == "第二版"
    assert here.post("organization_patch", {"id": "perm-org", "title": "上海市测试局（新）"}).ok
    shown = twin.post("package_show", {"id": name}).result
    assert shown["organization"]["title"] == "上海市测试局（新）"
    assert here.post("package_patch", {"id": name, "private": True}).ok
    assert twin.post("package_show", {"id": name}).result["private"] is True
    assert Api(str(twin.client.base_url)).post("package_show", {"id": name}).status == 403
    assert name not in Api(str(twin.client.base_url)).post("package_list", {}).result
    assert here.post("package_delete", {"id": name}).ok
    assert name not in twin.post("package_list", {}).result
    assert here.post("organization_patch", {"id": "perm-org", "title": "上海市测试局"}).ok


def test_cached_dicts_are_not_shared_between_callers(deployment: Deployment) -> None:
    """A caller never sees another caller's view: private data only with permission."""
    admin = deployment.api("sysadmin")
    name = deployment.new_name("cache-private")
    assert admin.post("package_create", {"name": name, "owner_org": "perm-org", "private": True}).ok
    assert admin.post("package_show", {"id": name}).ok  # now cached
    assert deployment.api().post("package_show", {"id": name}).status == 403
    assert deployment.api("outsider").post("package_show", {"id": name}).status == 403
    assert deployment.api("member").post("package_show", {"id": name}).ok
