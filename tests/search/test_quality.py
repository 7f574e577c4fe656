"""Relevance must not regress: the harness's dev queries on both backends.

Targets from issue 3: nDCG@10 >= 0.92 overall and >= 0.80 for every query kind.
"""

from __future__ import annotations

import pytest

from loadtests.search_quality import KINDS, backend_ranker, corpus_dir, evaluate, load_corpus
from tests.search.conftest import BACKENDS, dispose, open_test_backend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus():
    # ../shared sits beside every checkout, CI's included: a missing corpus is an error.
    if not (corpus_dir() / "queries-dev.jsonl").exists():
        pytest.fail(f"search corpus not found at {corpus_dir()} (set DELTA_SEARCH_CORPUS)")
    return load_corpus()


@pytest.fixture(scope="module", params=BACKENDS)
def indexed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, corpus):
    backend = open_test_backend(request.param, request, tmp_path_factory.mktemp("quality"))
    backend.bulk_index(corpus.index_docs())
    yield backend
    dispose(backend)


def test_relevance_targets(corpus, indexed) -> None:
    scores = evaluate(corpus, backend_ranker(indexed))
    overall = scores.mean()[0]
    by_kind = {
        kind: scores.mean([q["qid"] for q in corpus.queries if q["kind"] == kind])[0]
        for kind in KINDS
        if any(q["kind"] == kind for q in corpus.queries)
    }
    assert overall >= 0.92, f"nDCG@10 {overall:.3f} < 0.92; per kind {by_kind}"
    weak = {kind: round(value, 3) for kind, value in by_kind.items() if value < 0.80}
    assert not weak, f"query kinds below nDCG@10 0.80: {weak}"


def test_private_datasets_never_reach_anonymous_results(corpus, indexed) -> None:
    private = {p["name"] for p in corpus.packages if p["private"]}
    for query in corpus.queries:
        assert not private & set(backend_ranker(indexed, depth=1000)(query["query"]))
