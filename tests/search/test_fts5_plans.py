"""The query plans that keep FTS5 search fast at 100,000 datasets, read with EXPLAIN
QUERY PLAN from the SQL the backend really sends (a trace of its connection)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from search.fts5 import Fts5Backend
from search.protocol import SearchQuery
from tests.search.catalog import index_docs


@pytest.fixture
def backend(tmp_path: Path):
    backend = Fts5Backend(tmp_path / "catalog.db", result_cache_bytes=0)
    backend.bulk_index(index_docs())
    yield backend
    backend.close()


def plans_of(backend: Fts5Backend, query: SearchQuery) -> dict[str, str]:
    """Each statement the search ran (bound values in place) -> its query plan."""
    conn = backend._connection()
    sent: list[str] = []
    conn.set_trace_callback(sent.append)
    try:
        backend.search(query)
    finally:
        conn.set_trace_callback(None)
    return {
        sql: "\n".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in sent
        if sql.lstrip().upper().startswith(("SELECT", "INSERT", "WITH"))
    }


def test_visibility_is_read_from_its_covering_index(backend: Fts5Backend) -> None:
    plans = plans_of(backend, SearchQuery(q=""))
    (collect,) = [plan for sql, plan in plans.items() if "INSERT INTO temp.hits" in sql]
    assert "COVERING INDEX docs_visible" in collect


def test_an_index_from_before_gets_the_visibility_index_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Fts5Backend(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX docs_visible")
    Fts5Backend(path).close()
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "docs_visible" in names


def test_ranking_walks_the_hits_and_scores_only_them(backend: Fts5Backend) -> None:
    plans = plans_of(backend, SearchQuery(q="空气质量"))
    (page,) = [(sql, plan) for sql, plan in plans.items() if "bm25(" in sql]
    sql, plan = page
    # The hits drive the join; the catalogue is not walked in date order.
    assert "SCAN h" in plan and "SCAN d " not in plan + " "
    # bm25() is computed for hits only: every clause is tested against them.
    assert sql.count("bm25(") == sql.count("+rowid IN (SELECT rowid FROM temp.hits)") > 0


def test_without_a_score_the_page_walks_the_date_index_and_stops(backend: Fts5Backend) -> None:
    plans = plans_of(backend, SearchQuery(q="", sort="metadata_modified desc", rows=5))
    (page,) = [plan for sql, plan in plans.items() if "ORDER BY d.modified" in sql]
    assert "SCAN d USING INDEX docs_modified" in page


def test_a_text_search_starts_from_its_matches_not_the_visibility_index(
    backend: Fts5Backend,
) -> None:
    plans = plans_of(backend, SearchQuery(q="空气质量"))
    (collect,) = [plan for sql, plan in plans.items() if "INSERT INTO temp.hits" in sql]
    assert "docs_visible" not in collect
