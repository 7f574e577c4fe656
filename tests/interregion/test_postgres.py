"""The scale-out shape: nodes on PostgreSQL, one schema per node in a shared database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster, new_cluster
from tests.interregion.flows import full_login, person
from tests.support.postgres import temporary_database

pytestmark = pytest.mark.postgres
NODES = ("310000", "320000")


@pytest.fixture(scope="module")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, str]]:
    with temporary_database("delta_nodes") as url:
        # Folded refusal counts are written within a second or two (test_audit_flood.py).
        running = new_cluster(
            tmp_path_factory.mktemp("pg-federation"),
            DELTA_DATABASE_URL=url,
            DELTA_NODE_AUDIT_FOLD_SECONDS="1",
        )
        try:
            running.start(NODES)
            yield running, url
        finally:
            running.stop()


def test_sso_and_audit_on_postgresql(pg_cluster: tuple[Cluster, str]) -> None:
    cluster, url = pg_cluster
    browser = Browser()
    try:
        page = full_login(browser, cluster, sp="320000", who=person("310000", "company"),
                          home="310000")  # fmt: skip
    finally:
        browser.close()
    assert page.url.endswith("/service") and page.text_of("person-name")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        schemas = {
            row[0]
            for row in connection.execute(
                "SELECT schema_name FROM information_schema.schemata"
                " WHERE schema_name LIKE 'node_%'"
            )
        }
        assert schemas == {f"node_{code}" for code in NODES}
        for code in NODES:
            count = connection.execute(
                f'SELECT count(*) FROM "node_{code}".audit_record'
            ).fetchone()
            assert count is not None and count[0] > 0
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            connection.execute('DELETE FROM "node_310000".audit_record')
    for code in NODES:
        assert '"ok": true' in cluster.cli("audit", "verify", "--region", code)
    assert not (Path(cluster.home) / "nodes" / "310000" / "node.db").exists()


def test_parallel_wrong_passwords_lock_the_account_on_postgresql(
    pg_cluster: tuple[Cluster, str],
) -> None:
    """READ COMMITTED loses read-modify-write updates: the count must be atomic there too."""
    cluster, url = pg_cluster
    who = person("320000", "visitor")
    browser = Browser()
    try:
        page = browser.get(f"{cluster.url('320000')}/idp/window?to=310000&level=low")
        form = page.form()
        guess = {**form.fields, "username": who.username, "password": "guess"}

        def attempt(_: int) -> int:
            return browser.client.post(form.action, data=guess, follow_redirects=False).status_code

        with ThreadPoolExecutor(20) as pool:
            assert set(pool.map(attempt, range(20))) == {303}
        right = browser.submit(page, username=who.username, password=who.password)
        assert right.status == 401, "the account must be locked"
    finally:
        browser.close()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    time.sleep(2.5)  # identical refusals are one record and a count once their window closes
    with psycopg.connect(plain) as connection:
        checked = connection.execute(
            "SELECT sum(coalesce((detail->>'folded')::int, 1))"
            " FROM node_320000.audit_record WHERE event = 'idp.login'"
            " AND actor = %s AND reason IN ('wrong-password', 'locked-now')",
            (f"username:{who.username}",),
        ).fetchone()
    assert checked is not None and checked[0] == 5
