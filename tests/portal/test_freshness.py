"""Cheap freshness: two portals on one database (each its own engine, revision source,
cache and download counter -- what two processes have) stay exact without a query
per read; download counts show within their bound and none is lost at shutdown.

Two apps in one test process are valid here: SQLite's data_version is per
connection and each PostgreSQL listener has its own connection, so nothing is
shared between them but the database. The shutdown test uses a real server
process, because there the process boundary (SIGTERM) is the point.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, select

from datasets.dictization import LINK_SEGMENT, download_url
from datasets.models import DownloadCount
from delta import migrations
from delta.settings import load_settings
from open_portal.app import create_app
from open_portal.freshness import PostgresListener, SqliteDataVersion
from open_portal.runtime import Portal
from tests.support.inprocess import LocalApi, LocalPortal
from tests.support.postgres import temporary_database
from tests.support.processes import start_portal

# Long enough that a busy machine does not starve the counter thread past half of it
# (its refresh runs every half interval), short enough to keep the waits small.
FLUSH_SECONDS = 2.0


@dataclass
class Twins:
    a: LocalPortal
    b: LocalPortal
    backend: str

    def portal(self, which: LocalPortal) -> Portal:
        portal: Portal = which.app.state.portal
        return portal


def _app(stack: ExitStack, home: Path, database_url: str) -> TestClient:
    settings = load_settings(
        home=home,
        env="test",
        secret_key=secrets.token_urlsafe(32),
        site_url="http://testserver",
        database_url=database_url,
        log_level="WARNING",
        ingest_worker=False,
        download_count_flush_seconds=FLUSH_SECONDS,
    )
    return stack.enter_context(TestClient(create_app(settings), raise_server_exceptions=False))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def twins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Twins]:
    home: Path = tmp_path_factory.mktemp(f"fresh-{request.param}")
    with ExitStack() as stack:
        url = f"sqlite:///{home / 'portal.db'}"
        if request.param == "postgresql":
            url = stack.enter_context(temporary_database())
        migrations.upgrade(url, package="open_portal")
        sides = []
        for side in ("a", "b"):
            client = _app(stack, home / side, url)
            sides.append(LocalPortal(client.app, client, request.param, home / side, url))  # type: ignore[arg-type]
        a, b = sides
        token = a.add_user("fresh-admin", sysadmin=True)
        a.tokens["sysadmin"] = b.tokens["sysadmin"] = token
        org = a.api("sysadmin").post("organization_create", {"name": "fresh-org"})
        assert org.ok, org.body
        yield Twins(a, b, request.param)


def _statements(engine: Engine) -> list[str]:
    """Statements sent on behalf of requests: not the download counter's own thread,
    which writes and re-reads counts in the background (datasets/download_counter.py)."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread().name != "download-counts":
            seen.append(statement)

    return seen


def _show(api: LocalApi, name: str) -> dict[str, Any]:
    answer = api.get("package_show", id=name)
    assert answer.ok, answer.body
    return dict(answer.result)


def test_the_cheap_source_is_in_use(twins: Twins) -> None:
    source = twins.portal(twins.b).cache.source
    expected = SqliteDataVersion if twins.backend == "sqlite" else PostgresListener
    assert isinstance(source, expected)


def test_a_write_in_one_is_read_by_the_other_at_once(twins: Twins) -> None:
    writer, reader = twins.a.api("sysadmin"), twins.b.api()
    name = f"fresh-{secrets.token_hex(5)}"
    assert writer.post("package_create", {"name": name, "owner_org": "fresh-org"}).ok
    _show(reader, name)  # cached in B now
    for n in range(15):
        assert writer.post("package_patch", {"id": name, "title": f"版本 {n}"}).ok
        assert _show(reader, name)["title"] == f"版本 {n}"
        assert name in reader.get("package_list").result
    assert writer.post("package_patch", {"id": name, "private": True}).ok
    assert reader.get("package_show", id=name).status == 403
    assert name not in reader.get("package_list").result


