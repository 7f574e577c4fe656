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


def names(portal: LocalPortal, **params: str) -> set[str]:
    answer = portal.api().get("package_search", rows="100", **params)
    assert answer.ok, answer.body
    return {r["name"] for r in answer.result["results"]}


SHANGHAI = {"sh-city", "sh-xuhui", "sh-pudong"}
JIANGSU = {"js-province", "js-suzhou", "js-suzhou-gusu", "js-nanjing"}
EVERY = {name for name, _ in REGIONAL}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region_code:310000", SHANGHAI),
        ("region_code:320000", JIANGSU),
        ("region_code:320500", {"js-suzhou", "js-suzhou-gusu"}),
        ("region_code:310104", {"sh-xuhui"}),
        ("region_code:(310000 OR 330000)", SHANGHAI | {"zj-hangzhou"}),
        ("-region_code:320000", EVERY - JIANGSU),
        ("province:320000", JIANGSU),
        ("province:330000", {"zj-hangzhou"}),
        ("province:320500", set()),  # a city is not a province
    ],
)
def test_a_region_includes_what_lies_inside_it(
    portal: LocalPortal, query: str, expected: set[str]
) -> None:
    """Finding 6: fq=region_code:310000 found only datasets coded 310000 itself, not
    those of its districts (the front page counted them all)."""
    assert names(portal, fq=query) == expected
    assert names(portal, q=query) == expected


def test_region_facets_count_what_lies_inside(portal: LocalPortal) -> None:
    answer = portal.api().get(
        "package_search", rows="0", **{"facet.field": '["region_code", "province"]'},
        **{"facet.limit": "-1"},
    )  # fmt: skip
    facets = answer.result["facets"]
    assert facets["province"] == {"310000": 3, "320000": 4, "330000": 1}
    regions = facets["region_code"]
    assert {code: regions[code] for code in ("310000", "320000", "320500", "310104")} == {
        "310000": 3,
        "320000": 4,
        "320500": 2,
        "310104": 1,
    }
    # Each count is what filtering on that value finds.
    for code, count in regions.items():
        assert len(names(portal, fq=f"region_code:{code}")) == count, code
    shown = answer.result["search_facets"]["province"]["items"]
    assert {item["name"]: item["display_name"] for item in shown}["310000"] == "上海市"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rows": "100000"}, "rows must be at most 1000"),
        ({"start": "10000000"}, "start must be at most 100000"),
        ({"rows": "-1"}, "rows must be at least 0"),
        ({"rows": "ten"}, "rows must be a whole number"),
        ({"facet.limit": "-2"}, "facet.limit must be at least -1"),
    ],
)
def test_paging_limits_are_named(portal: LocalPortal, params: dict, expected: str) -> None:
    """Finding 6: rows=100000 said "rows must be an integer"."""
    answer = portal.api().get("package_search", **params)
    assert answer.status == 400
    assert expected in answer.error["message"], answer.error
