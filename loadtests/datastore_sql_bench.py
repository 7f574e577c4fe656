"""What the defences of ``datastore_search_sql`` cost, and what the attack queries do now.

    .venv/bin/python -m loadtests.datastore_sql_bench [--rows 40000] [--repeat 5]

For SQLite and PostgreSQL (a throw-away database on the local server), a
DataStore table of ``--rows`` rows is created the way the portal creates one.
Each query then runs twice in the same run: through the execution layer the
action uses (restricted connection, authorizer or role, EXPLAIN check,
caps) and, as the baseline, on the portal's own pooled connection with no
limits (rows turned into JSON values the same way).
The median of ``--repeat`` runs of each is reported, with the ratio. Last, the
attack queries of issue 10 run through the execution layer and report the
answer, the time and how much the process grew (peak RSS).

Progress goes to stderr, the figures to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from datasets.datastore import tables
from datasets.datastore.sql_exec import SqlExecutor, json_value
from datasets.datastore.tables import Field
from delta import migrations
from delta.db import make_engine
from delta.errors import ValidationFailed
from delta.settings import load_settings
from open_portal.runtime import open_datastore_sql
from tests.support.postgres import temporary_database

QUERIES = {
    "32,000 rows": 'SELECT "名称", "金额" FROM {t} ORDER BY _id LIMIT 32000',
    "group by": 'SELECT "区划", count(*) AS n, sum("金额") AS s FROM {t} GROUP BY 1 ORDER BY 1',
}
ATTACKS = {
    "issue 10 printf": "SELECT replace(printf('%.*c', 100000000, 'x'), 'x', 'yyyyyyyyyy') FROM {t}",
    "600 printf columns": "SELECT "
    + ", ".join(f"printf('%.*c', 130000, 'x') AS c{n}" for n in range(599))
    + " FROM {t} LIMIT 1",
    "500 x one large value": "WITH b AS (SELECT printf('%.*c', 130000, 'x') AS v) SELECT "
    + ", ".join(["v"] * 500)
    + " FROM b, {t}",
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _portal_database(backend: str, home: Path) -> Iterator[str]:
    if backend == "postgresql":
        with temporary_database("delta_bench") as url:
            yield url
    else:
        yield f"sqlite:///{home / 'portal.db'}"


def _median_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _fill(engine: sa.Engine, rows: int, executor: SqlExecutor) -> str:
    fields = [Field("名称", "text"), Field("区划", "text"), Field("金额", "numeric")]
    name = tables.new_table_name()
    with engine.begin() as connection:
        table = tables.create_physical(connection, name, fields, sql_reader=executor.grant_role)
        connection.execute(
            table.insert(),
            [
                {"名称": f"第{n}行", "区划": f"区{n % 16}", "金额": n * 1.5, "_full_text": ""}
                for n in range(rows)
            ],
        )
    return name


@contextmanager
def _peak_growth() -> Iterator[dict[str, float]]:
    """How far this process's RSS rose above where it started, sampled every 5 ms."""
    process = psutil.Process()
    start = process.memory_info().rss
    seen = {"peak": start}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            seen["peak"] = max(seen["peak"], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: dict[str, float] = {}
    try:
        yield out
    finally:
        done.set()
        sampler.join()
        out["mib"] = round((max(seen["peak"], process.memory_info().rss) - start) / 2**20, 1)


def bench(backend: str, rows: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home, _portal_database(backend, Path(home)) as url:
        migrations.upgrade(url, package="open_portal")
        settings = load_settings(
            home=Path(home), database_url=url, env="development", datastore_search_sql_enabled=True
        )
        engine = make_engine(settings.portal_database_url)
        executor = open_datastore_sql(settings, engine)
        assert executor is not None
        _log(f"{backend}: {rows} rows")
        table = _fill(engine, rows, executor)
        out: dict[str, Any] = {"backend": backend, "rows": rows, "queries": {}, "attacks": {}}
        for label, template in QUERIES.items():
            sql = template.format(t=f'"{table}"')

            def defended(sql: str = sql) -> None:
                executor.run(sql, {table: "resource"})

            def baseline(sql: str = sql) -> None:
                with engine.connect() as connection:
                    result = connection.exec_driver_sql(sql)
                    names = list(result.keys())
                    [dict(zip(names, map(json_value, row), strict=True)) for row in result]

            seconds = _median_seconds(defended, repeat)
            base = _median_seconds(baseline, repeat)
            out["queries"][label] = {
                "defended_s": round(seconds, 4),
                "baseline_s": round(base, 4),
                "ratio": round(seconds / base, 2),
            }
            _log(f"  {label}: {seconds:.3f} s vs {base:.3f} s")
        for label, template in ATTACKS.items():
            sql = template.format(t=f'"{table}"')
            if backend == "postgresql":
                sql = sql.replace("printf('%.*c', 100000000, 'x')", "format('%100000000s', 'x')")
                sql = sql.replace("printf('%.*c', 130000, 'x')", "format('%130000s', 'x')")
            started = time.perf_counter()
            with _peak_growth() as grown:
                try:
                    result = executor.run(sql, {table: "resource"})
                    answer = f"200, {len(result.records)} rows"
                except ValidationFailed as exc:
                    answer = f"409: {exc.errors['sql'][0]}"
            out["attacks"][label] = {
                "answer": answer,
                "seconds": round(time.perf_counter() - started, 2),
                "peak_rss_growth_mib": grown["mib"],
            }
            _log(f"  {label}: {out['attacks'][label]}")
        engine.dispose()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000, metavar="COUNT",
                        help="rows in the DataStore table (default 40000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, metavar="TIMES",
                        help="runs of each query; the median is reported (default 5)")  # fmt: skip
    args = parser.parse_args()
    results = [bench(backend, args.rows, args.repeat) for backend in ("sqlite", "postgresql")]
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
