"""Licence verification between two region nodes on loopback, with same-run baselines.

    .venv/bin/python -m loadtests.licence_bench [--iterations 300] [--concurrency 4]
                                               [--licences 1000000]

Starts real ``delta node serve`` processes for 310000 (A, the asker) and
320000 (B, the issuer) in a throwaway DELTA_HOME, and two bare FastAPI apps
that make the same two hops (client -> A -> B, JSON in, JSON out, nothing
signed or checked). Measures, in one run:

* verification round trip A -> B (``POST A/licences/verifications``: A signs the
  request, B verifies it, checks recognition list and consent, answers signed,
  A verifies the answer; four signed audit records): p50/p99 sequentially, and
  requests/s with ``--concurrency`` client threads; the same for the baseline;
* raw JWS verification of the same credential (``cryptography`` directly) next to
  ours (``verify_jws``) and the full offline check (signature, shape, both status
  lists from a warm cache);
* status list for ``--licences`` issued licences (1 % revoked, 0.5 % suspended),
  bulk-inserted into B's database: list size, signed credential size, the cold
  fetch (build + sign) and warm fetch over HTTP, and a 304 revalidation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import create_engine, insert, update

from interregion.clock import utcnow
from interregion.federation.provisioning import provision
from interregion.licences.consent import CONSENT_TYP, holder_binding
from interregion.licences.models import Licence, StatusAllocation, StatusListState
from interregion.licences.verifier import StatusListCache, verify_credential
from loadtests.sso_bench import _start, summary
from signing.federation import FederationRegistry, verify_registry
from signing.jws import parse_compact, verify_jws
from signing.jwt import issue_jwt
from signing.keys import Purpose
from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory
from signing.truststore import TrustStore
from standards.regions import DELTA_PROVINCES
from tests.interregion.flows import person
from tests.interregion.licence_flows import department, issue
from tests.support.processes import BIN, base_env, free_port

A, B = "310000", "320000"
SCENARIO = "vehicle-services"


# --- the baseline: the same two hops, nothing behind them ----------------------------------------


def bare_app() -> FastAPI:
    """``LICENCE_BENCH_PEER`` set: the asker (forwards to the peer); unset: the issuer."""
    peer = os.environ.get("LICENCE_BENCH_PEER")
    app = FastAPI()
    client = httpx.Client(timeout=10)

    @app.post("/licences/verifications")
    def ask(body: dict[str, Any]) -> Response:  # sync, in the threadpool, as our handler is
        answer = client.post(f"{peer}/licences/verify", json={"request": json.dumps(body)})
        return JSONResponse(answer.json())

    @app.post("/licences/verify")
    async def answer(request: Request) -> Response:
        await request.json()
        return JSONResponse({"response": {"status": "valid", "fields": {"holder_name": "x"}}})

    return app


# --- processes -----------------------------------------------------------------------------------


def start_nodes(home: Path) -> tuple[dict[str, str], dict[str, str], list[subprocess.Popen[bytes]]]:
    urls = {code: f"http://127.0.0.1:{free_port()}" for code in DELTA_PROVINCES}
    provision(home, base_urls=urls, now=utcnow() - timedelta(minutes=10))
    env = base_env(home, DELTA_LOG_LEVEL="WARNING", DELTA_NODE_EXCHANGE_RATE_PER_MINUTE="1000000")
    processes = [
        _start(
            [str(BIN / "delta"), "node", "serve", "--region", code], env, f"{urls[code]}/healthz"
        )
        for code in (A, B)
    ]
    return urls, env, processes


def start_baseline() -> tuple[str, list[subprocess.Popen[bytes]]]:
    issuer_port, asker_port = free_port(), free_port()
    command = [
        sys.executable, "-m", "uvicorn", "loadtests.licence_bench:bare_app", "--factory",
        "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning", "--port",
    ]  # fmt: skip
    issuer = _start(
        [*command, str(issuer_port)], dict(os.environ), f"http://127.0.0.1:{issuer_port}/docs"
    )
    env = {**os.environ, "LICENCE_BENCH_PEER": f"http://127.0.0.1:{issuer_port}"}
    asker = _start([*command, str(asker_port)], env, f"http://127.0.0.1:{asker_port}/docs")
    return f"http://127.0.0.1:{asker_port}", [issuer, asker]


# --- measuring -----------------------------------------------------------------------------------


def timed(run: Callable[[int], object], count: int) -> list[float]:
    timings = []
    for i in range(count):
        began = time.perf_counter()
        run(i)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def throughput(run: Callable[[int], object], count: int, concurrency: int) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, range(count)))
    return round(count / (time.perf_counter() - began), 1)


def ops_per_second(run: Callable[[], object], seconds: float = 2.0) -> float:
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        run()
        count += 1
    return round(count / (time.perf_counter() - began), 1)


# --- set-up inside the federation ----------------------------------------------------------------


def registry_of(home: Path) -> FederationRegistry:
    directory = KeyDirectory(home)
    return verify_registry(
        directory.registry_path.read_text("ascii").strip(),
        authority_keys=TrustStore([directory.authority_trusted_key()]),
        authority=AUTHORITY_ID, federation=FEDERATION_ID, max_age=timedelta(days=1),
    )  # fmt: skip


def consents(
    home: Path, registry: FederationRegistry, licence: dict[str, Any], count: int
) -> list[str]:
    """Consents as B (the holder's home) signs them, one per verification (each is single use)."""
    directory, member = KeyDirectory(home), registry.member(B)
    key = directory.region_key(B, member.current_key_id(Purpose.JWT))
    claims = {
        "holder": holder_binding(licence["holder_code"]), "requester": A,
        "scenarios": [SCENARIO], "channel": "holder",
        "licences": [{"identifier": licence["identifier"], "name": licence["name"]}],
    }  # fmt: skip
    return [
        issue_jwt(
            claims,
            key=key,
            issuer=member.entity_id,
            audience=[member.entity_id],
            typ=CONSENT_TYP,
            lifetime=timedelta(minutes=10),
        )
        for _ in range(count)
    ]


def department_token(env: dict[str, str], region: str, uscc: str) -> str:
    out = subprocess.run([str(BIN / "delta"), "licence", "token", "--region", region,
                          "--department", uscc], env=env, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return str(json.loads(out)[0]["token"])


def bulk_licences(home: Path, count: int) -> dict[str, int]:
    """``count`` minimal licence rows at B with random, unique status indexes (1 % revoked)."""
    engine = create_engine(f"sqlite:///{home / 'nodes' / B / 'node.db'}")
    size = 131_072
    while count * 2 > size:
        size *= 2
    rng = secrets.SystemRandom()
    revocation = rng.sample(range(size), count)
    suspension = rng.sample(range(size), count)
    now, batch = utcnow(), 50_000
    issuer = department(B, "driving-licence")
    with engine.begin() as connection:
        for start in range(0, count, batch):
            rows, allocations = [], []
            for i in range(start, min(count, start + batch)):
                licence_id = str(uuid.uuid4())
                status = "revoked" if i % 100 == 0 else "suspended" if i % 200 == 1 else "valid"
                rows.append({
                    "id": licence_id, "identifier": f"bench-{i}", "serial": str(i), "version": 1,
                    "type_code": "11100000DELTA1001R002", "name": "机动车驾驶证", "number": str(i),
                    "holder_name": "bench", "holder_code": "320500190305089948",
                    "holder_code_kind": "citizen-id", "issuer_uscc": issuer, "issuer_name": "bench",
                    "issue_date": date(2024, 1, 1), "valid_from": date(2024, 1, 1),
                    "valid_until": None, "face_data": {}, "status": status, "status_reason": "",
                    "revocation_index": revocation[i], "suspension_index": suspension[i],
                    "credential": "", "replaces": None, "created_at": now, "updated_at": now,
                })  # fmt: skip
                allocations += [
                    {
                        "purpose": "revocation",
                        "index": revocation[i],
                        "licence_id": licence_id,
                        "allocated_at": now,
                    },
                    {
                        "purpose": "suspension",
                        "index": suspension[i],
                        "licence_id": licence_id,
                        "allocated_at": now,
                    },
                ]
            connection.execute(insert(Licence), rows)
            connection.execute(insert(StatusAllocation).prefix_with("OR IGNORE"), allocations)
        connection.execute(
            update(StatusListState).values(
                size=size,
                allocated=StatusListState.allocated + count,
                revision=StatusListState.revision + 1,
            )
        )
    engine.dispose()
    return {"licences": count, "list_entries": size}


# --- the run -------------------------------------------------------------------------------------


def main() -> None:  # noqa: PLR0915  (one benchmark, read top to bottom)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--licences", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",  # noqa: E501
    }
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="licence-bench-") as folder:
        home = Path(folder)
        try:
            urls, env, started = start_nodes(home)
            processes += started
            bare_url, started = start_baseline()
            processes += started
            http = httpx.Client(timeout=30)
            token = department_token(env, B, department(B, "driving-licence"))
            licence = issue(
                http, urls[B], token, region=B, who=person(B, "resident"), slug="driving-licence"
            )
            registry = registry_of(home)
            total = args.iterations * 2 + 20
            granted = iter(consents(home, registry, licence, total))
            query = {"licence": licence["identifier"], "scenario": SCENARIO,
                     "fields": ["holder_name", "face.vehicle_class"]}  # fmt: skip

            def ours(_: int) -> None:
                answer = http.post(
                    f"{urls[A]}/licences/verifications", json={**query, "consent": next(granted)}
                )
                if answer.status_code != 200 or answer.json()["status"] != "valid":
                    raise RuntimeError(answer.text)

            def bare(_: int) -> None:
                answer = http.post(
                    f"{bare_url}/licences/verifications", json={**query, "consent": "x"}
                )
                if answer.status_code != 200:
                    raise RuntimeError(answer.text)

            for _ in range(10):
                ours(0)
                bare(0)
            result["verification_round_trip"] = summary(timed(ours, args.iterations))
            result["baseline_two_hops"] = summary(timed(bare, args.iterations))
            result["verification_rps"] = throughput(ours, args.iterations, args.concurrency)
            result["baseline_rps"] = throughput(bare, args.iterations, args.concurrency)
            result["concurrency"] = args.concurrency

            # Signature checks on the same credential, in this process.
            credential, trusted = licence["credential"], registry.trust_store()
            issuer_id = registry.member(B).entity_id
            key = trusted.keys_for(issuer=issuer_id, purpose=Purpose.JWT)[0]
            parts = parse_compact(credential)
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding

            pss = padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size
            )
            result["raw_jws_verify_per_s"] = ops_per_second(
                lambda: key.public_key.verify(
                    parts.signature, parts.signing_input, pss, hashes.SHA256()
                )  # type: ignore[call-arg,union-attr]
            )
            result["our_jws_verify_per_s"] = ops_per_second(
                lambda: verify_jws(
                    credential, trust=trusted, issuer=issuer_id, purpose=Purpose.JWT, typ="vc+jwt"
                )
            )
            cache = StatusListCache(lambda url: http.get(url).text, ttl=timedelta(hours=1),
                                    grace=timedelta(hours=1))  # fmt: skip
            result["offline_verifications_per_s"] = ops_per_second(
                lambda: verify_credential(
                    credential, registry=registry, trust=trusted, status_lists=cache, now=utcnow()
                )
            )

            # The status list with many licences.
            began = time.perf_counter()
            result["status_list"] = bulk_licences(home, args.licences)
            result["status_list"]["bulk_insert_s"] = round(time.perf_counter() - began, 1)
            url = f"{urls[B]}/licences/status/revocation"
            began = time.perf_counter()
            cold = http.get(url)
            result["status_list"]["cold_fetch_ms"] = round((time.perf_counter() - began) * 1000, 1)
            warm = summary(timed(lambda _: http.get(url), 50))
            result["status_list"]["warm_fetch_p50_ms"] = warm["p50_ms"]
            etag = cold.headers["etag"]
            revalidate = summary(
                timed(lambda _: http.get(url, headers={"If-None-Match": etag}), 50)
            )
            result["status_list"]["revalidate_304_p50_ms"] = revalidate["p50_ms"]
            payload = json.loads(parse_compact(cold.text).payload)
            encoded = payload["credentialSubject"]["encodedList"]
            result["status_list"]["credential_bytes"] = len(cold.content)
            result["status_list"]["encoded_list_chars"] = len(encoded)
            result["status_list"]["uncompressed_bytes"] = result["status_list"]["list_entries"] // 8
            result["load_average_1m"] = round(os.getloadavg()[0], 2)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)

    ours_p, bare_p = result["verification_round_trip"], result["baseline_two_hops"]
    result["ratio_p50"] = round(ours_p["p50_ms"] / bare_p["p50_ms"], 1)
    result["ratio_p99"] = round(ours_p["p99_ms"] / bare_p["p99_ms"], 1)
    result["ratio_rps"] = round(result["verification_rps"] / result["baseline_rps"], 2)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
