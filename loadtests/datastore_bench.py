"""A 1,000,000-row CSV into the DataStore, against PostgreSQL's own COPY of the same file,
then keyset paging from the first page to the last.

    .venv/bin/python -m loadtests.datastore_bench [--rows 1000000] [--page-size 1000]
        [--database-url URL]      # default: a throw-away database on the local PostgreSQL

1. Generates the CSV (Chinese names, region codes, dates, amounts, flags) and a Table
   Schema for it.
2. Baseline: ``COPY ... FROM STDIN (FORMAT csv)`` of that file into a plain table of
   the same column types, in the same database -- rows/s.
3. Starts a real portal on that database, uploads the file with its schema, and waits
   for the ingest worker: validation (frictionless) then the DataStore load. The load
   time is the worker's own measurement (it is in the validation report); the
   end-to-end time includes the upload and validation.
4. Pages through every row following ``_links.next`` (keyset cursors), timing each
   request; for contrast, the last page by ``offset``.

Progress goes to stderr, the figures to stdout as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.support.postgres import temporary_database
from tests.support.processes import start_portal

SCHEMA = {
    "fields": [
        {"name": "编号", "type": "integer"},
        {"name": "名称", "type": "string"},
        {"name": "区划", "type": "string"},
        {"name": "日期", "type": "date"},
        {"name": "金额", "type": "number"},
        {"name": "有效", "type": "boolean"},
    ],
    "primaryKey": ["编号"],
}
PLACES = [
    "上海市徐汇区",
    "上海市黄浦区",
    "江苏省苏州市",
    "浙江省杭州市",
    "安徽省合肥市",
    "江苏省南京市",
]
CODES = ["310104", "310101", "320500", "330100", "340100", "320100"]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(path: Path, rows: int) -> None:
    rng = random.Random(4)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        for n in range(rows):
            place = rng.randrange(len(PLACES))
            writer.writerow(
                [n, f"{PLACES[place]}第{n % 997}号服务点", CODES[place],
                 f"20{10 + n % 14}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                 f"{rng.random() * 100000:.2f}", "true" if n % 3 else "false"]
            )  # fmt: skip
            if n and n % 250_000 == 0:
                say(f"generating: {n:,} rows")


def copy_baseline(database_url: str, path: Path) -> dict[str, Any]:
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        connection.execute(
            'CREATE TABLE copy_baseline ("编号" bigint, "名称" text, "区划" text, "日期" date, '
            '"金额" numeric, "有效" boolean)'
        )
        started = time.monotonic()
        statement = "COPY copy_baseline FROM STDIN (FORMAT csv, HEADER true)"
        with (
            connection.cursor() as cursor,
            path.open("rb") as handle,
            cursor.copy(statement) as copy,
        ):
            while block := handle.read(1024 * 1024):
                copy.write(block)
        connection.commit()
        seconds = time.monotonic() - started
        count = connection.execute("SELECT count(*) FROM copy_baseline").fetchone()
        connection.execute("DROP TABLE copy_baseline")
    rows = int(count[0]) if count else 0
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def portal_load(server_url: str, token: str, path: Path, rows: int) -> dict[str, Any]:
    client = httpx.Client(base_url=server_url, headers={"Authorization": token}, timeout=3600)
    client.post("/api/3/action/organization_create", json={"name": "bench-org"})
    package = client.post(
        "/api/3/action/package_create", json={"name": "bench-ds", "owner_org": "bench-org"}
    ).json()["result"]
    started = time.monotonic()
    with path.open("rb") as handle:
        resource = client.post(
            "/api/3/action/resource_create",
            data={"package_id": package["id"], "schema": json.dumps(SCHEMA, ensure_ascii=False)},
            files={"upload": ("bench.csv", handle, "text/csv")},
        ).json()["result"]
    uploaded = time.monotonic() - started
    say(f"uploaded in {uploaded:.1f}s; waiting for validation and the DataStore load")
    while True:
        shown = client.get(f"/api/3/action/resource_show?id={resource['id']}").json()["result"]
        if shown["validation_status"] != "pending":
            break
        time.sleep(1)
    total = time.monotonic() - started
    report = client.get(shown["validation_url"]).json()
    loaded = report["report"].get("datastore", {})
    if shown["validation_status"] != "success" or not loaded.get("loaded"):
        raise SystemExit(f"load failed: {json.dumps(report, ensure_ascii=False)[:2000]}")
    validation = report["report"]["stats"].get("seconds")
    return {
        "resource_id": resource["id"],
        "rows": loaded["rows"],
        "load_seconds": loaded["seconds"],
        "load_rows_per_s": round(loaded["rows"] / loaded["seconds"]),
        "validation_seconds": validation,
        "upload_seconds": round(uploaded, 2),
        "upload_to_queryable_seconds": round(total, 2),
    }


def page_through(server_url: str, resource_id: str, page_size: int, rows: int) -> dict[str, Any]:
    client = httpx.Client(base_url=server_url, timeout=120)
    url = (
        f"/api/3/action/datastore_search?resource_id={resource_id}"
        f"&limit={page_size}&include_total=false"
    )
    timings: list[float] = []
    seen = 0
    while True:
        started = time.monotonic()
        page = client.get(url).json()["result"]
        timings.append(time.monotonic() - started)
        if not page["records"]:
            timings.pop()  # the empty page after the last one
            break
        seen += len(page["records"])
        url = page["_links"]["next"]
        if len(timings) % 100 == 0:
            say(f"paging: {seen:,} rows, last page {timings[-1] * 1000:.1f} ms")
    started = time.monotonic()
    client.get(
        f"/api/3/action/datastore_search?resource_id={resource_id}&limit={page_size}"
        f"&offset={rows - page_size}&include_total=false"
    ).raise_for_status()
    by_offset = time.monotonic() - started
    ms = [t * 1000 for t in timings]
    return {
        "pages": len(ms),
        "rows_seen": seen,
        "first_page_ms": round(ms[0], 1),
        "last_page_ms": round(ms[-1], 1),
        "median_page_ms": round(statistics.median(ms), 1),
        "p95_page_ms": round(sorted(ms)[int(len(ms) * 0.95) - 1], 1),
        "first_10_pages_mean_ms": round(statistics.mean(ms[:10]), 1),
        "last_10_pages_mean_ms": round(statistics.mean(ms[-10:]), 1),
        "last_page_by_offset_ms": round(by_offset * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="delta-datastore-bench-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        database_url = args.database_url or stack.enter_context(temporary_database("delta_bench"))
        csv_path = work / "bench.csv"
        generate(csv_path, args.rows)
        say(f"CSV: {csv_path.stat().st_size / 1024 / 1024:.0f} MiB, {args.rows:,} rows")
        baseline = copy_baseline(database_url, csv_path)
        say(f"PostgreSQL COPY: {baseline['rows_per_s']:,} rows/s")
        server = start_portal(
            work / "home", database_url=database_url, DELTA_INGEST_POLL_SECONDS="0.5"
        )
        stack.callback(server.stop)
        server.cli("user", "create", "bench", "--email", "bench@example.org",
                   "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
        token = server.cli("token", "create", "bench", "--name", "bench").strip()
        load = portal_load(server.url, token, csv_path, args.rows)
        say(f"DataStore load: {load['load_rows_per_s']:,} rows/s")
        paging = page_through(server.url, load["resource_id"], args.page_size, args.rows)
    figures = {
        "rows": args.rows,
        "postgresql_copy": baseline,
        "datastore": load,
        "datastore_vs_copy": round(load["load_rows_per_s"] / baseline["rows_per_s"], 3),
        "keyset_paging": paging,
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
