"""The web pages against the API they are built on, on the 100,000-dataset catalogue.

Builds the catalogue of ``loadtests.search_http_latency`` (the judged corpus cloned
under new names) into a portal's search index, loads the sample catalogue into its
database (dataset pages need rows; the clones are index-only), starts the real
portal and, in the same run and interleaved, times over HTTP (one client, loopback):
the search page ``/dataset?...`` next to ``package_search`` with the same question,
and the dataset page ``/dataset/<name>`` next to ``package_show``. Prints p50/p99,
the page/API ratios, and the bytes of each page type.

    .venv/bin/python -m loadtests.web_pages_bench [--size 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from loadtests.search_http_latency import BIN, ckan_params, start_portal
from loadtests.search_latency import QUERY_MIX, Stats, cloned_docs, percentile
from loadtests.search_quality import index_with_progress, load_corpus
from search import open_backend

PAGE_TYPES = ("/", "/dataset", "/dataset?q=空气质量&province=310000", "/organization",
              "/theme", "/region/320000", "/user/register", "/user/login")  # fmt: skip


def page_params(params: dict[str, Any]) -> dict[str, Any]:
    """The search page's URL for a package_search question (q, filters, sort, page)."""
    out: dict[str, Any] = {"q": params.get("q", "")}
    for fq in params.get("fq_list", []):
        field, _, value = fq.partition(":")
        out.setdefault(field, []).append(value.strip('"'))
    return out


def stats(samples: list[float]) -> Stats:
    return Stats(percentile(samples, 50), percentile(samples, 99),
                 sum(samples) / len(samples), len(samples))  # fmt: skip


def timed(client: httpx.Client, url: str, params: dict[str, Any] | None = None) -> float:
    start = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18300)
    options = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="web-bench-"))
    backend = open_backend(None, index_path=home / "search" / "catalog.db")
    index_with_progress(backend, list(cloned_docs(load_corpus(), options.size)), backend.name)
    backend.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTA_")}
    env.update(DELTA_HOME=str(home), DELTA_ENV="development", DELTA_LOG_LEVEL="WARNING",
               DELTA_SITE_URL=f"http://127.0.0.1:{options.port}")  # fmt: skip
    subprocess.run([str(BIN / "delta"), "demo", "load"], env=env, check=True, capture_output=True)
    portal = start_portal(env, options.port, home / "portal.log")
    base = f"http://127.0.0.1:{options.port}"
    searches = [ckan_params(query) for query in QUERY_MIX]
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            names = client.get("/api/3/action/package_list").json()["result"]
            api_search, page_search, api_show, page_show = ([] for _ in range(4))
            for _ in range(options.rounds):
                for params in searches:
                    api_params = {**params, "fq_list": json.dumps(params.get("fq_list", []))}
                    api_search.append(timed(client, "/api/3/action/package_search", api_params))
                    page_search.append(timed(client, "/dataset", page_params(params)))
                for name in names:
                    api_show.append(timed(client, "/api/3/action/package_show", {"id": name}))
                    page_show.append(timed(client, f"/dataset/{name}"))
            sizes = {path: len(client.get(path).content) for path in PAGE_TYPES}
            sizes[f"/dataset/{names[0]}"] = len(client.get(f"/dataset/{names[0]}").content)
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    rows = (
        ("package_search (API)", stats(api_search)),
        ("search page", stats(page_search)),
        ("package_show (API)", stats(api_show)),
        ("dataset page", stats(page_show)),
    )
    print(f"{options.size:,} datasets in the index; {len(searches)} searches and "
          f"{len(names)} datasets x {options.rounds} rounds, over HTTP")  # fmt: skip
    print(f"{'':<24}{'p50 ms':>9}{'p99 ms':>9}")
    for label, measured in rows:
        print(f"{label:<24}{measured.p50_ms:>9.1f}{measured.p99_ms:>9.1f}")
    for (api_label, api), (page_label, page) in ((rows[0], rows[1]), (rows[2], rows[3])):
        print(f"{page_label} / {api_label}: p50 {page.p50_ms / api.p50_ms:.2f}x, "
              f"p99 {page.p99_ms / api.p99_ms:.2f}x")  # fmt: skip
    print("page bytes (HTML only; our CSS is 6 KB, our JS at most 4 KB):")
    for path, size in sizes.items():
        print(f"  {path:<48}{size:>9,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
