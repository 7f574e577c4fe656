"""Window cases between two region nodes on loopback, with a same-run baseline.

    .venv/bin/python -m loadtests.case_bench [--latency 60] [--cases 1000] [--keys rsa]

Starts real ``delta node serve`` processes for 310000 (A, the accepting window),
320000 (B, the deciding region) and 330000 (the applicants' home) in a
throwaway DELTA_HOME, and two bare FastAPI apps that make the same two hops
(client -> app 1 -> app 2, a manifest-sized JSON body, nothing signed or stored).
Measures, in one run:

* delivery latency: ``--latency`` cases taken in one after another through A's
  staff API (identity from the home node, consent, two scans, submit); from A's
  commit of the submission to B's commit of the new case (materials pushed, the
  message signed, batch verified, inbox + case written), and on to A's commit
  of B's signed receipt; p50/p99, from the nodes' own timestamps;
* backlog drain and cases/s: B is killed, ``--cases`` cases are taken in at A
  (``delta demo cases``), B is started again; the time from B answering until
  every case is at B and every receipt back at A;
* the baseline: a single two-hop POST (p50/p99), and the same number of
  manifests pushed through the two hops in batches of 100 (cases/s).

The nodes run with ``DELTA_CASE_RETRY_MAX_SECONDS=2`` (the default is 300 s:
a peer that has been down for a while is retried every few minutes, so in
production a backlog starts draining up to that long after the peer returns,
or at once with the supervisors' "retry now").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from rich.console import Console
from rich.table import Table

from interregion.clock import utcnow
from interregion.federation.provisioning import provision
from loadtests.licence_bench import _start, summary
from signing.keystore import KeyDirectory
from standards.regions import DELTA_PROVINCES
from tests.interregion.cases_support import Api, pdf_bytes, png_bytes
from tests.support.processes import BIN, base_env, free_port

A, B, HOME = "310000", "320000", "330000"
MATTER = "320000-GJJ-018"  # two materials: form (PDF) and ID (PNG)
console = Console(stderr=True)


# --- the baseline: the same two hops, nothing behind them ----------------------------------------


def bare_app() -> FastAPI:
    """``CASE_BENCH_PEER`` set: the window (forwards to the peer); unset: the deciding region."""
    peer = os.environ.get("CASE_BENCH_PEER")
    app = FastAPI()
    client = httpx.Client(timeout=30)

    @app.post("/send")
    def send(body: dict[str, Any]) -> Response:  # sync, in the threadpool, as our worker is
        answer = client.post(f"{peer}/receive", json=body)
        return JSONResponse(answer.json())

    @app.post("/receive")
    async def receive(request: Request) -> Response:
        body = await request.json()
        items = body.get("messages", [body])
        return JSONResponse({"receipts": [{"status": "applied"} for _ in items]})

    return app


def manifest(index: int) -> dict[str, Any]:
    """About the size of a real case message (applicant, consent, two materials' hashes)."""
    materials = [{"sha256": "a" * 64, "size": 700}, {"sha256": "b" * 64, "size": 300}]
    data = {
        "applicant": {"name": "张明", "id": "330***********1234"},
        "consent": "x" * 1200,
        "identity_evidence": "y" * 1500,
        "materials": materials,
    }
    return {"kind": "case.submitted", "case": f"{A}-bench-{index}", "seq": 1, "data": data}


# --- processes -----------------------------------------------------------------------------------


def node_command(code: str) -> list[str]:
    return [str(BIN / "delta"), "node", "serve", "--region", code]


def start_nodes(home: Path, keys: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    urls = {code: f"http://127.0.0.1:{free_port()}" for code in DELTA_PROVINCES}
    KeyDirectory(home).init_demo(now=utcnow() - timedelta(minutes=10), kind=keys)  # type: ignore[arg-type]
    provision(home, base_urls=urls, now=utcnow() - timedelta(minutes=10))
    env = base_env(
        home,
        DELTA_LOG_LEVEL="WARNING",
        DELTA_NODE_EXCHANGE_RATE_PER_MINUTE="1000000",
        DELTA_CASE_RETRY_MAX_SECONDS="2",
        DELTA_CASE_DELIVERY_BATCH="100",
    )
    processes = {code: _start(node_command(code), env, f"{urls[code]}/healthz")
                 for code in (A, B, HOME)}  # fmt: skip
    return urls, env, processes


def start_baseline() -> tuple[str, list[subprocess.Popen[bytes]]]:
    receiver_port, sender_port = free_port(), free_port()
    command = [
        sys.executable, "-m", "uvicorn", "loadtests.case_bench:bare_app", "--factory",
        "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning", "--port",
    ]  # fmt: skip
    receiver = _start([*command, str(receiver_port)], dict(os.environ),
                      f"http://127.0.0.1:{receiver_port}/docs")  # fmt: skip
    env = {**os.environ, "CASE_BENCH_PEER": f"http://127.0.0.1:{receiver_port}"}
    sender = _start([*command, str(sender_port)], env, f"http://127.0.0.1:{sender_port}/docs")
    return f"http://127.0.0.1:{sender_port}", [receiver, sender]


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([str(BIN / "delta"), *args], env=env, capture_output=True, text=True,
                         check=True, timeout=900)  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# --- measuring -----------------------------------------------------------------------------------


def db(home: Path, code: str) -> sqlite3.Connection:
    return sqlite3.connect(
        f"file:{home / 'nodes' / code / 'node.db'}?mode=ro", uri=True, timeout=30
    )


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def home_node(home_dir: Path, env: dict[str, str]) -> Any:
    """The applicants' home node, opened here to make the codes their consent would produce."""
    from delta.settings import load_settings
    from interregion.node import Node

    settings = load_settings(home=home_dir, env="test", secret_key=env["DELTA_SECRET_KEY"])
    return Node.open(settings, HOME, refresh=False)


def latency(home: Path, env: dict[str, str], urls: dict[str, str], count: int) -> dict[str, Any]:
    from tests.interregion.cases_support import applicant_code

    token = cli(env, "staff", "token", "--region", A, "--username", "hu-clerk")["token"]
    clerk = Api(httpx.Client(base_url=urls[A], timeout=60), token)
    numbers = []
    applicants = home_node(home, env)
    try:
        codes = [applicant_code(applicants, window_region=A) for _ in range(count)]
    finally:
        applicants.close()
    for index in range(count):
        number = clerk.ok("post", "/cases", json={"matter": MATTER})["number"]
        clerk.ok("post", f"/cases/{number}/identity",
                 json={"home": HOME, "code": codes[index]})  # fmt: skip
        clerk.ok("post", f"/cases/{number}/consent", json={"applicant_signed": True})
        for material, data, kind in (("M01", pdf_bytes(f"form {number}"), "application/pdf"),
                                     ("M90", png_bytes(index), "image/png")):  # fmt: skip
            clerk.ok("post", f"/cases/{number}/materials", data={"material": material},
                     files={"file": (f"{material}.{kind[-3:]}", data, kind)})  # fmt: skip
        clerk.ok("post", f"/cases/{number}/submit")
        numbers.append(number)
        time.sleep(0.2)  # one at a time: the worker is idle when the next one comes
    time.sleep(3)
    with db(home, A) as a, db(home, B) as b:
        sent = dict(a.execute("SELECT number, submitted_at FROM case_file WHERE side='accepting'"))
        receipts = dict(
            a.execute("SELECT number, delivered_at FROM case_file WHERE side='accepting'")
        )
        arrived = dict(b.execute("SELECT number, created_at FROM case_file"))
    to_b = [(moment(arrived[n]) - moment(sent[n])).total_seconds() * 1000 for n in numbers]
    receipt = [(moment(receipts[n]) - moment(sent[n])).total_seconds() * 1000 for n in numbers]
    return {"case_at_b": summary(to_b), "receipt_at_a": summary(receipt)}


def backlog(home: Path, env: dict[str, str], urls: dict[str, str], processes: dict[str, Any],
            count: int) -> dict[str, Any]:  # fmt: skip
    processes[B].send_signal(signal.SIGKILL)
    processes[B].wait()
    began = time.perf_counter()
    cli(env, "demo", "cases", "--region", A, "--count", str(count), "--to", B)
    intake_seconds = time.perf_counter() - began
    with db(home, B) as b:
        before = b.execute("SELECT count(*) FROM case_file").fetchone()[0]
    started = time.perf_counter()
    processes[B] = _start(node_command(B), env, f"{urls[B]}/healthz")
    up = time.perf_counter()
    while True:
        with db(home, A) as a, db(home, B) as b:
            at_b = b.execute("SELECT count(*) FROM case_file").fetchone()[0] - before
            waiting = a.execute("SELECT count(*) FROM case_outbox WHERE delivered_at IS NULL")
            pending = waiting.fetchone()[0]
        if at_b >= count and not pending:
            break
        if time.perf_counter() - up > 900:
            raise TimeoutError(f"backlog not drained: {at_b}/{count} at B, {pending} waiting")
        time.sleep(0.2)
    drained = time.perf_counter()
    return {
        "cases": count,
        "intake_seconds_while_b_down": round(intake_seconds, 1),
        "b_restart_seconds": round(up - started, 1),
        "drain_seconds_after_b_answers": round(drained - up, 1),
        "cases_per_second": round(count / (drained - up), 1),
    }


def baseline(url: str, *, singles: int, cases: int) -> dict[str, Any]:
    client = httpx.Client(timeout=30)
    timings = []
    for index in range(singles):
        began = time.perf_counter()
        client.post(f"{url}/send", json=manifest(index)).raise_for_status()
        timings.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    for start in range(0, cases, 100):
        batch = {"messages": [manifest(i) for i in range(start, min(cases, start + 100))]}
        client.post(f"{url}/send", json=batch).raise_for_status()
    seconds = time.perf_counter() - began
    return {"two_hop_post": summary(timings), "batched_cases_per_second": round(cases / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency",
        type=int,
        default=60,
        metavar="N",
        help="cases taken in one by one for the latency figures",
    )
    parser.add_argument(
        "--cases",
        type=int,
        default=1000,
        metavar="N",
        help="cases in the backlog that B drains after its restart",
    )
    parser.add_argument(
        "--keys",
        choices=("rsa", "ec-p256"),
        default="rsa",
        help="the nodes' signing keys (the demo default is RSA-3072)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="case-bench-") as folder:
        home = Path(folder)
        console.print("starting nodes 310000, 320000, 330000 and the bare baseline apps…")
        urls, env, processes = start_nodes(home, args.keys)
        base_url, bare = start_baseline()
        try:
            console.print("baseline…")
            base = baseline(base_url, singles=200, cases=args.cases)
            console.print(f"delivery latency ({args.latency} cases through the staff API)…")
            lat = latency(home, env, urls, args.latency)
            console.print(f"backlog of {args.cases} cases while 320000 is down…")
            drain = backlog(home, env, urls, processes, args.cases)
        finally:
            for process in [*processes.values(), *bare]:
                process.terminate()
            for process in [*processes.values(), *bare]:
                process.wait(timeout=30)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": [round(x, 1) for x in os.getloadavg()], "keys": args.keys},
        "delivery_latency": lat, "backlog": drain, "baseline": base,
        "ratios": {
            "latency_p50_vs_two_hop_post": round(lat["case_at_b"]["p50_ms"]
                                                 / base["two_hop_post"]["p50_ms"], 1),
            "cases_per_second_vs_batched_two_hop": round(drain["cases_per_second"]
                                                         / base["batched_cases_per_second"], 3),
        },
    }  # fmt: skip
    table = Table(title="window cases: 310000 -> 320000 on loopback")
    for column in ("measure", "ours", "baseline (bare two-hop FastAPI)"):
        table.add_column(column)
    table.add_row(
        "latency to B p50 / p99 ms",
        f"{lat['case_at_b']['p50_ms']} / {lat['case_at_b']['p99_ms']}",
        f"{base['two_hop_post']['p50_ms']} / {base['two_hop_post']['p99_ms']}",
    )
    table.add_row(
        "signed receipt back at A p50 / p99 ms",
        f"{lat['receipt_at_a']['p50_ms']} / {lat['receipt_at_a']['p99_ms']}",
        "",
    )
    table.add_row(
        "cases/s (backlog drain)",
        str(drain["cases_per_second"]),
        str(base["batched_cases_per_second"]),
    )
    table.add_row(f"drain {args.cases} cases after B answers, s",
                  str(drain["drain_seconds_after_b_answers"]), "")  # fmt: skip
    console.print(table)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
