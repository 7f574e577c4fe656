"""package_search latency over HTTP on a 100,000-dataset catalogue.

Builds the catalogue of ``loadtests.search_latency`` (the judged corpus cloned
under new names) straight into a portal's search index, starts the real
portal (``delta serve``) on it, and times the same request mix three ways in
this one run: over HTTP through the CKAN action API (one client, sequential),
in-process ``search()``, and the raw engine query for the same terms (FTS5
MATCH ranked by bm25, or an Elasticsearch match). Prints p50 / p99 and the
ratios to the raw query.

    .venv/bin/python -m loadtests.search_http_latency [--size 100000] [--rounds 3] [--es-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from loadtests.search_latency import (
    QUERY_MIX,
    Stats,
    cloned_docs,
    measure,
    raw_elasticsearch,
    raw_fts5,
    raw_terms,
)
from loadtests.search_quality import index_with_progress, load_corpus
from search import open_backend
from search.protocol import SearchBackend, SearchQuery

BIN = Path(sys.executable).parent


def ckan_params(query: SearchQuery) -> dict[str, Any]:
    """The CKAN package_search parameters that ask for ``query``."""
    params: dict[str, Any] = {"q": query.q, "rows": query.rows, "start": query.start}
    if query.fq:
        params["fq_list"] = list(query.fq)
    if query.facet_fields:
        params["facet.field"] = json.dumps(list(query.facet_fields))
        params["facet.limit"] = query.facet_limit
    if query.sort:
        params["sort"] = query.sort
    return params


def start_portal(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN / "delta"), "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/3/action/site_read", timeout=2).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the portal did not start; see {log}")


def over_http(port: int, rounds: int) -> Stats:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)

    def run(params: dict[str, Any]) -> None:
        response = client.post("/api/3/action/package_search", json=params)
        if response.status_code != 200:
            raise RuntimeError(f"{params}: {response.status_code} {response.text[:300]}")

    return measure(run, [ckan_params(q) for q in QUERY_MIX], rounds)


def line(label: str, stats: Stats, raw: Stats) -> str:
    return (
        f"{label:<28}{stats.p50_ms:>9.1f}{stats.p99_ms:>9.1f}"
        f"{stats.p50_ms / raw.p50_ms:>11.1f}{stats.p99_ms / raw.p99_ms:>11.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--es-url", default=None, help="Elasticsearch URL (default: embedded FTS5)")
    parser.add_argument("--port", type=int, default=18200)
    options = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="search-http-"))
    search_url = f"{options.es_url.rstrip('/')}/delta-bench" if options.es_url else None
    backend: SearchBackend = open_backend(search_url, index_path=home / "search" / "catalog.db")
    corpus = load_corpus()
    index_with_progress(backend, list(cloned_docs(corpus, options.size)), backend.name)

    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTA_")}
    env.update(DELTA_HOME=str(home), DELTA_ENV="development", DELTA_LOG_LEVEL="WARNING")
    if search_url:
        env["DELTA_SEARCH_URL"] = search_url
    portal = start_portal(env, options.port, home / "portal.log")
    try:
        http = over_http(options.port, options.rounds)
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    in_process = measure(backend.search, list(QUERY_MIX), options.rounds)
    raw_run = raw_elasticsearch(backend) if search_url else raw_fts5(backend)
    raw = measure(raw_run, [raw_terms(backend, q) for q in QUERY_MIX], options.rounds)

    print(
        f"{options.size:,} datasets, {backend.name}; {len(QUERY_MIX)} requests x {options.rounds}"
    )
    print(f"{'':<28}{'p50 ms':>9}{'p99 ms':>9}{'p50 ratio':>11}{'p99 ratio':>11}")
    print(line("package_search over HTTP", http, raw))
    print(line("search() in-process", in_process, raw))
    print(f"{'raw engine query':<28}{raw.p50_ms:>9.1f}{raw.p99_ms:>9.1f}{1.0:>11.1f}{1.0:>11.1f}")
    backend.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
