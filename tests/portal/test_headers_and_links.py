"""Finding 7: security headers on every portal response, and resource links limited to
http, https and ftp -- refused by the validator, by the database (SQLite and
PostgreSQL), neutralised in existing rows by the migration, never printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from datasets.dictization import package_dict, resource_dict
from datasets.models import Package, Resource
from delta.migrations import alembic_config, upgrade
from tests.support.inprocess import LocalPortal, backend_portal
from tests.support.postgres import temporary_database

UNSAFE = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "//evil.example/x.csv",
    "http:evil.example",
    "mailto:someone@example.org",
    "ftp:/",
]
SAFE = ["https://example.org/a.csv", "http://example.org/a", "ftp://ftp.example.org/a.zip",
        "HTTPS://EXAMPLE.ORG/B.CSV", ""]  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPortal]:
    with backend_portal(request, tmp_path_factory, "links", ingest_worker=False) as portal:
        assert portal.api("sysadmin").post("organization_create", {"name": "links-org"}).ok
        yield portal


HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    "path",
    ["/", "/api/3/action/site_read", "/api/3/action/package_show?id=nothing",
     "/api/3/action/no_such_action", "/api/openapi.json", "/api/docs", "/no/such/page",
     "/dataset/x/resource/y/download/z.csv", "/datastore/dump/nothing"],
)  # fmt: skip
def test_security_headers_on_every_response(portal: LocalPortal, path: str) -> None:
    response = portal.client.get(path)
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
        if part.strip()
    )
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"])
    assert "*" not in policy["default-src"]


def _package(portal: LocalPortal, **fields: Any) -> Any:
    data = {"name": portal.new_name("links"), "owner_org": "links-org", **fields}
    return portal.api("sysadmin").post("package_create", data)


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_links_are_refused_everywhere(portal: LocalPortal, url: str) -> None:
    admin = portal.api("sysadmin")
    refused = _package(portal, resources=[{"url": url, "name": "bad"}])
    assert refused.status == 409, refused.body
    assert "url" in refused.error["resources"][0]
    assert _package(portal, url=url).status == 409
    created = _package(portal, resources=[{"url": "https://example.org/ok.csv"}]).result
    resource_id = created["resources"][0]["id"]
    for action, data in (
        ("resource_create", {"package_id": created["id"], "url": url}),
        ("resource_update", {"id": resource_id, "url": url}),
        ("resource_patch", {"id": resource_id, "url": url}),
        ("resource_patch", {"id": resource_id, "download_url": url}),
        ("package_patch", {"id": created["id"], "url": url}),
    ):
        answer = admin.post(action, data)
        assert answer.status == 409, (action, answer.body)
    shown = admin.post("package_show", {"id": created["id"]}).result
    assert shown["resources"][0]["url"] == "https://example.org/ok.csv"
    assert len(shown["resources"]) == 1


@pytest.mark.parametrize("url", SAFE)
def test_web_and_ftp_links_are_kept(portal: LocalPortal, url: str) -> None:
    created = _package(portal, url=url, resources=[{"url": url, "download_url": url}])
    assert created.ok, created.body
    assert created.result["resources"][0]["url"] == url
    assert created.result["url"] == (url or None)


def test_the_database_refuses_unsafe_links(portal: LocalPortal) -> None:
    """Past the validator (a bug, a script, a harvester writing directly)."""
    created = _package(portal, resources=[{"url": "https://example.org/a.csv"}]).result
    engine = sa.create_engine(portal.database_url)
    try:
        for statement in (
            "UPDATE resource SET url = :url WHERE package_id = :id",
            "UPDATE package SET url = :url WHERE id = :id",
        ):
            for url in ("javascript:alert(1)", "data:,x", "file:///etc/passwd"):
                with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
                    connection.execute(sa.text(statement), {"url": url, "id": created["id"]})
        with engine.begin() as connection:  # uploads keep their file name, links their URL
            connection.execute(
                sa.text(
                    "UPDATE resource SET url = 'a.csv', url_type = 'upload' WHERE package_id = :id"
                ),
                {"id": created["id"]},
            )
    finally:
        engine.dispose()


def test_printed_dicts_never_carry_unsafe_links() -> None:
    """Defence in depth at output: rows from before the database refused them."""
    package = Package(id="p1", name="p1", url="javascript:alert(1)", open_class="unconditional")
    resource = Resource(
        id="r1", package_id="p1", url="data:text/html,x", position=0, state="active",
        extras={"download_url": "file:///etc/passwd", "documentation": "https://example.org"},
    )  # fmt: skip
    package.resources = [resource]
    package.tags, package.groups, package.extras = [], [], []
    shown = package_dict(package, site_url="http://portal.example")
    assert shown["url"] is None
    assert shown["resources"][0]["url"] == ""
    assert "download_url" not in shown["resources"][0]
    assert shown["resources"][0]["documentation"] == "https://example.org"
    assert resource_dict(resource, site_url="http://portal.example")["url"] == ""


# -- the migration: existing rows ----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'portal.db'}"
        command.upgrade(alembic_config(url, package="open_portal"), "0003")
        yield url
        return
    with temporary_database() as url:
        command.upgrade(alembic_config(url, package="open_portal"), "0003")
        yield url


def test_the_migration_neutralises_existing_unsafe_links(database_at_0003: str) -> None:
    engine = sa.create_engine(database_at_0003)
    rows = {
        "bad": ("javascript:alert(1)", None),
        "data": ("DATA:text/html,x", None),
        "good": ("https://example.org/a.csv", None),
        "ftp": ("ftp://example.org/a.zip", None),
        "empty": ("", None),
        "upload": ("人口.csv", "upload"),
    }
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO package (id, name, title, notes, state, type, private, "
                    "open_class, url, metadata_created, metadata_modified) VALUES "
                    "('p1', 'p1', '', '', 'active', 'dataset', false, 'unconditional', "
                    "'javascript:void(0)', '2024-01-01', '2024-01-01')"
                )
            )
            for position, (name, (url, url_type)) in enumerate(rows.items()):
                connection.execute(
                    sa.text(
                        "INSERT INTO resource (id, package_id, position, url, url_type, state, "
                        "created, metadata_modified, extras) VALUES (:id, 'p1', :position, "
                        ":url, :url_type, 'active', '2024-01-01', '2024-01-01', '{}')"
                    ),
                    {"id": name, "position": position, "url": url, "url_type": url_type},
                )
        upgrade(database_at_0003, package="open_portal")
        with engine.connect() as connection:
            urls = dict(connection.execute(sa.text("SELECT id, url FROM resource")).all())
            package_url = connection.execute(sa.text("SELECT url FROM package")).scalar()
        kept = {"good": "https://example.org/a.csv", "ftp": "ftp://example.org/a.zip"}
        assert urls == {"bad": "", "data": "", "empty": "", "upload": "人口.csv", **kept}
        assert package_url is None
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE resource SET url = 'javascript:x' WHERE id = 'good'")
            )
    finally:
        engine.dispose()
