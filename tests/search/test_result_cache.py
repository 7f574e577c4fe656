"""The result cache is exact: a cached answer equals a fresh one, every write
(from this process or another) is seen at once, and callers cannot change it."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from search.datemath import request_now
from search.fts5 import Fts5Backend
from search.protocol import PUBLIC_LABEL, IndexDoc, SearchBackend, SearchQuery, SearchResult
from search.result_cache import Computed, ResultCache, decode_package, encode_package
from tests.search.catalog import PUBLIC, SH_MEMBER, index_docs, package
from tests.search.conftest import BACKENDS, dispose, open_test_backend

FACETS = ["organization", "tags", "res_format", "region_code"]
QUERY = SearchQuery(q="空气质量", facet_fields=FACETS, rows=20)
MEMBER = [PUBLIC_LABEL, SH_MEMBER]


@pytest.fixture(params=BACKENDS)
def cached(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    backend = open_test_backend(request.param, request, tmp_path)
    backend.bulk_index(index_docs())
    counted = getattr(backend, "catch_up", None)
    if counted is not None:
        counted(0)  # Elasticsearch caches only for a caller that counts every process's writes
    yield backend
    dispose(backend)


def cache_of(backend: SearchBackend) -> ResultCache:
    cache = backend.results  # type: ignore[attr-defined]
    assert isinstance(cache, ResultCache)
    return cache


def fresh(backend: SearchBackend, query: SearchQuery) -> Any:
    cache_of(backend).clear()
    return backend.search(query)


def test_a_cached_answer_equals_a_fresh_one(cached: SearchBackend) -> None:
    cache = cache_of(cached)
    queries = [
        QUERY,
        SearchQuery(q="空气质量", facet_fields=FACETS, sort="name asc", start=1, rows=2),
        SearchQuery(fq=["region_code:310000"], facet_fields=FACETS, facet_limit=-1),
        SearchQuery(q="空气质量", permission_labels=MEMBER, include_private=True),
    ]
    for query in queries:
        first = fresh(cached, query)
        hits = cache.hits
        again = cached.search(query)
        assert cache.hits == hits + 1
        assert again == first


def test_permissions_are_part_of_the_key(cached: SearchBackend) -> None:
    anonymous = cached.search(SearchQuery(q="空气质量", include_private=True))
    member = cached.search(
        SearchQuery(q="空气质量", permission_labels=MEMBER, include_private=True)
    )
    again = cached.search(SearchQuery(q="空气质量", include_private=True))
    private = "private-air"
    assert private in {p["name"] for p in member.results}
    assert private not in {p["name"] for p in anonymous.results}
    assert private not in {p["name"] for p in again.results}


def test_callers_cannot_change_the_cache(cached: SearchBackend) -> None:
    first = cached.search(QUERY)
    expected = fresh(cached, QUERY)
    cached.search(QUERY)  # now cached
    got = cached.search(QUERY)
    got.results[0]["title"] = "changed"
    got.results.clear()
    next(iter(got.facets.values())).clear()
    assert cached.search(QUERY) == expected == first


def test_every_write_is_seen_at_once(cached: SearchBackend) -> None:
    before = cached.search(QUERY)
    new = package(
        "air-new", "新的空气质量数据", org="sh-eco", region="310000", theme="资源环境",
        modified="2026-01-01T00:00:00.000000", tags=("空气质量",),
    )  # fmt: skip
    cached.index(IndexDoc(new, [PUBLIC_LABEL]))
    after = cached.search(QUERY)
    assert after.count == before.count + 1
    assert "air-new" in {p["name"] for p in after.results}
    cached.delete("id-air-new")
    assert cached.search(QUERY) == before


def test_another_process_writes_are_seen_at_once(tmp_path: Path) -> None:
    """Two backends on one file stand for two portal processes (FTS5: one file)."""
    path = tmp_path / "catalog.db"
    reader, writer = Fts5Backend(path), Fts5Backend(path)
    writer.bulk_index(index_docs())
    before = reader.search(QUERY)
    assert reader.search(QUERY) == before and cache_of(reader).hits == 1
    writer.delete(PUBLIC[0]["id"])
    after = reader.search(QUERY)
    assert after.count == before.count - 1
    assert after == fresh(reader, QUERY)
    reader.close()
    writer.close()


def test_date_math_is_resolved_before_the_key(tmp_path: Path) -> None:
    backend = Fts5Backend(tmp_path / "catalog.db")
    backend.bulk_index(index_docs())
    query = SearchQuery(fq=["metadata_modified:[NOW-1YEAR TO NOW]"])
    early = backend.search(query, now=datetime(2025, 6, 1, tzinfo=UTC))
    late = backend.search(query, now=datetime(2030, 6, 1, tzinfo=UTC))
    assert early.count > 0 and late.count == 0
    backend.close()


def test_a_now_range_is_answered_from_the_cache_within_its_second(
    cached: SearchBackend,
) -> None:
    """NOW resolves to the whole second: the same NOW query a moment later is the
    same plan (Solr's NOW to the millisecond made every such request a miss)."""
    query = SearchQuery(fq=["metadata_modified:[NOW-100YEARS TO NOW]"], facet_fields=FACETS)
    cache = cache_of(cached)
    for _ in range(5):  # a second may tick between the two searches: try again
        second = request_now()
        first = cached.search(query)
        hits = cache.hits
        again = cached.search(query)
        if request_now() == second:
            break
    assert cache.hits == hits + 1
    assert again == first and first.count == len(PUBLIC)


def test_a_dataset_written_this_second_is_inside_now(cached: SearchBackend) -> None:
    """NOW is rounded up, never down: a write earlier in the current second is found."""
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    new = package(
        "air-now", "刚写入的空气质量数据", org="sh-eco", region="310000", theme="资源环境",
        modified=stamp, tags=("空气质量",),
    )  # fmt: skip
    cached.index(IndexDoc(new, [PUBLIC_LABEL]))
    found = cached.search(SearchQuery(fq=["metadata_modified:[NOW-1MINUTE TO NOW]"]))
    assert [p["name"] for p in found.results] == ["air-now"]


def test_the_cache_is_bounded_by_size() -> None:
    cache = ResultCache(max_bytes=80_000)
    page = ['"' + "x" * 998 + '"'] * 5
    for number in range(100):
        cache.put(number, count=5, packages=page, facets={})
    assert 0 < len(cache) < 20
    assert cache.get(99) is not None and cache.get(0) is None
    huge = '"' + "x" * 20_000 + '"'  # over 1/8 of the budget
    cache.put("huge", count=1, packages=[huge], facets={})
    assert cache.get("huge") is None


def test_no_cache_when_turned_off(tmp_path: Path) -> None:
    backend = Fts5Backend(tmp_path / "catalog.db", result_cache_bytes=0)
    backend.bulk_index(index_docs())
    assert backend.results is None
    assert backend.search(QUERY) == backend.search(QUERY)
    backend.close()


@pytest.mark.elasticsearch
def test_elasticsearch_sees_other_writers_by_their_count(request: pytest.FixtureRequest) -> None:
    """Two backends on one alias stand for two portal processes; the count of every
    process's writes (the portal keeps it in its database) moves the reader on."""
    from search.elasticsearch import ElasticsearchBackend

    url = request.getfixturevalue("es_node").url
    writer = ElasticsearchBackend(url, index_prefix="delta-test-cache-two")
    reader = ElasticsearchBackend(url, index_prefix="delta-test-cache-two")
    try:
        writer.bulk_index(index_docs())
        writer.count()  # searchable
        reader.catch_up(1)
        before = reader.search(QUERY)
        assert reader.search(QUERY) == before and cache_of(reader).hits == 1
        writer.delete(PUBLIC[0]["id"])
        reader.catch_up(2)  # what the portal reads before each search
        after = reader.search(QUERY)
        assert after.count == before.count - 1
        assert after == fresh(reader, QUERY)
    finally:
        writer.drop()
        writer.close()
        reader.close()


def test_stored_packages_decode_with_orjson_and_json_literals_alike() -> None:
    package = {"name": "空气", "extras": [{"key": "k", "value": "v"}], "score": 1.5}
    assert decode_package(encode_package(package)) == package
    assert decode_package(json.dumps(package, ensure_ascii=False)) == package
    # json.dumps writes NaN for a float nan; orjson refuses it, the fallback reads it.
    assert math.isnan(decode_package('{"score": NaN}')["score"])


def _answer_in_threads(cache: ResultCache, compute, threads: int = 8) -> list[Any]:
    """The first thread starts computing; the others ask while it still is."""
    answers: list[Any] = []

    def ask() -> None:
        try:
            answers.append(cache.answer("key", compute))
        except RuntimeError as exc:
            answers.append(exc)

    first = threading.Thread(target=ask)
    first.start()
    assert computing.wait(5)
    others = [threading.Thread(target=ask) for _ in range(threads - 1)]
    for thread in others:
        thread.start()
    time.sleep(0.3)  # the others reach the wait
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    return answers


computing, release = threading.Event(), threading.Event()


@pytest.fixture(autouse=False)
def gates() -> Iterator[None]:
    computing.clear()
    release.clear()
    yield
    release.set()


def test_concurrent_misses_of_one_key_compute_once(gates: None) -> None:
    cache, calls = ResultCache(), []

    def compute() -> Computed:
        calls.append(1)
        computing.set()
        release.wait(5)
        return SearchResult(1, [{"name": "a"}], {"tags": {"x": 1}}), ['{"name": "a"}']

    answers = _answer_in_threads(cache, compute)
    assert len(calls) == 1
    assert answers == [SearchResult(1, [{"name": "a"}], {"tags": {"x": 1}})] * 8
    assert (cache.misses, cache.hits) == (1, 7)


def test_when_the_first_computation_fails_the_next_caller_computes(gates: None) -> None:
    cache, calls = ResultCache(), []

    def compute() -> Computed:
        calls.append(1)
        computing.set()
        release.wait(5)
        if len(calls) == 1:
            raise RuntimeError("engine down")
        return SearchResult(0, [], {}), []

    answers = _answer_in_threads(cache, compute, threads=3)
    assert len(calls) == 2  # the failed one, then one more for both waiters
    assert sum(isinstance(a, RuntimeError) for a in answers) == 1
    assert answers.count(SearchResult(0, [], {})) == 2
