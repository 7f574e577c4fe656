"""Latency of catalog search on a 100,000-dataset catalogue.

Builds the catalogue by cloning the judged corpus under new names and ids,
indexes it into FTS5 (and Elasticsearch with ``--es-url`` / ``--es``), then
times in-process ``search()`` over a fixed mix of portal-like requests
(free text in every query kind, fielded q, fq, facets, sorting, paging) and,
next to it, the raw engine query for the same terms: an FTS5 ``MATCH``
ranked by bm25, or an Elasticsearch ``match`` query. The ratio is what our
analysis, permissions, coordination, region boosts and facets cost.

    .venv/bin/python -m loadtests.search_latency [--size 100000] [--rounds 5] [--es-url URL | --es]

``QUERY_MIX``, ``percentile`` and ``measure`` are importable, e.g. for the
HTTP measurement through the portal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loadtests.search_quality import Corpus, index_with_progress, load_corpus
from search.protocol import IndexDoc, SearchBackend, SearchQuery

PORTAL_FACETS = ("organization", "groups", "tags", "res_format", "license_id", "theme")
_NAMESPACE = uuid.UUID("0b8f3c52-7f55-4d0a-9a43-2f4f8cbb61a1")


def _q(q: str = "", **kwargs: Any) -> SearchQuery:
    kwargs.setdefault("rows", 20)
    kwargs.setdefault("facet_fields", PORTAL_FACETS)
    return SearchQuery(q=q, **kwargs)


# What the portal sends: the search page (facets, 20 rows) for typical queries
# of every kind, plus API-style fielded and filtered requests.
QUERY_MIX: tuple[SearchQuery, ...] = (
    _q(""),
    _q("空气质量"),
    _q("养老机构 名录"),
    _q("苏州市公共停车场"),
    _q("上海市地表水水质监测数据"),
    _q("敬老院"),
    _q("看病 医院"),
    _q("厕所 杭州"),
    _q("沪 垃圾分类"),
    _q("长三角 A级旅游景区"),
    _q("air quality Shanghai"),
    _q("bus stops Nanjing"),
    _q("醫療機構 杭州"),
    _q("宁波 港口 集装箱 吞吐量"),
    _q("江苏 河道 水位 实时"),
    _q("title:停车场"),
    _q("tags:空气质量 AND res_format:CSV"),
    _q("organization:shanghai-health"),
    _q("", fq=["theme:资源环境", "-res_format:API"]),
    _q("", fq=["metadata_modified:[NOW-1YEAR TO NOW]"], sort="metadata_modified desc"),
    _q("公园", sort="title_string asc"),
    _q("医疗机构", start=200),
    SearchQuery(q="幼儿园", rows=1000),
    SearchQuery(q="*:*", rows=0, facet_fields=("region_code",), facet_limit=-1),
)


@dataclass(frozen=True)
class Stats:
    p50_ms: float
    p99_ms: float
    mean_ms: float
    samples: int


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the samples."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def stats(samples_seconds: Sequence[float]) -> Stats:
    ms = [s * 1000 for s in samples_seconds]
    return Stats(percentile(ms, 50), percentile(ms, 99), statistics.fmean(ms), len(ms))


def measure(run: Callable[[Any], Any], items: Sequence[Any], rounds: int) -> Stats:
    """Time ``run(item)`` for every item, ``rounds`` times after one warm-up pass."""
    for item in items:
        run(item)
    samples = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            run(item)
            samples.append(time.perf_counter() - started)
    return stats(samples)


# -- the 100k catalogue ----------------------------------------------------------------------


def cloned_docs(corpus: Corpus, size: int) -> Iterator[IndexDoc]:
    """``size`` datasets: the corpus again and again, each copy with its own name and id."""
    base = corpus.packages
    epoch = datetime(2020, 1, 1)
    for number in range(size):
        original = base[number % len(base)]
        copy = number // len(base)
        name = original["name"] if copy == 0 else f"{original['name']}-c{copy}"
        package = dict(original)
        package["id"] = str(uuid.uuid5(_NAMESPACE, name))
        package["name"] = name
        moment = epoch + timedelta(minutes=37 * number)
        package["metadata_created"] = moment.isoformat(timespec="microseconds")
        package["metadata_modified"] = (moment + timedelta(days=number % 300)).isoformat(
            timespec="microseconds"
        )
        yield IndexDoc(package, corpus.labels[original["id"]])


# -- raw engine queries for the same terms ---------------------------------------------------


def raw_terms(backend: SearchBackend, query: SearchQuery) -> list[str]:
    """The analysed words of the query's text (what the raw engine query searches)."""
    analyzer = backend.analyzer  # type: ignore[attr-defined]
    text = query.q if ":" not in query.q else query.q.split(":", 1)[1]
    analysis = analyzer.analyze_query(text.replace("AND", " "), detect_regions=False)
    return [c.original.word or " ".join(c.original.grams) for c in analysis.concepts]


