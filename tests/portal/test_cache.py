"""Cached reads stay exact when another process changes the catalog."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from datasets.models import Base, CatalogRevision, IngestJob, Package, Resource
from datasets.validation import jobs
from delta.db import make_engine, make_session_factory
from open_portal.cache import track_catalog_changes
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


def test_statements_that_bypass_the_flush_move_the_revision(tmp_path: Path) -> None:
    """The ingest queue marks a resource failed with an UPDATE statement, not through the
    unit of work; the revision must move all the same, or every process keeps serving
    the cached package dict with its file still "pending"."""
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    track_catalog_changes(sessions)
    with sessions.begin() as session:
        session.add(CatalogRevision(id=1, revision=0))
        session.add(Package(id="p1", name="p1"))
        session.add(Resource(id="r1", package_id="p1", storage_key="k1"))
        session.add(IngestJob(id="j1", resource_id="r1", storage_key="k1"))

    def revision() -> int:
        with sessions() as session:
            return int(session.scalar(select(CatalogRevision.revision)) or 0)

    before = revision()
    job = jobs.ClaimedJob(id="j1", resource_id="r1", storage_key="k1", attempts=jobs.MAX_ATTEMPTS)
    assert jobs.fail(sessions, job, "boom", retry_in=timedelta(seconds=1)) == "p1"
    with sessions() as session:
        assert session.get(Resource, "r1").validation_status == "error"  # type: ignore[union-attr]
    assert revision() == before + 1
    engine.dispose()
