"""Elasticsearch writes through the real portal: read-your-writes without a refresh
wait on each write, bulk reindexing, and an index that knows its catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from search.elasticsearch import BULK_CHUNK, ElasticsearchBackend
from search.errors import SearchBackendError
from search.protocol import IndexDoc, SearchQuery
from tests.support.inprocess import LocalPortal, local_portal

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def search_url(es_node) -> Iterator[str]:
    alias = f"delta-writes-{uuid.uuid4().hex[:8]}"
    yield f"{es_node.url}/{alias}"
    es = Elasticsearch(es_node.url)
    es.indices.delete(index=f"{alias}*", ignore_unavailable=True)
    es.close()


def _admin(portal: LocalPortal) -> None:
    portal.tokens["sysadmin"] = portal.add_user(f"admin-{uuid.uuid4().hex[:6]}", sysadmin=True)
    org = portal.api("sysadmin").post("organization_create", {"name": "rw-org", "title": "测试局"})
    assert org.ok, org.body


def _create(portal: LocalPortal, name: str, title: str) -> dict:
    answer = portal.api("sysadmin").post(
        "package_create", {"name": name, "title": title, "owner_org": "rw-org"}
    )
    assert answer.ok, answer.body
    return answer.result


def _search(portal: LocalPortal, **params: object) -> dict:
    answer = portal.api().post("package_search", {"rows": 1000, **params})
    assert answer.ok, answer.body
    return answer.result


def test_a_write_is_searchable_by_the_next_request(tmp_path: Path, search_url: str) -> None:
    with local_portal(tmp_path, "sqlite", search_url=search_url) as portal:
        _admin(portal)
        api = portal.api("sysadmin")
        for round_ in range(3):  # each search comes straight after its write, no sleeping
            name = f"fresh-{round_}-{uuid.uuid4().hex[:6]}"
            created = _create(portal, name, f"Kingfisher survey {round_}")
            found = _search(portal, q=f"name:{name}")
            assert [d["id"] for d in found["results"]] == [created["id"]]

            assert api.post("package_patch", {"id": name, "title": "Heron census"}).ok
            found = _search(portal, q=f"name:{name}")
            assert found["results"][0]["title"] == "Heron census"

            assert api.post("package_delete", {"id": name}).ok
            assert _search(portal, q=f"name:{name}")["count"] == 0


def test_two_fresh_databases_never_share_an_index(tmp_path: Path, search_url: str) -> None:
    with local_portal(tmp_path / "a", "sqlite", search_url=search_url) as first:
        _admin(first)
        mine = {_create(first, f"first-{i}", f"First catalogue {i}")["id"] for i in range(3)}
        assert {d["id"] for d in _search(first)["results"]} == mine

    # A fresh database against the same index: the first catalogue is not served.
    with local_portal(tmp_path / "b", "sqlite", search_url=search_url) as second:
        _admin(second)
        assert _search(second)["count"] == 0
        theirs = _create(second, "second-0", "Second catalogue")["id"]
        assert [d["id"] for d in _search(second)["results"]] == [theirs]

    # Told to refuse, a third fresh database does not start on the second's index.
    refusing = local_portal(
        tmp_path / "c", "sqlite", search_url=search_url, search_foreign_index="refuse"
    )
    with pytest.raises(SearchBackendError, match="another catalogue"), refusing:
        pass

    # The first database again: its index is gone, so it is rebuilt from the database.
    with local_portal(tmp_path / "a", "sqlite", search_url=search_url) as first:
        assert {d["id"] for d in _search(first)["results"]} == mine


def test_reindex_is_bulk_with_progress_and_takes_over_a_foreign_index(
    es_node, search_url: str
) -> None:
    _, alias = search_url.rsplit("/", 1)
    foreign = ElasticsearchBackend(es_node.url, index_prefix=alias, catalogue="someone-else")
    foreign.index(IndexDoc({"id": "theirs", "name": "theirs", "state": "active"}, ["public"]))
    foreign.close()

    with pytest.raises(SearchBackendError, match="another catalogue"):
        ElasticsearchBackend(es_node.url, index_prefix=alias, catalogue="ours", foreign="refuse")

    ours = ElasticsearchBackend(
        es_node.url, index_prefix=alias, catalogue="ours", foreign="rebuild"
    )
    try:
        assert ours.needs_rebuild and ours.count() == 0
        total = 2 * BULK_CHUNK + 7
        docs = (
            IndexDoc({"id": f"d{i:05}", "name": f"d{i:05}", "state": "active"}, ["public"])
            for i in range(total)
        )
        seen: list[int] = []
        assert ours.reindex(docs, progress=seen.append) == total
        assert seen == [BULK_CHUNK, 2 * BULK_CHUNK, total]
        assert ours.count() == total and ours.index_catalogues() == {"ours"}
        assert ours.search(SearchQuery(q="name:theirs")).count == 0
        # Reopened for the same catalogue: accepted as it is, nothing to rebuild.
        again = ElasticsearchBackend(es_node.url, index_prefix=alias, catalogue="ours")
        assert not again.needs_rebuild and again.count() == total
        again.close()
    finally:
        ours.drop()
        ours.close()


def _bulk_requests(es: Elasticsearch, alias: str) -> int:
    """Write requests the index has served (a single-document write counts as one)."""
    stats = es.indices.stats(index=alias, metric="bulk")
    return int(stats["_all"]["primaries"]["bulk"]["total_operations"])


def test_a_change_to_many_datasets_is_one_bulk_request(
    tmp_path: Path, es_node, search_url: str
) -> None:
    """A harvest batch commits many datasets in one unit of work: one bulk request."""
    from datasets import packages
    from datasets.policy import Principal

    _, alias = search_url.rsplit("/", 1)
    es = Elasticsearch(es_node.url)
    with local_portal(tmp_path, "sqlite", search_url=search_url) as portal:
        _admin(portal)
        actor = Principal(user_id="batch", name="batch", sysadmin=True)
        before = _bulk_requests(es, alias)
        with portal.app.state.portal.unit_of_work() as unit:
            for i in range(5):
                packages.create_package(
                    unit, actor=actor, data={"name": f"batch-{i}", "owner_org": "rw-org"}
                )
        assert _bulk_requests(es, alias) - before == 1
        names = {d["name"] for d in _search(portal)["results"]}
        assert names == {f"batch-{i}" for i in range(5)}
    es.close()


def test_delta_search_reindex_takes_over_a_foreign_index(
    tmp_path: Path, es_node, search_url: str
) -> None:
    """Even where the portal refuses a foreign index, the reindex command replaces it."""
    from delta.db import make_engine, make_session_factory
    from open_portal.runtime import catalogue_id
    from tests.support.processes import base_env, delta

    _, alias = search_url.rsplit("/", 1)
    foreign = ElasticsearchBackend(es_node.url, index_prefix=alias, catalogue="someone-else")
    foreign.index(IndexDoc({"id": "theirs", "name": "theirs", "state": "active"}, ["public"]))
    foreign.close()
    env = base_env(tmp_path, DELTA_SEARCH_URL=search_url, DELTA_SEARCH_FOREIGN_INDEX="refuse")
    delta("db", "upgrade", env=env)
    assert delta("search", "reindex", env=env).strip() == "0"

    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    ours = catalogue_id(make_session_factory(engine))
    engine.dispose()
    backend = ElasticsearchBackend(es_node.url, index_prefix=alias, catalogue=ours)
    assert backend.index_catalogues() == {ours} and backend.count() == 0
    backend.close()


def test_a_write_through_one_process_is_searchable_through_another(
    tmp_path: Path, search_url: str
) -> None:
    """Two portal processes behind a balancer (two apps here, each with its own client of
    the index): the caller's next search may land on the other one."""
    from fastapi.testclient import TestClient

    from open_portal.app import create_app
    from tests.support.inprocess import LocalApi

    with local_portal(tmp_path, "sqlite", search_url=search_url) as first:
        _admin(first)
        other_app = create_app(first.app.state.portal.settings)
        with TestClient(other_app, raise_server_exceptions=False) as client:
            other = LocalApi(client)
            for round_ in range(3):
                name = f"elsewhere-{round_}-{uuid.uuid4().hex[:6]}"
                created = _create(first, name, f"Otter count {round_}")
                found = other.post("package_search", {"q": f"name:{name}"}).result
                assert [d["id"] for d in found["results"]] == [created["id"]]