def raw_fts5(backend: Any, rows: int = 20) -> Callable[[list[str]], Any]:
    conn = backend._connection()

    def run(terms: list[str]) -> Any:
        if not terms:
            return conn.execute("SELECT package FROM docs LIMIT ?", (rows,)).fetchall()
        expression = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return conn.execute(
            "SELECT d.package FROM words JOIN docs d ON d.rowid = words.rowid "
            "WHERE words MATCH ? ORDER BY bm25(words) LIMIT ?",
            (expression, rows),
        ).fetchall()

    return run


def raw_elasticsearch(backend: Any, rows: int = 20) -> Callable[[list[str]], Any]:
    from search.es_dsl import words_field
    from search.fields import TEXT_STREAMS

    def run(terms: list[str]) -> Any:
        query: dict[str, Any] = (
            {
                "multi_match": {
                    "query": " ".join(terms),
                    "fields": [words_field(s) for s in TEXT_STREAMS],
                }
            }
            if terms
            else {"match_all": {}}
        )
        return backend.es.search(index=backend.alias, query=query, size=rows, _source=["package"])

    return run


# -- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    backend: str
    search: Stats  # cold: every query first seen (the result cache emptied before it)
    warm: Stats | None  # the same queries again, answered by the result cache
    raw: Stats


def cold_search(backend: SearchBackend) -> Callable[[SearchQuery], Any]:
    """``search()`` as for a query never seen before: the result cache emptied first."""
    cache = getattr(backend, "results", None)

    def run(query: SearchQuery) -> Any:
        if cache is not None:
            cache.clear()
        return backend.search(query)

    return run


def cold_and_warm(
    backend: SearchBackend, mix: Sequence[SearchQuery], rounds: int
) -> tuple[Stats, Stats | None]:
    counted = getattr(backend, "catch_up", None)
    if counted is not None:
        # Elasticsearch caches only for a caller that counts every writer's writes;
        # here this process is the only writer.
        counted(0)
    cold = measure(cold_search(backend), mix, rounds)
    if getattr(backend, "results", None) is None:
        return cold, None
    return cold, measure(backend.search, mix, rounds)


def benchmark(backend: SearchBackend, raw: Callable[[list[str]], Any], rounds: int) -> Row:
    mix = [replace(q) for q in QUERY_MIX]
    cold, warm = cold_and_warm(backend, mix, rounds)
    raw_stats = measure(raw, [raw_terms(backend, q) for q in mix], rounds)
    return Row(backend.name, cold, warm, raw_stats)


def report(rows: Sequence[Row], size: int, rounds: int) -> str:
    lines = [
        f"{size:,} datasets; {len(QUERY_MIX)} requests x {rounds} rounds; in-process search()",
        "(cold: each query first seen, the result cache emptied before it; warm: "
        "answered by the result cache)",
        f"{'backend':<15}{'cold p50':>9}{'cold p99':>9}{'raw p50':>9}{'raw p99':>9}"
        f"{'p50 ratio':>11}{'p99 ratio':>11}{'warm p50':>10}{'warm p99':>10}",
    ]
    for row in rows:
        warm = (
            f"{row.warm.p50_ms:>10.2f}{row.warm.p99_ms:>10.2f}"
            if row.warm
            else f"{'-':>10}{'-':>10}"
        )
        lines.append(
            f"{row.backend:<15}{row.search.p50_ms:>9.1f}{row.search.p99_ms:>9.1f}"
            f"{row.raw.p50_ms:>9.1f}{row.raw.p99_ms:>9.1f}"
            f"{row.search.p50_ms / row.raw.p50_ms:>11.1f}"
            f"{row.search.p99_ms / row.raw.p99_ms:>11.1f}{warm}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="corpus directory (default: ../shared/search-corpus)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--es-url", help="also measure this Elasticsearch node")
    parser.add_argument("--es", action="store_true", help="start a test Elasticsearch node too")
    parser.add_argument("--index-dir", help="keep the FTS5 index here (default: a temp dir)")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.corpus)
    from search.fts5 import Fts5Backend

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="delta-search-latency-") as tmp:
        directory = Path(args.index_dir or tmp)
        fts5 = Fts5Backend(directory / "catalog-latency.db")
        if fts5.count() != args.size:
            fts5.clear()
            index_with_progress(fts5, list(cloned_docs(corpus, args.size)), "fts5")
        rows.append(benchmark(fts5, raw_fts5(fts5), args.rounds))
        fts5.close()
        node = None
        es_url = args.es_url
        if args.es and not es_url:
            from tests.search.es_node import start_test_node

            node = start_test_node()
            es_url = node.url
        if es_url:
            from search.elasticsearch import ElasticsearchBackend

            es = ElasticsearchBackend(es_url, index_prefix="delta-latency")
            if es.count() != args.size:
                es.clear()
                index_with_progress(es, list(cloned_docs(corpus, args.size)), "elasticsearch")
            rows.append(benchmark(es, raw_elasticsearch(es), args.rounds))
            es.close()
        if node is not None:
            node.stop()
    print(report(rows, args.size, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
