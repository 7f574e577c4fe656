"""Throughput of package_show and package_list against a bare FastAPI endpoint.

Starts a real portal (``delta serve``) on a fresh DELTA_HOME, loads the search
corpus (519 organisations, 1,999 datasets) through the catalog services,
starts a bare FastAPI app serving the very same JSON bodies, and drives all
four endpoints with locust (headless, same users, same duration) one after
the other in this one run. Prints requests/s, median and p99 latency, and the
ratio ours / bare. Every sampled dataset is read once before the run (warm caches).

    .venv/bin/python -m loadtests.ckan_bench [--users 16] [--seconds 20] [--database-url URL]
        [--rounds N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from loadtests.search_quality import corpus_dir

HERE = Path(__file__).resolve().parent
CORPUS = corpus_dir()
BIN = Path(sys.executable).parent
console = Console(stderr=True)


def load_corpus(env: dict[str, str], limit: int | None) -> None:
    """Load organisations and datasets in-process through the services (no HTTP)."""
    os.environ.update(env)
    from datasets import groups, packages
    from datasets.policy import Principal
    from delta import migrations
    from delta.settings import load_settings
    from open_portal.runtime import Portal

    settings = load_settings()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    portal = Portal.open(settings)
    actor = Principal(user_id="bench-loader", name="bench", sysadmin=True)
    orgs = [json.loads(line) for line in (CORPUS / "organizations.jsonl").open(encoding="utf-8")]
    datasets = [json.loads(line) for line in (CORPUS / "datasets.jsonl").open(encoding="utf-8")]
    datasets = datasets[:limit] if limit else datasets
    with Progress(console=console) as bar:
        task = bar.add_task("loading corpus", total=len(orgs) + len(datasets))
        with portal.unit_of_work() as unit:
            for org in orgs:
                groups.create_group(unit, actor=actor, data=org, organization=True)
                bar.advance(task)
        for start in range(0, len(datasets), 200):
            with portal.unit_of_work() as unit:
                for record in datasets[start : start + 200]:
                    packages.create_package(unit, actor=actor, data=record)
                    bar.advance(task)
    portal.close()


def start(args: list[str], env: dict[str, str], url: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{args[0]} did not start; see {log}")


def run_locust(
    target: str, host: str, *, names: list[str], users: int, seconds: int, out: Path
) -> dict[str, Any]:
    prefix = out / target
    env = {**os.environ, "BENCH_TARGET": target, "BENCH_NAMES": ",".join(names)}
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "ckan_locust.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--limit", type=int, default=None, help="load only this many datasets")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="drive the four endpoints this many times in turn; ratios per round and "
        "their median (a shared machine's load changes within seconds)",
    )
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ckan-bench-"))
    port, bare_port = 18100, 18101
    env = {key: value for key, value in os.environ.items() if not key.startswith("DELTA_")}
    env.update(
        DELTA_HOME=str(work / "home"),
        DELTA_ENV="development",
        DELTA_LOG_LEVEL="WARNING",
        DELTA_SITE_URL=f"http://127.0.0.1:{port}",
    )
    if options.database_url:
        env["DELTA_DATABASE_URL"] = options.database_url
    load_corpus(env, options.limit)

    ours_url = f"http://127.0.0.1:{port}"
    ours = start(
        [str(BIN / "delta"), "serve", "--port", str(port)],
        env,
        f"{ours_url}/api/3/action/site_read",
        work / "ours.log",
    )
    try:
        names = httpx.get(f"{ours_url}/api/3/action/package_list", timeout=30).json()["result"]
        sample = names[:: max(1, len(names) // 200)]
        payloads = {
            "show": httpx.get(
                f"{ours_url}/api/3/action/package_show", params={"id": names[0]}
            ).json(),
            "list": httpx.get(f"{ours_url}/api/3/action/package_list").json(),
        }
        (work / "bare-payloads.json").write_text(json.dumps(payloads, ensure_ascii=False), "utf-8")
        # Steady state: each sampled dataset read once first, so the first seconds of the
        # run do not measure building package dicts (cold reads) but serving them.
        with httpx.Client(base_url=ours_url, timeout=30) as client:
            for name in sample:
                client.get("/api/3/action/package_show", params={"id": name})
        bare_env = {
            **env,
            "BARE_PAYLOADS": str(work / "bare-payloads.json"),
            "PYTHONPATH": str(HERE),
        }
        bare = start(
            [
                str(BIN / "uvicorn"),
                "bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            bare_env,
            f"http://127.0.0.1:{bare_port}/bare/package_list",
            work / "bare.log",
        )
        try:
            rounds: list[dict[str, dict[str, Any]]] = []
            for round_no in range(options.rounds):
                measured = {}
                for target, host in (
                    ("show", ours_url),
                    ("bare-show", f"http://127.0.0.1:{bare_port}"),
                    ("list", ours_url),
                    ("bare-list", f"http://127.0.0.1:{bare_port}"),
                ):
                    console.print(
                        f"round {round_no + 1}: driving {target} for {options.seconds}s "
                        f"with {options.users} users ..."
                    )
                    measured[target] = run_locust(
                        target,
                        host,
                        names=sample,
                        users=options.users,
                        seconds=options.seconds,
                        out=work,
                    )
                rounds.append(measured)
        finally:
            bare.terminate()
    finally:
        ours.terminate()

    database = "PostgreSQL" if options.database_url else "SQLite"
    table = Table(title=f"CKAN read throughput ({len(names)} datasets, {database})")
    for column in ("round", "endpoint", "requests", "failures", "req/s", "p50 ms", "p99 ms"):
        table.add_column(column)
    for round_no, measured in enumerate(rounds, 1):
        for target, r in measured.items():
            table.add_row(
                str(round_no),
                target,
                str(r["requests"]),
                str(r["failures"]),
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.0f}",
                f"{r['p99_ms']:.0f}",
            )
    Console().print(table)
    ratios: dict[str, list[float]] = {}
    for action in ("show", "list"):
        ratios[action] = [m[action]["rps"] / m[f"bare-{action}"]["rps"] for m in rounds]
        for round_no, measured in enumerate(rounds, 1):
            ours_rps, bare_rps = measured[action]["rps"], measured[f"bare-{action}"]["rps"]
            print(
                f"round {round_no}: package_{action}: {ours_rps:.0f} req/s = "
                f"{ours_rps / bare_rps:.2f} x bare FastAPI ({bare_rps:.0f} req/s)"
            )
        print(f"package_{action}: median ratio {statistics.median(ratios[action]):.2f} x bare")
    print(json.dumps({"datasets": len(names), "rounds": rounds, "ratios": ratios}))


if __name__ == "__main__":
    main()
