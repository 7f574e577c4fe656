"""Loading the search corpus with ``ckanapi load``: Elasticsearch against the embedded index.

For each engine, in this one run: a fresh portal (``delta serve``, one worker,
SQLite, its own DELTA_HOME; a new index alias on Elasticsearch), a sysadmin
token, then ``ckanapi load organizations`` and ``ckanapi load datasets`` of
the corpus (519 organisations, 1,999 datasets) with 2 parallel workers. Prints
the wall time of each load and the ratio Elasticsearch / FTS5 (goal <= 1.5),
and checks that package_search then counts every dataset (read-your-writes).

    .venv/bin/python -m loadtests.es_load_bench [--es-url URL] [--workers 2] [--limit N]

Without --es-url it starts the test node (scripts/elasticsearch-test-node).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from loadtests.search_quality import corpus_dir
from tests.support.processes import BIN, PortalServer, start_portal


def ckanapi_load(kind: str, source: Path, url: str, token: str, workers: int) -> float:
    """Seconds ``ckanapi load`` takes; its worker processes run as plain ``ckanapi``."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "ckanapi"), "load", kind, "-I", str(source), "-r", url, "-a", token,
         "-p", str(workers), "-q"],
        env=env, capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ckanapi load {kind} failed: {done.stderr[-2000:]}")
    return elapsed


def load_once(home: Path, search_url: str | None, sources: dict[str, Path], workers: int) -> dict:
    extra = {"DELTA_SEARCH_URL": search_url} if search_url else {}
    server: PortalServer = start_portal(home, **extra)
    try:
        server.cli("user", "create", "loader", "--email", "loader@example.org",
                   "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
        token = server.cli("token", "create", "loader", "--name", "bench").strip()
        orgs = ckanapi_load("organizations", sources["organizations"], server.url, token, workers)
        datasets = ckanapi_load("datasets", sources["datasets"], server.url, token, workers)
        # Straight after the load: every dataset must be found (private ones included).
        found = httpx.post(
            f"{server.url}/api/3/action/package_search",
            json={"rows": 0, "include_private": True},
            headers={"Authorization": token},
            timeout=60,
        ).json()["result"]["count"]
    finally:
        server.stop()
    return {"organizations": orgs, "datasets": datasets, "found": found}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--es-url", help="Elasticsearch node (default: start the test node)")
    parser.add_argument("--workers", type=int, default=2, help="ckanapi load -p")
    parser.add_argument("--limit", type=int, help="load only the first N datasets")
    options = parser.parse_args(argv)

    corpus = corpus_dir()
    work = Path(tempfile.mkdtemp(prefix="es-load-bench-"))
    sources = {
        "organizations": corpus / "organizations.jsonl",
        "datasets": corpus / "datasets.jsonl",
    }
    if options.limit:
        lines = sources["datasets"].read_text("utf-8").splitlines()[: options.limit]
        sources["datasets"] = work / "datasets.jsonl"
        sources["datasets"].write_text("\n".join(lines) + "\n", "utf-8")
    expected = sum(1 for line in sources["datasets"].open(encoding="utf-8") if line.strip())

    node = None
    es_url = options.es_url
    if not es_url:
        from tests.search.es_node import start_test_node

        node = start_test_node()
        es_url = node.url
    alias = f"delta-load-bench-{uuid.uuid4().hex[:8]}"
    try:
        fts5 = load_once(work / "fts5", None, sources, options.workers)
        es = load_once(work / "es", f"{es_url.rstrip('/')}/{alias}", sources, options.workers)
    finally:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(es_url)
        client.indices.delete(index=f"{alias}*", ignore_unavailable=True)
        client.close()
        if node is not None:
            node.stop()

    print(f"ckanapi load -p {options.workers}; {expected:,} datasets; one portal worker, SQLite")
    print(f"{'engine':<16}{'orgs s':>9}{'datasets s':>12}{'datasets/s':>12}{'found':>8}")
    for label, row in (("fts5", fts5), ("elasticsearch", es)):
        print(
            f"{label:<16}{row['organizations']:>9.1f}{row['datasets']:>12.1f}"
            f"{expected / row['datasets']:>12.1f}{row['found']:>8}"
        )
    ratio = es["datasets"] / fts5["datasets"]
    print(f"ratio elasticsearch / fts5 (datasets): {ratio:.2f} (goal <= 1.5)")
    return 0 if fts5["found"] == es["found"] == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
