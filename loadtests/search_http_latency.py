"""package_search latency over HTTP on a 100,000-dataset catalogue.

Builds the catalogue of ``loadtests.search_latency`` (the judged corpus cloned
under new names) straight into a portal's search index, starts the real
portal (``delta serve``, one worker) on it, and times the same request mix
four ways in this one run: over HTTP through the CKAN action API (``--clients``
concurrent clients, each sending the whole mix), in-process ``search()``, the
raw engine query for the same terms (FTS5 MATCH ranked by bm25, or an
Elasticsearch match), and that raw query behind a bare FastAPI endpoint
(``loadtests.raw_search_app``, one worker) from the same clients. Prints p50 /
p99 and the ratios to the raw query.

The index is built for the portal's own (freshly migrated) database: a portal
refuses or rebuilds an Elasticsearch index of another catalogue.

    .venv/bin/python -m loadtests.search_http_latency [--size 100000] [--rounds 3]
        [--clients 16] [--es-url URL] [--home DIR]

Each request is timed twice over HTTP: against a portal without the result
cache (cold: every request as a first-seen query) and against one with it
(warm: the mix repeats, so after the warm-up pass the cache answers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from loadtests.search_latency import (
    QUERY_MIX,
    Stats,
    cloned_docs,
    cold_and_warm,
    measure,
    raw_elasticsearch,
    raw_fts5,
    raw_terms,
    stats,
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


def start_server(
    command: list[str], env: dict[str, str], log: Path, ready_url: str, *, timeout: float = 120
) -> subprocess.Popen[bytes]:
    """Start ``command`` and wait until ``ready_url`` answers 2xx (or it dies, or time runs out)."""
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(ready_url, timeout=2).is_success:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start; see {log}")


def start_portal(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return start_server(
        [str(BIN / "delta"), "serve", "--port", str(port)],
        env,
        log,
        f"http://127.0.0.1:{port}/api/3/action/site_read",
    )


def over_http(
    port: int, rounds: int, clients: int, requests: list[tuple[str, dict[str, Any]]] | None = None
) -> Stats:
    """Every client sends the requests (default: the mix to ``package_search``) once to
    warm up, then ``rounds`` times, all at once."""
    if requests is None:
        requests = [("/api/3/action/package_search", ckan_params(q)) for q in QUERY_MIX]
    samples: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(clients)

    def client_run() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            mine: list[float] = []
            for round_ in range(rounds + 1):
                if round_ == 1:
                    start.wait()
                for path, body in requests:
                    began = time.perf_counter()
                    response = client.post(path, json=body)
                    if response.status_code != 200:
                        failures.append(f"{body}: {response.status_code} {response.text[:300]}")
                        return
                    if round_:
                        mine.append(time.perf_counter() - began)
            samples.extend(mine)

    threads = [threading.Thread(target=client_run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return stats(samples)


def raw_http_run(
    options: argparse.Namespace, home: Path, backend: SearchBackend, search_url: str | None
) -> Stats:
    """The raw engine query behind a bare FastAPI endpoint (one worker), same clients."""
    env = {**os.environ, "RAW_SEARCH_INDEX": str(home / "search" / "catalog.db")}
    if search_url:
        env["RAW_SEARCH_URL"] = search_url
    server = start_server(
        [
            *(sys.executable, "-m", "uvicorn", "loadtests.raw_search_app:raw_app", "--factory"),
            *("--port", str(options.port), "--log-level", "warning"),
        ],
        env,
        home / "raw-app.log",
        f"http://127.0.0.1:{options.port}/ready",
        timeout=60,
    )
    try:
        requests = [("/raw", {"terms": raw_terms(backend, q)}) for q in QUERY_MIX]
        return over_http(options.port, options.rounds, options.clients, requests)
    finally:
        server.terminate()
        server.wait(timeout=30)


def portal_catalogue(env: dict[str, str]) -> str:
    """Migrate the portal database ``env`` names and return its catalogue id."""
    subprocess.run([str(BIN / "delta"), "db", "upgrade"], env=env, check=True)
    from delta.db import make_engine, make_session_factory
    from delta.settings import load_settings
    from open_portal.runtime import catalogue_id

    # The settings as the portal process will read them; this process's own
    # environment is left as it was (a test runs the harness in process).
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        settings = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)

    engine = make_engine(settings.portal_database_url)
    try:
        return catalogue_id(make_session_factory(engine))
    finally:
        engine.dispose()


def line(label: str, stats: Stats, raw: Stats) -> str:
    return (
        f"{label:<34}{stats.p50_ms:>9.1f}{stats.p99_ms:>9.1f}"
        f"{stats.p50_ms / raw.p50_ms:>11.1f}{stats.p99_ms / raw.p99_ms:>11.1f}"
    )


def http_run(env: dict[str, str], options: argparse.Namespace, home: Path, cache_mb: int) -> Stats:
    """One portal process with this result cache size, the mix from every client."""
    portal = start_portal(
        {**env, "DELTA_SEARCH_RESULT_CACHE_MB": str(cache_mb)},
        options.port,
        home / f"portal-{cache_mb}.log",
    )
    try:
        return over_http(options.port, options.rounds, options.clients)
    finally:
        portal.terminate()
        portal.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--es-url", default=None, help="Elasticsearch URL (default: embedded FTS5)")
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument(
        "--home",
        help="portal home to keep (default: a new temp dir); a later run with the same "
        "--home and --size reuses its database and index instead of building them again",
    )
    options = parser.parse_args(argv)

    home = Path(options.home) if options.home else Path(tempfile.mkdtemp(prefix="search-http-"))
    home.mkdir(parents=True, exist_ok=True)
    search_url = f"{options.es_url.rstrip('/')}/delta-bench" if options.es_url else None
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTA_")}
    env.update(DELTA_HOME=str(home), DELTA_ENV="development", DELTA_LOG_LEVEL="WARNING")
    if search_url:
        env["DELTA_SEARCH_URL"] = search_url
    backend: SearchBackend = open_backend(
        search_url,
        index_path=home / "search" / "catalog.db",
        catalogue=portal_catalogue(env),
        foreign="rebuild",
    )
    if backend.count() != options.size:
        backend.clear()
        corpus = load_corpus()
        index_with_progress(backend, list(cloned_docs(corpus, options.size)), backend.name)
        backend.count()  # makes the bulk load searchable before the portal starts
    # Cold: a portal without the result cache answers every request as a first-seen one.
    cold_http = http_run(env, options, home, 0)
    warm_http = http_run(env, options, home, 64)
    raw_http = raw_http_run(options, home, backend, search_url)
    cold, warm = cold_and_warm(backend, list(QUERY_MIX), options.rounds)
    raw_run = raw_elasticsearch(backend) if search_url else raw_fts5(backend)
    raw = measure(raw_run, [raw_terms(backend, q) for q in QUERY_MIX], options.rounds)

    print(
        f"{options.size:,} datasets, {backend.name}; {len(QUERY_MIX)} requests x "
        f"{options.rounds} rounds; HTTP: {options.clients} concurrent clients, one worker; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}{'p50 ratio':>11}{'p99 ratio':>11}")
    print(line("package_search HTTP, cold", cold_http, raw))
    print(line("package_search HTTP, warm cache", warm_http, raw))
    print(line("search() in-process, cold", cold, raw))
    if warm is not None:
        print(line("search() in-process, warm cache", warm, raw))
    print(f"{'raw engine query':<34}{raw.p50_ms:>9.1f}{raw.p99_ms:>9.1f}{1.0:>11.1f}{1.0:>11.1f}")
    print(line("raw query, bare FastAPI, HTTP", raw_http, raw))
    cold_ratio = (cold_http.p50_ms / raw_http.p50_ms, cold_http.p99_ms / raw_http.p99_ms)
    warm_ratio = (warm_http.p50_ms / raw_http.p50_ms, warm_http.p99_ms / raw_http.p99_ms)
    print(
        "portal over the bare raw endpoint, HTTP p50 / p99: "
        f"cold {cold_ratio[0]:.1f}x / {cold_ratio[1]:.1f}x, warm {warm_ratio[0]:.1f}x / "
        f"{warm_ratio[1]:.1f}x"
    )
    print("(cold: no result cache, every request as a first-seen query; warm: the result cache)")
    backend.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
