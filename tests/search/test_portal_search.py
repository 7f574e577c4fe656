"""package_search through the portal's CKAN API on both engines (SQLite FTS5 and
Elasticsearch), in process: the real app, a real database, a real index."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.search.conftest import BACKENDS
from tests.support.inprocess import LocalPortal, local_portal

# (name, region_code): a province, its cities and districts, and a neighbour.
REGIONAL = [
    ("sh-city", "310000"),
    ("sh-xuhui", "310104"),
    ("sh-pudong", "310115"),
    ("js-province", "320000"),
    ("js-suzhou", "320500"),
    ("js-suzhou-gusu", "320508"),
    ("js-nanjing", "320100"),
    ("zj-hangzhou", "330100"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPortal]:
    settings: dict[str, str] = {}
    if request.param == "elasticsearch":
        node = request.getfixturevalue("es_node")
        settings["search_url"] = f"{node.url}/delta-portal-{uuid.uuid4().hex[:8]}"
    home: Path = tmp_path_factory.mktemp(f"portal-search-{request.param}")
    with local_portal(home, "sqlite", **settings) as portal:
        portal.tokens["sysadmin"] = portal.add_user("search-admin", sysadmin=True)
        admin = portal.api("sysadmin")
        assert admin.post("organization_create", {"name": "region-org"}).ok
        for name, code in REGIONAL:
            created = admin.post(
                "package_create",
                {"name": name, "title": f"区域 {name}", "owner_org": "region-org",
                 "region_code": code, "tags": [{"name": "交通"}]},
            )  # fmt: skip
            assert created.ok, created.body
        yield portal
        drop = getattr(portal.app.state.portal.search, "drop", None)
        if drop is not None:
            drop()


@pytest.mark.parametrize(
    "params",
    [{"q": "("}, {"q": "a ("}, {"fq": "("}, {"q": "title:("}, {"fq": "a OR ("}],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_an_unclosed_parenthesis_is_a_search_query_error(
    portal: LocalPortal, params: dict[str, str]
) -> None:
    """Finding 5: these answered 500 on both engines."""
    answer = portal.api().get("package_search", **params)
    assert answer.status == 400, answer.body
    assert answer.error_type == "Search Query Error"
    assert "'('" in answer.error["message"]