def test_cached_reads_send_no_query(twins: Twins) -> None:
    """What makes it cheap: a repeated package_show / package_list touches no database."""
    writer, reader = twins.a.api("sysadmin"), twins.b.api()
    name = f"quiet-{secrets.token_hex(5)}"
    assert writer.post("package_create", {"name": name, "owner_org": "fresh-org"}).ok
    _show(reader, name), reader.get("package_list")  # fill B's caches
    seen = _statements(twins.portal(twins.b).engine)
    for _ in range(5):
        _show(reader, name)
        assert name in reader.get("package_list").result
    assert seen == []
    # ...and a write elsewhere makes the next read go to the database again.
    assert writer.post("package_patch", {"id": name, "title": "改"}).ok
    assert _show(reader, name)["title"] == "改"
    assert seen


def test_download_totals_are_kept_fresh_off_the_request_path(twins: Twins) -> None:
    """Past the totals' bound a read still sends no query: the counter's thread has
    re-read them; and what another process counted still shows within the bound."""
    package_id, resource_id = _link_dataset(twins)
    reader = twins.b.api()
    _show(reader, package_id), _show(reader, package_id)  # B reads its totals once
    time.sleep(3 * FLUSH_SECONDS)  # older than the bound, had nobody refreshed them
    seen = _statements(twins.portal(twins.b).engine)
    assert _show(reader, package_id)["downloads"] == 0
    assert seen == []
    _download(twins.a, package_id, resource_id)
    started = time.monotonic()
    while _show(reader, package_id)["downloads"] != 1:
        assert time.monotonic() - started < 2 * FLUSH_SECONDS + 1.0, "not shown within bound"
        time.sleep(0.05)
    assert seen == []


@pytest.mark.slow
def test_reads_stay_exact_while_the_listener_reconnects(twins: Twins) -> None:
    if twins.backend != "postgresql":
        pytest.skip("the listener is PostgreSQL's")
    listener = twins.portal(twins.b).cache.source
    assert isinstance(listener, PostgresListener) and listener.listening
    writer, reader = twins.a.api("sysadmin"), twins.b.api()
    name = f"relisten-{secrets.token_hex(5)}"
    assert writer.post("package_create", {"name": name, "owner_org": "fresh-org"}).ok
    _show(reader, name)
    pid = listener.backend_pid
    url = twins.a.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    # While it is gone (or not yet noticed), a write elsewhere is still seen at once.
    assert writer.post("package_patch", {"id": name, "title": "断开后"}).ok
    assert _show(reader, name)["title"] == "断开后"
    deadline = time.monotonic() + 30
    while not (listener.listening and listener.backend_pid not in (None, pid)):
        assert time.monotonic() < deadline, "the listener did not reconnect"
        assert _show(reader, name)["title"] == "断开后"
        time.sleep(0.05)
    assert writer.post("package_patch", {"id": name, "title": "重连后"}).ok
    assert _show(reader, name)["title"] == "重连后"


def _link_dataset(twins: Twins) -> tuple[str, str]:
    writer = twins.a.api("sysadmin")
    name = f"counted-{secrets.token_hex(5)}"
    created = writer.post(
        "package_create",
        {
            "name": name,
            "owner_org": "fresh-org",
            "resources": [{"url": "https://example.org/data.csv", "format": "CSV"}],
        },
    )
    assert created.ok, created.body
    return created.result["id"], created.result["resources"][0]["id"]


def _download(portal: LocalPortal, package_id: str, resource_id: str) -> None:
    url = download_url("", package_id, resource_id, LINK_SEGMENT)
    response = portal.client.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text


