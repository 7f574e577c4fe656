"""What only the embedded backend has: a file, threads, and two facet strategies."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import search.fts5 as fts5_module
from search import open_backend
from search.errors import SearchBackendError
from search.fts5 import Fts5Backend
from search.protocol import PUBLIC_LABEL, IndexDoc, SearchBackend, SearchQuery
from tests.search.catalog import PUBLIC, index_docs, package


def test_open_backend_picks_the_embedded_index(tmp_path: Path) -> None:
    backend = open_backend(None, index_path=tmp_path / "search" / "catalog.db")
    assert isinstance(backend, Fts5Backend) and isinstance(backend, SearchBackend)
    assert (tmp_path / "search" / "catalog.db").exists()
    backend.close()
    with pytest.raises(SearchBackendError, match="Unsupported search URL"):
        open_backend("solr://localhost", index_path=tmp_path / "x.db")


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    backend = Fts5Backend(path)
    backend.bulk_index(index_docs())
    backend.close()
    reopened = Fts5Backend(path)
    assert reopened.search(SearchQuery(q="养老院")).results[0]["name"] == "elderly-suzhou"
    assert reopened.health().ok
    reopened.close()


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(facet_limit=-1),
        SearchQuery(q="空气质量", facet_limit=-1),
        SearchQuery(permission_labels=None, include_drafts=True, facet_limit=-1),
        SearchQuery(fq=["-organization:nj-edu"], facet_limit=2, facet_mincount=1),
    ],
)
def test_facet_strategies_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    backend = Fts5Backend(tmp_path / "catalog.db")
    backend.bulk_index(index_docs())
    # Writes after the first load keep the running totals right.
    backend.index(IndexDoc(PUBLIC[0], [PUBLIC_LABEL]))
    backend.delete("id-air-hangzhou")
    query = SearchQuery(
        q=query.q,
        fq=query.fq,
        permission_labels=query.permission_labels,
        include_drafts=query.include_drafts,
        facet_fields=["organization", "tags", "res_format", "license_id", "region_code"],
        facet_limit=query.facet_limit,
        facet_mincount=query.facet_mincount,
    )
    answers = []
    for complement, scan in ((0, 0), (10**9, 0), (0, 10**9)):
        monkeypatch.setattr(fts5_module, "FACET_COMPLEMENT_RATIO", complement)
        monkeypatch.setattr(fts5_module, "FACET_SCAN_RATIO", scan)
        answers.append(backend.search(query).facets)
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["organization"]
    backend.close()


def test_facet_totals_are_rebuilt_for_an_older_index(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "catalog.db"
    backend = Fts5Backend(path)
    backend.bulk_index(index_docs())
    expected = backend.search(SearchQuery(facet_fields=["tags"], facet_limit=-1)).facets
    backend.close()
    with sqlite3.connect(path) as conn:  # as an index written before the totals existed
        conn.execute("DELETE FROM facet_totals")
        conn.execute("DELETE FROM meta WHERE key = 'facet_totals'")
    reopened = Fts5Backend(path)
    assert reopened.search(SearchQuery(facet_fields=["tags"], facet_limit=-1)).facets == expected
    reopened.close()


def test_concurrent_searches_and_writes(tmp_path: Path) -> None:
    """A multi-threaded web server: readers never fail while a writer indexes."""
    backend = Fts5Backend(tmp_path / "catalog.db")
    backend.bulk_index(index_docs())
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                result = backend.search(SearchQuery(q="空气质量", facet_fields=["tags"]))
                assert result.count >= 2
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    def write() -> None:
        try:
            for number in range(200):
                doc = package(
                    f"extra-{number}",
                    f"新增数据{number}",
                    org="sh-eco",
                    region="310000",
                    theme="资源环境",
                    modified="2024-01-01T00:00:00",
                )
                backend.index(IndexDoc(doc, [PUBLIC_LABEL]))
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(6)]
    writer = threading.Thread(target=write)
    for thread in (*readers, writer):
        thread.start()
    writer.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors, errors[0]
    assert backend.search(SearchQuery(q="name:extra-199")).count == 1
    assert backend.count() == len(index_docs()) + 200
    backend.close()


def test_a_closed_backend_says_so(tmp_path: Path) -> None:
    backend = Fts5Backend(tmp_path / "catalog.db")
    backend.index(IndexDoc(PUBLIC[0], [PUBLIC_LABEL]))
    backend.close()
    with pytest.raises(SearchBackendError):
        backend.search(SearchQuery())


def test_memory_databases_are_refused() -> None:
    with pytest.raises(SearchBackendError, match="file path"):
        Fts5Backend(":memory:")
