"""SSO round trip between two region nodes on loopback, against a bare FastAPI baseline.

    .venv/bin/python -m loadtests.sso_bench [--iterations 300] [--login-iterations 40]

Starts real ``delta node serve`` processes for 310000 (the service) and
320000 (the home region) in a throwaway DELTA_HOME, and two bare FastAPI
apps that answer the same six HTTP exchanges with fixed redirects and forms,
then drives both with the same client (httpx + lxml form handling):

1. GET  SP /sso/start      -> auto-POST page (signed AuthnRequest)
2. POST IdP /saml/sso      -> 303 (request verified, login in progress stored)
3. GET  IdP /idp/consent   -> consent page
4. POST IdP /idp/consent   -> auto-POST page (signed Response + Assertion)
5. POST SP /saml/acs       -> 303 (schema, signatures, replay, InResponseTo, level)
6. GET  SP /service        -> the service page

"round trip" is 1-6 for a person already logged in at home (single sign-on,
the common case); "with password login" adds the login form and its argon2id
check (a fresh browser each time). Every audit record is written and signed as
in production. Prints p50/p99 in milliseconds and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interregion.clock import utcnow
from interregion.federation.provisioning import provision
from standards.regions import DELTA_PROVINCES
from tests.interregion.browser import Browser, Page
from tests.interregion.flows import person
from tests.support.processes import BIN, base_env, free_port, wait_until_up

SP, HOME = "310000", "320000"


# --- the baseline: the same six exchanges, nothing behind them --------------------------------


def _form(action: str, *, auto: bool) -> str:
    marker = ' id="autopost"' if auto else ""
    return (
        f'<html><body><form{marker} method="post" action="{action}">'
        '<input type="hidden" name="SAMLResponse" value="x"><button>go</button>'
        "</form></body></html>"
    )


def bare_app() -> FastAPI:
    """One side of the baseline; ``SSO_BENCH_PEER`` is the other side's base URL."""
    peer = os.environ["SSO_BENCH_PEER"]
    app = FastAPI()

    @app.get("/sso/start")
    def start() -> Response:
        return HTMLResponse(_form(f"{peer}/saml/sso", auto=True))

    @app.post("/saml/sso")
    def sso() -> Response:
        return RedirectResponse("/idp/consent", status_code=303)

    @app.get("/idp/consent")
    def consent_page() -> Response:
        return HTMLResponse(_form("/idp/consent", auto=False))

    @app.post("/idp/consent")
    def consent(request: Request) -> Response:
        return HTMLResponse(_form(f"{peer}/saml/acs", auto=True))

    @app.post("/saml/acs")
    def acs() -> Response:
        return RedirectResponse("/service", status_code=303)

    @app.get("/service")
    def service() -> Response:
        return HTMLResponse("<html><body><p id='person-name'>bench</p></body></html>")

    return app


# --- processes ----------------------------------------------------------------------------


def _start(command: list[str], env: dict[str, str], health: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until_up(health, process, timeout=120)
    return process


def start_nodes(home: Path) -> tuple[dict[str, str], list[subprocess.Popen[bytes]]]:
    ports = {code: free_port() for code in DELTA_PROVINCES}
    urls = {code: f"http://127.0.0.1:{port}" for code, port in ports.items()}
    provision(home, base_urls=urls, now=utcnow())
    env = base_env(home, DELTA_LOG_LEVEL="WARNING")
    processes = [
        _start(
            [str(BIN / "delta"), "node", "serve", "--region", code], env, f"{urls[code]}/healthz"
        )
        for code in (SP, HOME)
    ]
    return urls, processes


def start_baseline() -> tuple[dict[str, str], list[subprocess.Popen[bytes]]]:
    ports = {SP: free_port(), HOME: free_port()}
    urls = {code: f"http://127.0.0.1:{port}" for code, port in ports.items()}
    processes = []
    for code, other in ((SP, HOME), (HOME, SP)):
        env = {**os.environ, "SSO_BENCH_PEER": urls[other]}
        command = [
            sys.executable, "-m", "uvicorn", "loadtests.sso_bench:bare_app", "--factory",
            "--host", "127.0.0.1", "--port", str(ports[code]), "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip
        processes.append(_start(command, env, f"{urls[code]}/service"))
    return urls, processes


# --- one round trip -----------------------------------------------------------------------------


def round_trip(browser: Browser, urls: dict[str, str], *, log_in: bool = False) -> Page:
    page = browser.get(f"{urls[SP]}/sso/start?home={HOME}&next=/service")  # 1
    page = browser.submit(page)  # 2 + 3
    if log_in:
        who = person(HOME, "resident")
        page = browser.submit(page, username=who.username, password=who.password)
    page = browser.submit(page, decision="allow")  # 4
    page = browser.follow_autoposts(page)  # 5 + 6
    if not page.url.endswith("/service") or not page.text_of("person-name"):
        raise RuntimeError(f"round trip failed at {page.url}: {page.text[:500]}")
    return page


def measure(run: Callable[[], object], *, iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(iterations):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--login-iterations", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="sso-bench-") as home:
        try:
            node_urls, started = start_nodes(Path(home))
            processes += started
            bare_urls, started = start_baseline()
            processes += started

            sso_browser = Browser()
            round_trip(sso_browser, node_urls, log_in=True)  # log in at home once
            sso = measure(
                lambda: round_trip(sso_browser, node_urls),
                iterations=args.iterations,
                warmup=args.warmup,
            )

            def fresh_login() -> None:
                browser = Browser()
                try:
                    round_trip(browser, node_urls, log_in=True)
                finally:
                    browser.close()

            login = measure(fresh_login, iterations=args.login_iterations, warmup=3)
            bare_browser = Browser()
            bare = measure(
                lambda: round_trip(bare_browser, bare_urls),
                iterations=args.iterations,
                warmup=args.warmup,
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=20)

    ours, baseline = summary(sso), summary(bare)
    result: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "sso_round_trip": ours,
        "sso_with_password_login": summary(login),
        "baseline_bare_fastapi": baseline,
        "ratio_p50": round(ours["p50_ms"] / baseline["p50_ms"], 1),
        "ratio_p99": round(ours["p99_ms"] / baseline["p99_ms"], 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"SSO round trip {SP} <- {HOME} on loopback ({result['machine']}, "
          f"load {result['load_average_1m']})")  # fmt: skip
    print(f"{'':28}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for label, key in (
        ("SSO (logged in at home)", "sso_round_trip"),
        ("SSO with password login", "sso_with_password_login"),
        ("bare FastAPI, same hops", "baseline_bare_fastapi"),
    ):
        row = result[key]
        assert isinstance(row, dict)
        print(f"{label:28}{row['n']:>6}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['mean_ms']:>10}")
    print(f"ratio to baseline: p50 x{result['ratio_p50']}, p99 x{result['ratio_p99']}")


if __name__ == "__main__":
    main()
