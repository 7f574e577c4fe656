"""The web pages against the API they are built on, on the 100,000-dataset catalogue.

Builds the catalogue of ``loadtests.search_http_latency`` (the judged corpus cloned
under new names) into a portal's search index, loads the sample catalogue into its
database (dataset pages need rows; the clones are index-only), starts the real
portal and, in the same run and interleaved, asks over HTTP (one client, loopback):

* the search page ``/dataset?...`` and ``package_search`` with the very parameters
  the page passes to it (the query mix of ``loadtests.search_latency`` as page URLs);
* the dataset page ``/dataset/<name>`` and ``package_show`` of the same dataset.

Server time is what the portal's access log says for each request (found by the
``X-Request-ID`` the client sends), so the client and the loopback are left out;
the client's time is printed as well. Then the bytes of each page type (HTML, and
our own CSS and JS it links, chart code apart).

    .venv/bin/python -m loadtests.web_pages_bench [--size 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.datastructures import QueryParams

from loadtests.search_http_latency import BIN, start_portal
from loadtests.search_latency import QUERY_MIX, SearchQuery, Stats, cloned_docs, percentile
from loadtests.search_quality import index_with_progress, load_corpus
from open_portal.web.search_params import FILTER_FIELDS, ROWS, SORTS, SearchParams
from search import open_backend

PAGE_TYPES = ("/", "/dataset", "/dataset?q=空气质量&province=310000", "/dataset/{name}",
              "/dataset/{name}/history", "/dataset/{name}/resource/{resource}",
              "/organization", "/organization/{org}", "/theme", "/theme/environment",
              "/region/320000", "/user/register", "/user/login",
              "/dataset/no-such-dataset")  # fmt: skip
CHART_CODE = "charts.js"
ACCESS = re.compile(r"\[(bench-\w+-\d+)\]: GET \S+ \d+ ([\d.]+) ms")


def page_url_params(query: SearchQuery) -> list[tuple[str, str]]:
    """The search page's URL for a question of the mix (what the page can say of it)."""
    out = [("q", query.q)]
    for fq in query.fq:
        field, _, value = fq.partition(":")
        if field in FILTER_FIELDS:
            out.append((field, value.strip('"')))
    if query.sort in SORTS:
        out.append(("sort", query.sort))
    if query.start:
        out.append(("page", str(query.start // ROWS + 1)))
    return out


def api_params(page_params: list[tuple[str, str]]) -> dict[str, Any]:
    """What the page passes to package_search, as an API client sends it."""
    data = SearchParams.from_query(QueryParams(page_params)).action_data()
    return {**data, "fq_list": json.dumps(data["fq_list"])}


def stats(samples: list[float]) -> Stats:
    return Stats(percentile(samples, 50), percentile(samples, 99),
                 sum(samples) / len(samples), len(samples))  # fmt: skip


class Timer:
    """Sends each request with its own request ID and keeps the client's time."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.numbers = itertools.count()
        self.client_ms: dict[str, list[float]] = {}
        self.ids: dict[str, str] = {}  # request ID -> kind

    def get(self, kind: str, url: str, params: Any = None) -> None:
        rid = f"bench-{kind}-{next(self.numbers):07d}"
        start = time.perf_counter()
        response = self.client.get(url, params=params, headers={"X-Request-ID": rid})
        elapsed = (time.perf_counter() - start) * 1000
        response.raise_for_status()
        self.client_ms.setdefault(kind, []).append(elapsed)
        self.ids[rid] = kind

    def server_ms(self, log: str) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for rid, ms in ACCESS.findall(log):
            if rid in self.ids:
                found.setdefault(self.ids[rid], []).append(float(ms))
        return found


def page_bytes(client: httpx.Client, names: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Each page type: (HTML bytes, HTML + our CSS and JS before chart code)."""
    out = {}
    for pattern in PAGE_TYPES:
        path = pattern.format(**names)
        page = client.get(path)
        ours = re.findall(r'(?:href|src)="(/static/web/[^"]+)"', page.text)
        assets = sum(len(client.get(u).content) for u in ours if CHART_CODE not in u)
        out[path] = (len(page.content), len(page.content) + assets)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18300)
    options = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="web-bench-"))
    started = time.perf_counter()
    backend = open_backend(None, index_path=home / "search" / "catalog.db")
    index_with_progress(backend, list(cloned_docs(load_corpus(), options.size)), backend.name)
    backend.close()
    built = time.perf_counter() - started
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTA_")}
    env.update(DELTA_HOME=str(home), DELTA_ENV="development", DELTA_LOG_LEVEL="INFO",
               DELTA_LOG_FORMAT="text", DELTA_ACCESS_LOG="true",
               DELTA_SITE_URL=f"http://127.0.0.1:{options.port}")  # fmt: skip
    subprocess.run([str(BIN / "delta"), "demo", "load"], env=env, check=True, capture_output=True)
    log = home / "portal.log"
    portal = start_portal(env, options.port, log)
    base = f"http://127.0.0.1:{options.port}"
    searches = [page_url_params(query) for query in QUERY_MIX]
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            names = client.get("/api/3/action/package_list").json()["result"]
            timer = Timer(client)
            for name in names:  # warm up: templates compiled, each dataset cached once
                timer.get("warmup", f"/dataset/{name}")
                timer.get("warmup", "/api/3/action/package_show", {"id": name})
            for number in range(options.rounds):
                # API first in even rounds, the page first in odd ones: neither is
                # always the one that finds the other's work in a cache.
                step = 1 if number % 2 == 0 else -1
                pairs: list[list[tuple[str, str, Any]]] = [
                    [("api_search", "/api/3/action/package_search", api_params(params)),
                     ("page_search", "/dataset", params)]
                    for params in searches
                ] + [
                    [("api_show", "/api/3/action/package_show", {"id": name}),
                     ("page_show", f"/dataset/{name}", None)]
                    for name in names
                ]  # fmt: skip
                for pair in pairs:
                    for kind, url, query in pair[::step]:
                        timer.get(kind, url, query)
            shown = client.get("/api/3/action/package_show", params={"id": "zj-gdp-by-city"})
            package = shown.json()["result"]
            sizes = page_bytes(client, {"name": package["name"],
                                        "resource": package["resources"][0]["id"],
                                        "org": package["organization"]["name"]})  # fmt: skip
    finally:
        portal.terminate()
        portal.wait(timeout=30)
        access_log = log.read_text("utf-8", errors="replace")
        shutil.rmtree(home, ignore_errors=True)
    server = timer.server_ms(access_log)
    labels = (("api_search", "package_search (API)"), ("page_search", "search page"),
              ("api_show", "package_show (API)"), ("page_show", "dataset page"))  # fmt: skip
    print(f"{options.size:,} datasets in the index (built in {built:.0f} s); "
          f"{len(searches)} searches and {len(names)} datasets x {options.rounds} rounds, "
          f"over HTTP")  # fmt: skip
    print(f"{'':<24}{'server p50':>11}{'p99':>9}{'client p50':>12}{'p99':>9}  (ms)")
    for kind, label in labels:
        s, c = stats(server[kind]), stats(timer.client_ms[kind])
        print(f"{label:<24}{s.p50_ms:>11.1f}{s.p99_ms:>9.1f}{c.p50_ms:>12.1f}{c.p99_ms:>9.1f}")
    for api, page in (("api_search", "page_search"), ("api_show", "page_show")):
        for where, samples in (("server", server), ("client", timer.client_ms)):
            a, p = stats(samples[api]), stats(samples[page])
            print(f"{page} / {api} ({where}): p50 {p.p50_ms / a.p50_ms:.2f}x, "
                  f"p99 {p.p99_ms / a.p99_ms:.2f}x")  # fmt: skip
    print(f"{'page bytes':<56}{'HTML':>9}{'+ CSS, JS':>11}")
    for path, (html, total) in sizes.items():
        print(f"  {path:<54}{html:>9,}{total:>11,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
