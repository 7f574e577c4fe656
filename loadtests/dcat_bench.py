"""Harvest throughput from a 10,000-dataset CKAN source (SQLite and PostgreSQL targets),
and ``/catalog.ttl`` time per 1,000 datasets -- each against a baseline of the same run.

    .venv/bin/python -m loadtests.dcat_bench [--datasets 10000] [--skip-postgres]

1. Builds the source: the search corpus (1,999 records, 519 organisations) repeated
   until there are ``--datasets`` of them (names suffixed), written through the
   catalogue services in-process, indexed once, then served by a real ``delta serve``
   (1,000 datasets a DCAT page).
2. Baseline for harvesting: ``ckanapi dump datasets --all`` from that source (the
   real ckanapi command, its default parallelism) -- datasets/s of plain reading.
3. Harvests the source into a fresh target (the real job: gather through RemoteCKAN,
   then import through the services with search indexing), on SQLite and on
   PostgreSQL; then a second run (incremental: nothing changed). datasets/s.
4. ``/catalog.ttl``: follows hydra:next through all pages over HTTP, seconds per
   1,000 datasets; baseline: rdflib's own Turtle serialisation of the same graphs
   (parsed from the pages) -- what the format alone costs.

Progress goes to stderr, the figures to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from rdflib import Graph

from datasets import groups, packages
from datasets.harvest import jobs, sources
from datasets.policy import Principal
from datasets.unit import CatalogUnit
from delta import migrations
from delta.settings import load_settings
from loadtests.search_quality import corpus_dir
from open_portal.harvest.runtime import harvest_env
from open_portal.runtime import Portal
from standards import dcat_read
from tests.support.postgres import temporary_database
from tests.support.processes import BIN, PortalServer, base_env, free_port

ADMIN = Principal(user_id="bench", name="bench", sysadmin=True)
BATCH = 200


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _open(home: Path, *, site_url: str, database_url: str | None = None) -> Portal:
    settings = load_settings(
        home=home, env="test", secret_key="b" * 40, site_url=site_url, database_url=database_url,
        harvest_scheduler=False, ingest_worker=False,
    )  # fmt: skip
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    return Portal.open(settings)


def build_source(home: Path, *, count: int, site_url: str) -> None:
    corpus = corpus_dir()
    orgs = _jsonl(corpus / "organizations.jsonl")
    records = [r for r in _jsonl(corpus / "datasets.jsonl") if not r.get("private")]
    portal = _open(home, site_url=site_url)
    try:
        with portal.sessions() as session:
            unit = CatalogUnit(session=session, site_url=site_url)
            for org in orgs:
                extras = {e["key"]: e["value"] for e in org.get("extras", [])}
                groups.create_group(unit, actor=ADMIN, organization=True, data={
                    "name": org["name"], "title": org["title"], "title_en": extras.get("title_en"),
                    "region_code": extras.get("region_code"),
                })  # fmt: skip
            session.commit()
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            with portal.sessions() as session:
                unit = CatalogUnit(session=session, site_url=site_url)
                for number in range(start, min(start + BATCH, count)):
                    record = records[number % len(records)]
                    copy = number // len(records)
                    name = record["name"] if copy == 0 else f"{record['name']}-{copy}"
                    packages.create_package(unit, actor=ADMIN, data={**record, "name": name})
                session.commit()
            say(f"source: {min(start + BATCH, count)}/{count} datasets")
        say(f"source written in {time.perf_counter() - started:.0f} s; indexing")
        portal.indexer.reindex(portal.sessions)
    finally:
        portal.close()


def ckanapi_baseline(url: str, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "ckanapi"), "dump", "datasets", "--all", "-r", url, "-O", str(out), "-q"],
        capture_output=True, text=True, check=False,
        # its workers start "ckanapi" by name
        env={**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"ckanapi dump failed: {done.stderr[-2000:]}")
    seconds = time.perf_counter() - started
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    return {
        "datasets": lines,
        "seconds": round(seconds, 1),
        "datasets_per_s": round(lines / seconds, 1),
    }


def harvest_into(home: Path, *, source_url: str, database_url: str | None) -> dict[str, Any]:
    portal = _open(home, site_url="http://target.invalid", database_url=database_url)
    try:
        with portal.unit_of_work() as unit:
            groups.create_group(unit, actor=ADMIN, organization=True,
                                data={"name": "bench-target", "title": "基准目标"})  # fmt: skip
            sources.create_source(unit.session, actor=ADMIN, data={
                "name": "bench", "url": source_url, "source_type": "ckan",
                "owner_org": "bench-target", "config": {"rows": 1000},
            })  # fmt: skip
        env = harvest_env(portal)
        figures = {}
        for run in ("first", "second"):
            with portal.unit_of_work() as unit:
                source = sources.find_source(unit.session, "bench")
                job_id = jobs.open_job(unit.session, source, claim=True).id
            marks: dict[str, float] = {}

            def mark(
                stage: str, done: int, total: int | None, marks: dict[str, float] = marks
            ) -> None:
                marks.setdefault(stage, time.perf_counter())
                if done and total and done == total:
                    say(f"  {stage} {done}/{total}")

            started = time.perf_counter()
            job = jobs.run_job(env, job_id, mark, claimed=True)
            seconds = time.perf_counter() - started
            gathered = int(job.stats.get("gathered", 0))
            import_started = marks.get("import", started + seconds)
            figures[run] = {
                "status": job.status,
                "stats": job.stats,
                "seconds": round(seconds, 1),
                "gather_seconds": round(import_started - started, 1),
            }
            if run == "first":
                figures[run]["datasets_per_s"] = round(gathered / seconds, 1)
            say(f"  {run} run: {figures[run]}")
        return figures
    finally:
        portal.close()


def catalog_timing(base_url: str) -> dict[str, Any]:
    url: str | None = f"{base_url}/catalog.ttl"
    pages, datasets, fetch, serialise = 0, 0, 0.0, 0.0
    with httpx.Client(timeout=600) as client:
        while url:
            started = time.perf_counter()
            response = client.get(url)
            fetch += time.perf_counter() - started
            response.raise_for_status()
            graph = Graph().parse(data=response.content, format="turtle")
            pages += 1
            datasets += sum(
                1 for r in dcat_read.records(graph) if not isinstance(r, dcat_read.Unreadable)
            )
            started = time.perf_counter()
            graph.serialize(format="turtle")
            serialise += time.perf_counter() - started
            url = dcat_read.next_page(graph)
            say(f"catalog.ttl: page {pages}, {datasets} datasets")
    per_thousand = fetch / datasets * 1000
    baseline = serialise / datasets * 1000
    return {
        "pages": pages,
        "datasets": datasets,
        "seconds_per_1000": round(per_thousand, 2),
        "baseline_rdflib_turtle_seconds_per_1000": round(baseline, 2),
        "ratio_to_baseline": round(per_thousand / baseline, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--datasets", type=int, default=10_000, help="datasets at the source")
    parser.add_argument("--skip-postgres", action="store_true", help="only the SQLite target")
    parser.add_argument("--skip-harvest", action="store_true", help="only /catalog.ttl")
    args = parser.parse_args()
    figures: dict[str, Any] = {"datasets": args.datasets}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dcat-bench-")))
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        build_source(work / "source", count=args.datasets, site_url=site)
        env = base_env(
            work / "source",
            DELTA_SITE_URL=site,
            DELTA_HARVEST_SCHEDULER="false",
            DELTA_INGEST_WORKER="false",
            DELTA_DCAT_DATASETS_PER_PAGE="1000",
        )
        server = PortalServer(home=work / "source", env=env, port=port)
        server.start()
        stack.callback(server.stop)
        if not args.skip_harvest:
            say("baseline: ckanapi dump datasets --all")
            figures["baseline_ckanapi_dump"] = ckanapi_baseline(site, work / "dump.jsonl")
            say("harvest into SQLite")
            figures["harvest_sqlite"] = harvest_into(
                work / "t-sqlite", source_url=site, database_url=None
            )
        if not (args.skip_postgres or args.skip_harvest):
            say("harvest into PostgreSQL")
            with temporary_database() as url:
                figures["harvest_postgresql"] = harvest_into(
                    work / "t-pg", source_url=site, database_url=url
                )
        figures["catalog_ttl"] = catalog_timing(site)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
