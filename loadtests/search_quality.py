"""Relevance harness for catalog search.

Loads the judged corpus (../shared/search-corpus by default), indexes it into
each backend (FTS5 always; Elasticsearch with ``--es-url`` or ``--es``, which
starts a throwaway node with scripts/elasticsearch-test-node), runs the dev
queries as an anonymous user and prints nDCG@10, MRR and recall@10 overall
and per query kind, next to two baselines measured in the same run:

* whitespace + BM25: what CKAN's default Solr text field does (split on
  whitespace and punctuation, lower-case) — unsegmented Chinese stays one
  token per clause;
* char 1+2-gram BM25: Okapi BM25 over Chinese character unigrams and bigrams
  plus lower-cased Latin words.

    .venv/bin/python -m loadtests.search_quality [--corpus DIR] [--es-url URL | --es]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from search.protocol import PUBLIC_LABEL, IndexDoc, SearchBackend, SearchQuery, member_label

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "search-corpus"
KINDS = ("keyword", "phrase", "synonym", "region", "english", "traditional", "multi")
FIRST_CLASS = ("region_code", "open_class", "update_frequency", "theme", "title_en", "notes_en")
_NAMESPACE = uuid.UUID("6f1b8f9e-3c1a-4d5e-9a49-0d3a4f3c2b10")
_EPOCH = datetime(2024, 1, 1, 8, 0, 0)

# -- corpus -----------------------------------------------------------------------------------


@dataclass
class Corpus:
    packages: list[dict[str, Any]]
    labels: dict[str, list[str]]  # package id -> permission labels
    queries: list[dict[str, str]]
    qrels: dict[str, dict[str, int]]  # qid -> dataset name -> grade

    def index_docs(self) -> list[IndexDoc]:
        return [IndexDoc(p, self.labels[p["id"]]) for p in self.packages]


def corpus_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("DELTA_SEARCH_CORPUS") or DEFAULT_CORPUS)


def load_corpus(path: str | Path | None = None) -> Corpus:
    """The corpus as CKAN package_show dicts with ids, timestamps, states and labels."""
    root = corpus_dir(path)
    organizations = {o["name"]: _organization(o) for o in _jsonl(root / "organizations.jsonl")}
    packages, labels = [], {}
    for number, record in enumerate(_jsonl(root / "datasets.jsonl")):
        package = to_package(record, organizations, number)
        packages.append(package)
        org_id = package["organization"]["id"] if package["organization"] else ""
        labels[package["id"]] = [member_label(org_id)] if package["private"] else [PUBLIC_LABEL]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (root / "qrels-dev.tsv").read_text("utf-8").splitlines():
        if line.strip():
            qid, name, grade = line.split("\t")
            qrels[qid][name] = int(grade)
    queries = list(_jsonl(root / "queries-dev.jsonl"))
    return Corpus(packages, labels, queries, dict(qrels))


def to_package(
    record: dict[str, Any], organizations: dict[str, dict[str, Any]], number: int
) -> dict[str, Any]:
    extras = {e["key"]: e["value"] for e in record.get("extras", [])}
    organization = organizations.get(record.get("owner_org", ""))
    created = _EPOCH + timedelta(hours=7 * number)
    modified = created + timedelta(days=(number * 37) % 500, minutes=number % 60)
    package: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, "dataset:" + record["name"])),
        "name": record["name"],
        "title": record["title"],
        "notes": record.get("notes", ""),
        "type": "dataset",
        "state": "active",
        "private": bool(record.get("private")),
        "owner_org": organization["id"] if organization else None,
        "organization": organization,
        "license_id": record.get("license_id"),
        "tags": [{"name": t["name"], "display_name": t["name"]} for t in record.get("tags", [])],
        "groups": [],
        "resources": [
            {**r, "id": str(uuid.uuid5(_NAMESPACE, f"resource:{record['name']}:{i}"))}
            for i, r in enumerate(record.get("resources", []))
        ],
        "metadata_created": created.isoformat(timespec="microseconds"),
        "metadata_modified": modified.isoformat(timespec="microseconds"),
        "extras": [e for e in record.get("extras", []) if e["key"] not in FIRST_CLASS],
    }
    for key in FIRST_CLASS:
        package[key] = extras.get(key)
    package["temporal_start"] = None
    package["temporal_end"] = None
    return package


def _organization(record: dict[str, Any]) -> dict[str, Any]:
    extras = {e["key"]: e["value"] for e in record.get("extras", [])}
    return {
        "id": str(uuid.uuid5(_NAMESPACE, "organization:" + record["name"])),
        "name": record["name"],
        "title": record["title"],
        "description": record.get("description", ""),
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "region_code": extras.get("region_code"),
        "title_en": extras.get("title_en"),
    }


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


# -- metrics ---------------------------------------------------------------------------------


def ndcg_at(ranking: Sequence[str], judged: dict[str, int], k: int = 10) -> float:
    dcg = sum(judged.get(name, 0) / math.log2(i + 2) for i, name in enumerate(ranking[:k]))
    ideal = sorted(judged.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(i + 2) for i, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def reciprocal_rank(ranking: Sequence[str], judged: dict[str, int]) -> float:
    for i, name in enumerate(ranking):
        if judged.get(name, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranking: Sequence[str], judged: dict[str, int], k: int = 10) -> float:
    relevant = {name for name, grade in judged.items() if grade > 0}
    return len(relevant.intersection(ranking[:k])) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    per_query: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def add(self, qid: str, ranking: Sequence[str], judged: dict[str, int]) -> None:
        self.per_query[qid] = (
            ndcg_at(ranking, judged),
            reciprocal_rank(ranking, judged),
            recall_at(ranking, judged),
        )

    def mean(self, qids: Iterable[str] | None = None) -> tuple[float, float, float]:
        rows = [self.per_query[q] for q in (qids if qids is not None else self.per_query)]
        if not rows:
            return (0.0, 0.0, 0.0)
        return tuple(sum(r[i] for r in rows) / len(rows) for i in range(3))  # type: ignore[return-value]


Ranker = Callable[[str], list[str]]


def evaluate(corpus: Corpus, ranker: Ranker) -> Scores:
    scores = Scores()
    for query in corpus.queries:
        scores.add(query["qid"], ranker(query["query"]), corpus.qrels.get(query["qid"], {}))
    return scores


def backend_ranker(backend: SearchBackend, depth: int = 100) -> Ranker:
    def rank(text: str) -> list[str]:
        result = backend.search(SearchQuery(q=text, rows=depth))
        return [package["name"] for package in result.results]

    return rank


# -- baselines -------------------------------------------------------------------------------


class Bm25:
    """Okapi BM25 (k1 = 1.5, b = 0.75), as rank_bm25 computes it."""

    def __init__(self, docs: dict[str, list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = {name: Counter(tokens) for name, tokens in docs.items()}
        self.lengths = {name: len(tokens) for name, tokens in docs.items()}
        self.average = sum(self.lengths.values()) / max(len(docs), 1)
        frequency: Counter[str] = Counter()
        for counts in self.docs.values():
            frequency.update(counts.keys())
        n = len(docs)
        self.idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1) for t, f in frequency.items()}

    def rank(self, tokens: list[str], depth: int = 100) -> list[str]:
        scored = []
        for name, counts in self.docs.items():
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self.lengths[name] / self.average)
            for token in tokens:
                tf = counts.get(token, 0)
                if tf:
                    score += self.idf[token] * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                scored.append((-score, name))
        return [name for _, name in sorted(scored)[:depth]]


def _package_text(package: dict[str, Any]) -> str:
    parts = [package.get("title") or "", package.get("notes") or ""]
    parts += [t["name"] for t in package.get("tags", [])]
    parts += [package.get("title_en") or "", package.get("notes_en") or ""]
    parts += [r.get("name") or "" for r in package.get("resources", [])]
    parts += [r.get("description") or "" for r in package.get("resources", [])]
    return "\n".join(parts)


_DELIMITERS = re.compile(r"[\s\W_]+")


def whitespace_tokens(text: str) -> list[str]:
    """CKAN's Solr text field: whitespace tokenizer, word delimiter, lower case.

    Unsegmented Chinese stays one token per run between spaces or punctuation.
    """
    return [token for token in _DELIMITERS.split(text.lower()) if token]


_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")


def char_gram_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text.lower()):
        if run.isascii():
            tokens.append(run)
            continue
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def baseline_ranker(corpus: Corpus, tokenize: Callable[[str], list[str]]) -> Ranker:
    public = [p for p in corpus.packages if not p["private"]]
    index = Bm25({p["name"]: tokenize(_package_text(p)) for p in public})
    return lambda text: index.rank(tokenize(text))


# -- running ---------------------------------------------------------------------------------


def index_with_progress(backend: SearchBackend, docs: list[IndexDoc], label: str) -> None:
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task(f"indexing into {label}", total=len(docs))
        backend.bulk_index(docs, progress=lambda done: progress.update(task, completed=done))


def run(corpus: Corpus, backends: dict[str, SearchBackend]) -> dict[str, Scores]:
    results: dict[str, Scores] = {}
    for label, backend in backends.items():
        backend.clear()
        index_with_progress(backend, corpus.index_docs(), label)
        results[label] = evaluate(corpus, backend_ranker(backend))
    results["baseline: whitespace BM25"] = evaluate(
        corpus, baseline_ranker(corpus, whitespace_tokens)
    )
    results["baseline: char 1+2-gram BM25"] = evaluate(
        corpus, baseline_ranker(corpus, char_gram_tokens)
    )
    return results


def report(corpus: Corpus, results: dict[str, Scores], *, per_query: bool = False) -> str:
    kinds = [k for k in KINDS if any(q["kind"] == k for q in corpus.queries)]
    lines = []
    width = max(len(label) for label in results) + 2
    header = f"{'':{width}}{'nDCG@10':>9}{'MRR':>7}{'R@10':>7}  " + "".join(
        f"{k:>12}" for k in kinds
    )
    lines.append(f"{len(corpus.queries)} dev queries; per kind: nDCG@10")
    lines.append(header)
    for label, scores in results.items():
        ndcg, mrr, recall = scores.mean()
        by_kind = ""
        for kind in kinds:
            qids = [q["qid"] for q in corpus.queries if q["kind"] == kind]
            by_kind += f"{scores.mean(qids)[0]:>12.3f}"
        lines.append(f"{label:{width}}{ndcg:>9.3f}{mrr:>7.3f}{recall:>7.3f}  {by_kind}")
    if per_query:
        lines.append("")
        for query in corpus.queries:
            row = "  ".join(f"{results[label].per_query[query['qid']][0]:.3f}" for label in results)
            lines.append(f"{query['qid']} {query['kind']:<12} {row}  {query['query']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="corpus directory (default: ../shared/search-corpus)")
    parser.add_argument("--es-url", help="also evaluate this Elasticsearch node")
    parser.add_argument("--es", action="store_true", help="start a test Elasticsearch node too")
    parser.add_argument("--per-query", action="store_true", help="print nDCG@10 per query")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.corpus)
    from search.fts5 import Fts5Backend

    with tempfile.TemporaryDirectory(prefix="delta-search-quality-") as tmp:
        backends: dict[str, SearchBackend] = {"fts5": Fts5Backend(Path(tmp) / "catalog.db")}
        node = None
        es_url = args.es_url
        if args.es and not es_url:
            from tests.search.es_node import start_test_node

            node = start_test_node()
            es_url = node.url
        if es_url:
            from search.elasticsearch import ElasticsearchBackend

            backends["elasticsearch"] = ElasticsearchBackend(es_url, index_prefix="delta-quality")
        try:
            print(report(corpus, run(corpus, backends), per_query=args.per_query))
        finally:
            for backend in backends.values():
                backend.close()
            if node is not None:
                node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
