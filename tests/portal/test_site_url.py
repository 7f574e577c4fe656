"""Links follow the address the portal is served on; nothing stored bakes one in.

The same catalogue (database, search index, files) served under a second site URL
prints every link -- download URLs in package_show, package_search and the activity
stream, validation URLs, help URLs, the front page -- under the second one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from tests.support.inprocess_portal import portal_client, portal_settings, sysadmin_token
from tests.support.postgres import temporary_database

FIRST = "http://first.example:8000"
SECOND = "http://127.0.0.1:9137"
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def catalogue(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A dataset with an uploaded file, written while the portal was served at FIRST."""
    home: Path = tmp_path_factory.mktemp(f"site-url-{request.param}")
    with temporary_database() if request.param == "postgresql" else nullcontext() as database_url:
        settings = portal_settings(home, database_url, site_url=FIRST)
        token = sysadmin_token(settings)
        auth = {"Authorization": token}
        with portal_client(settings) as client:
            client.post(
                "/api/3/action/organization_create",
                json={"name": "site-org", "title": "上海市链接局", "region_code": "310000"},
                headers=auth,
            ).raise_for_status()
            package = client.post(
                "/api/3/action/package_create",
                json={"name": "site-links", "title": "链接测试", "owner_org": "site-org"},
                headers=auth,
            ).json()["result"]
            resource = client.post(
                "/api/3/action/resource_create",
                data={"package_id": package["id"], "name": "data.csv"},
                files={"upload": ("data.csv", b"a,b\n1,2\n")},
                headers=auth,
            ).json()["result"]
            client.post(
                "/api/3/action/package_patch",
                json={"id": package["id"], "notes": "second version"},
                headers=auth,
            ).raise_for_status()
        assert resource["url"].startswith(f"{FIRST}/dataset/{package['id']}/resource/")
        yield {"home": home, "database_url": database_url, "token": token, "package": package}


@pytest.fixture(scope="module")
def second(catalogue: dict[str, Any]) -> Iterator[Any]:
    settings = portal_settings(catalogue["home"], catalogue["database_url"], site_url=SECOND)
    with portal_client(settings) as client:
        yield client


def urls_in(value: Any) -> list[str]:
    return URL.findall(value if isinstance(value, str) else repr(value))


def own_urls(value: Any) -> list[str]:
    """The URLs that are the portal's own (not licence or other external links)."""
    return [u for u in urls_in(value) if "/dataset/" in u or "/api/" in u]


def test_package_show_search_and_activity_print_the_serving_address(
    catalogue: dict[str, Any], second: Any
) -> None:
    package_id = catalogue["package"]["id"]
    shown = second.get("/api/3/action/package_show", params={"id": package_id}).json()
    found = second.get("/api/3/action/package_search", params={"q": "name:site-links"}).json()
    activity = second.get(
        "/api/3/action/package_activity_list",
        params={"id": package_id},
        headers={"Authorization": catalogue["token"]},
    ).json()
    assert found["result"]["count"] == 1
    for answer in (shown, found, activity):
        links = own_urls(answer)
        assert links, answer
        assert all(link.startswith(SECOND + "/") for link in links), links
    assert "first.example" not in repr(found) + repr(activity) + repr(shown)
    # The search result is the same dict package_show prints.
    assert found["result"]["results"][0]["resources"] == shown["result"]["resources"]
    assert len(activity["result"]) == 3
    recorded = activity["result"][0]["data"]["package"]["resources"]
    assert recorded[0]["url"] == shown["result"]["resources"][0]["url"]


def test_the_download_url_it_prints_serves_the_file(second: Any, catalogue: dict[str, Any]) -> None:
    shown = second.get("/api/3/action/package_show", params={"id": "site-links"}).json()
    url = shown["result"]["resources"][0]["url"]
    assert url.startswith(SECOND)
    assert second.get(url.removeprefix(SECOND)).content == b"a,b\n1,2\n"


def test_help_urls_status_and_front_page_follow(second: Any) -> None:
    missing = second.get("/api/3/action/package_show", params={"id": "nope"}).json()
    assert missing["help"] == f"{SECOND}/api/3/action/help_show?name=package_show"
    assert second.get("/api/3/action/status_show").json()["result"]["site_url"] == SECOND
    page = second.get("/").text
    assert 'action="/dataset"' in page  # site-relative: follows the serving address
    assert all(u.startswith(SECOND) for u in own_urls(page))


def test_nothing_stored_names_the_host(catalogue: dict[str, Any]) -> None:
    """Search index and activity records are site-relative: no old address survives in them."""
    stored = [p for p in catalogue["home"].rglob("*.db*") if p.is_file()]
    assert any(p.name.startswith("catalog.db") for p in stored)
    for path in stored:
        assert b"first.example" not in path.read_bytes(), path


# What each extension status_show may list must show; add a line when one lands.
# What each listed extension must really offer: its actions, and the pages it serves.
EXTENSION_EVIDENCE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "delta-datastore": (("datastore_create", "datastore_search", "datastore_search_sql"), ()),
    "delta-search": (("package_search",), ()),
    "delta-harvest": (("harvest_source_create", "harvest_source_list", "harvest_job_create"), ()),
    "delta-dcat": ((), ("/catalog.ttl", "/catalog.jsonld")),
}


def test_status_show_lists_only_extensions_that_exist(second: Any) -> None:
    from open_portal.ckan import registry

    listed = second.get("/api/3/action/status_show").json()["result"]["extensions"]
    assert set(listed) <= set(EXTENSION_EVIDENCE), f"say how to check {listed}"
    for name in listed:
        actions, pages = EXTENSION_EVIDENCE[name]
        assert all(registry.get(action) for action in actions), name
        assert all(second.get(page).status_code == 200 for page in pages), name
