"""The sample catalogue as a new user meets it (in process, SQLite FTS5): the search
examples the API documents find datasets, and the front page's counts per province
are what filtering on that province finds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_portal import demo, pages
from open_portal.ckan import registry
from standards import regions
from tests.support.inprocess import LocalPortal, local_portal


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPortal]:
    home: Path = tmp_path_factory.mktemp("samples")
    with local_portal(home, "sqlite", ingest_worker=False) as portal:
        demo.load(portal.app.state.portal, password="sample-admin-password")
        yield portal


def documented_queries() -> list[str]:
    """The ``q`` examples in package_search's help text."""
    doc = registry.all_actions()["package_search"].doc
    q_help = re.search(r":param q:(.*?):param", doc, re.DOTALL)
    assert q_help is not None
    return re.findall(r"``([^`]+)``", q_help.group(1))


@pytest.mark.parametrize("query", documented_queries())
def test_the_documented_examples_find_datasets(portal: LocalPortal, query: str) -> None:
    """Finding 6: help_show's example tags:交通 found nothing."""
    found = portal.api().get("package_search", q=query).result
    assert found["count"] > 0, query


def test_the_front_page_counts_what_the_province_filter_finds(portal: LocalPortal) -> None:
    """Finding 6: the front page said 上海 12 where fq=region_code:310000 found 8."""
    overview = pages._overview(portal.app.state.portal)
    shown = dict(overview["provinces"])
    assert set(shown) == {regions.name_of(code) for code in regions.DELTA_PROVINCES}
    for code in regions.DELTA_PROVINCES:
        found = portal.api().get("package_search", fq=f"region_code:{code}", rows="0").result
        assert shown[regions.name_of(code)] == found["count"], code
    assert sum(shown.values()) == overview["datasets"]