def test_download_counts_show_here_at_once_and_there_within_the_bound(twins: Twins) -> None:
    package_id, resource_id = _link_dataset(twins)
    for _ in range(3):
        _download(twins.a, package_id, resource_id)
    shown = _show(twins.a.api(), package_id)  # the counting process: at once
    assert shown["downloads"] == 3 and shown["resources"][0]["downloads"] == 3
    _show(twins.b.api(), package_id)  # B caches its total now
    started = time.monotonic()
    while _show(twins.b.api(), package_id)["downloads"] != 3:
        assert time.monotonic() - started < 2 * FLUSH_SECONDS + 1.0, "not shown within bound"
        time.sleep(0.05)
    # Flushed into the table, counted once.
    with twins.portal(twins.b).sessions() as session:
        assert (
            session.scalar(
                select(func.sum(DownloadCount.count)).where(
                    DownloadCount.resource_id == resource_id
                )
            )
            == 3
        )
    assert _show(twins.a.api(), package_id)["downloads"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_counted_download_is_lost_at_shutdown(backend: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        url = None
        if backend == "postgresql":
            url = stack.enter_context(temporary_database())
        # Flushes an hour apart: only the shutdown can have written the counts.
        server = start_portal(tmp_path, database_url=url, DELTA_DOWNLOAD_COUNT_FLUSH_SECONDS="3600")
        stack.callback(server.stop)
        server.cli("user", "create", "counter", "--email", "c@example.org",
                   "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
        token = server.cli("token", "create", "counter", "--name", "t").strip()
        api = httpx.Client(base_url=server.url, headers={"Authorization": token}, timeout=60)
        assert (
            api.post("/api/3/action/organization_create", json={"name": "count-org"}).status_code
            == 200
        )
        created = api.post("/api/3/action/package_create", json={
            "name": "counted", "owner_org": "count-org",
            "resources": [{"url": "https://example.org/x.csv"}]}).json()["result"]  # fmt: skip
        resource_id = created["resources"][0]["id"]
        link = download_url(server.url, created["id"], resource_id, LINK_SEGMENT)
        for _ in range(7):
            assert httpx.get(link, follow_redirects=False).status_code == 302
        shown = api.get("/api/3/action/resource_show", params={"id": resource_id}).json()
        assert shown["result"]["downloads"] == 7
        api.close()
        database = url or f"sqlite:///{tmp_path / 'portal.db'}"
        engine = create_engine(database)
        count = select(func.coalesce(func.sum(DownloadCount.count), 0))
        with engine.connect() as connection:
            assert connection.scalar(count) == 0  # all still in memory
        server.stop()  # SIGTERM: the lifespan's shutdown writes them
        with engine.connect() as connection:
            assert connection.scalar(count) == 7
        engine.dispose()


def test_facet_titles_are_read_for_the_facet_values_only(twins: Twins) -> None:
    writer = twins.a.api("sysadmin")
    assert writer.post("organization_create", {"name": "unlisted-org", "title": "不列出"}).ok
    name = f"faceted-{secrets.token_hex(5)}"
    assert writer.post(
        "package_create", {"name": name, "owner_org": "fresh-org", "title": "分面"}
    ).ok
    seen = _statements(twins.portal(twins.a).engine)
    answer = writer.get("package_search", q=f"name:{name}", **{"facet.field": '["organization"]'})
    items = answer.result["search_facets"]["organization"]["items"]
    assert items == [{"name": "fresh-org", "display_name": "fresh-org", "count": 1}]
    titles = [s for s in seen if "FROM catalog_group" in s]
    assert titles and all(" IN " in s for s in titles), titles


def test_facet_titles_are_cached_and_a_new_title_is_seen_by_every_process(twins: Twins) -> None:
    """Titles are cached per catalog revision; a rename in the other process moves it."""
    searcher, renamer = twins.a.api("sysadmin"), twins.b.api("sysadmin")
    org = f"titled-{secrets.token_hex(4)}"
    assert searcher.post("organization_create", {"name": org, "title": "旧标题"}).ok
    assert searcher.post("package_create", {"name": f"{org}-data", "owner_org": org}).ok
    params = {"q": f"name:{org}-data", "facet.field": '["organization"]'}

    def title() -> str:
        answer = searcher.get("package_search", **params)
        (item,) = answer.result["search_facets"]["organization"]["items"]
        return str(item["display_name"])

    assert title() == "旧标题"
    seen = _statements(twins.portal(twins.a).engine)
    assert title() == "旧标题"
    assert not [s for s in seen if "FROM catalog_group" in s]  # the second time: cached
    assert renamer.post("organization_patch", {"id": org, "title": "新标题"}).ok
    assert title() == "新标题"
