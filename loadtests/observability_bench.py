"""What the observability middleware costs a request: request ID, in-flight gauge, per-route
counter and latency histogram (delta/observability.py), against the same bare ASGI app
without it, in one run; in single-process mode and in multi-process mode (the metric files
of ``delta serve --workers N``).

    .venv/bin/python -m loadtests.observability_bench [--requests 20000] [--rounds 5]

The app answers at once, so the difference is the middleware's own time. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any


async def _bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope["route"] = _ROUTE
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"{}"})


class _Route:
    path = "/api/3/action/{name}"
    endpoint = None


_ROUTE = _Route()


async def _drive(app: Any, requests: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(_: dict[str, Any]) -> None:
        return None

    started = time.perf_counter()
    for _ in range(requests):
        scope = {"type": "http", "method": "GET", "path": "/api/3/action/package_show",
                 "headers": [(b"host", b"portal")]}  # fmt: skip
        await app(scope, receive, send)
    return (time.perf_counter() - started) / requests * 1e6


def measure(requests: int, rounds: int) -> dict[str, float]:
    """Microseconds per request, best of ``rounds``, in this process's metrics mode."""
    from delta.observability import Observability, RouteCapture

    observed = Observability(RouteCapture(_bare), trust_request_id=True, log_access=False)
    bare = [asyncio.run(_drive(_bare, requests)) for _ in range(rounds)]
    wrapped = [asyncio.run(_drive(observed, requests)) for _ in range(rounds)]
    return {"bare_us": round(min(bare), 2), "observed_us": round(min(wrapped), 2),
            "overhead_us": round(min(wrapped) - min(bare), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best one counts")
    parser.add_argument("--one-mode", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_mode:  # a child run: the mode was chosen by its environment
        print(json.dumps(measure(args.requests, args.rounds)))
        return
    figures = {}
    for mode in ("single_process", "multi_process"):
        env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
        with tempfile.TemporaryDirectory(prefix="delta-metrics-bench-") as folder:
            if mode == "multi_process":
                env["PROMETHEUS_MULTIPROC_DIR"] = folder  # before prometheus_client is imported
            out = subprocess.run(
                [sys.executable, "-m", "loadtests.observability_bench", "--one-mode",
                 "--requests", str(args.requests), "--rounds", str(args.rounds)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
        figures[mode] = json.loads(out.stdout)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
