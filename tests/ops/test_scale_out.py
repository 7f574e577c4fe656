"""The scale-out shape, as docker/ runs it: PostgreSQL, Elasticsearch, two portal processes
behind nginx (Debian's package, the docker/ template), and the four region nodes on
PostgreSQL -- all real processes, because here the process boundary is the point.

Portal A runs one worker, portal B two (``--workers 2``: the metrics must add up over
processes). The tests run in this order and each leaves the shape as it says:
the smoke journey through nginx; the nodes' health, readiness and request IDs; metrics
over B's two workers; A killed in the middle of traffic (A stays dead); B stopped with
SIGTERM while an upload is in flight (B stops).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.mmap_dict import MmapedDict

from delta import migrations
from delta.settings import load_settings
from open_portal.accounts import service as accounts
from open_portal.runtime import Portal
from standards.regions import DELTA_PROVINCES
from tests.interregion.cluster import Cluster, new_cluster
from tests.search import es_node as es
from tests.support import nginx
from tests.support.postgres import temporary_database
from tests.support.processes import PortalServer, base_env, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.elasticsearch,
    pytest.mark.slow,
    pytest.mark.skipif(
        not nginx.available(), reason="nginx missing: run scripts/ensure-test-prereqs"
    ),
]
ACCEL = "/_storage/"
PASSWORD = "correct-horse-battery"
ETAG_OF_NGINX = re.compile(r'^"[0-9a-f]+-[0-9a-f]+"$')


def json_lines(server: PortalServer) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]


@dataclass
class Shape:
    home: Path
    portal_url: str  # the PostgreSQL database of the portal
    a: PortalServer  # one worker
    b: PortalServer  # two workers
    balancer: nginx.Nginx
    nodes: Cluster
    token: str
    org: str
    metrics_dir_b: Path
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.balancer.url

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": token or self.token}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def _provision(settings_home: Path, database_url: str, search_url: str) -> str:
    """Migrate once (docker/'s migrate service) and make the admin, in process."""
    settings = load_settings(
        home=settings_home, env="test", secret_key="s" * 40, database_url=database_url,
        search_url=search_url, ingest_worker=False,
    )  # fmt: skip
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    portal = Portal.open(settings)
    try:
        with portal.unit_of_work() as unit:
            user = accounts.create_user(unit.session, name="ops-admin", email="ops@example.org",
                                        password=PASSWORD, sysadmin=True)  # fmt: skip
            _, token = accounts.create_token(unit.session, user=user, name="scale-out")
    finally:
        portal.close()
    return token


@pytest.fixture(scope="module")
def shape(request: pytest.FixtureRequest) -> Iterator[Shape]:
    home = nginx.storage_home("delta-scale-out-")
    try:
        yield from _shape(request, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _shape(request: pytest.FixtureRequest, home: Path) -> Iterator[Shape]:
    with (
        temporary_database("delta_scale") as portal_db,
        temporary_database("delta_nodes") as nodes_db,
        ThreadPoolExecutor(1) as background,
    ):
        nodes = new_cluster(
            home / "nodes", DELTA_DATABASE_URL=nodes_db, DELTA_LOG_FORMAT="json",
            DELTA_ACCESS_LOG="true", DELTA_NODE_DEMO_ACCOUNTS="false",
        )  # fmt: skip
        balancer = nginx.Nginx(run_dir=home / "nginx", listen_port=free_port())
        # The nodes need no search: they start while Elasticsearch may still be booting.
        nodes_up = background.submit(nodes.start, timeout=240)
        a = b = None
        try:
            node: es.TestNode = request.getfixturevalue("es_node")
            search_url = f"{node.url}/delta-scale-{uuid.uuid4().hex[:8]}"
            token = _provision(home, portal_db, search_url)
            env = base_env(
                home, DELTA_DATABASE_URL=portal_db, DELTA_SEARCH_URL=search_url,
                DELTA_SITE_URL=balancer.url, DELTA_ACCEL_REDIRECT=ACCEL, DELTA_LOG_FORMAT="json",
                DELTA_ACCESS_LOG="true", DELTA_LOG_LEVEL="INFO", DELTA_SHUTDOWN_GRACE_SECONDS="20",
            )  # fmt: skip
            metrics_dir_b = home / "metrics-b"
            # Both in one home: they share the storage, as docker/'s replicas share a volume.
            # A is killed outright below: its metric files stay inside home, not in /tmp.
            a_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics-a")}
            a = PortalServer(home=home, env=a_env, port=free_port())
            a.log_path = home / "portal-a.log"
            b_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir_b)}
            b = PortalServer(home=home, env=b_env, port=free_port(), workers=2)
            b.log_path = home / "portal-b.log"
            a.launch()
            b.launch()
            a.wait(timeout=240)  # a loaded 2-core machine starts seven servers at once
            b.wait(timeout=240)
            balancer.start(
                portals=(f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"), storage_dir=home / "storage"
            )
            nodes_up.result(timeout=300)
            running = Shape(
                home, portal_db, a, b, balancer, nodes, token, "scale-org", metrics_dir_b
            )
            with running.api() as api:
                org = {"name": running.org, "region_code": "320000"}
                answer = api.post("/api/3/action/organization_create", json=org)
                assert answer.status_code == 200, answer.text
            yield running
        finally:
            balancer.stop()
            for replica in (a, b):
                if replica is not None:
                    replica.stop()
            nodes_up.exception()  # wait for the start to finish before stopping what it started
            nodes.stop()


def _upload(api: httpx.Client, package_id: str, name: str, data: bytes) -> dict[str, Any]:
    answer = api.post("/api/3/action/resource_create", data={"package_id": package_id},
                      files={"upload": (name, data)})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["result"])


def eventually(check: Any, timeout: float = 10) -> Any:
    """Log lines are written after the answer has gone out: wait for them a little."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# -- 1. the smoke journey -------------------------------------------------------------------------


def test_smoke_journey_through_nginx(shape: Shape) -> None:
    word = f"scaleout{uuid.uuid4().hex[:8]}"
    data = os.urandom(1024 * 1024 + 17)
    with shape.api() as api:
        # health and readiness of the portal behind the balancer
        assert api.get("/healthz").json()["service"] == "portal"
        ready = api.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "database": "ok", "search": "ok"}  # fmt: skip
        # a write, a search and a show
        created = api.post("/api/3/action/package_create", json={
            "name": word, "title": f"Scale out {word} 长三角", "owner_org": shape.org})  # fmt: skip
        assert created.status_code == 200, created.text
        found = api.get("/api/3/action/package_search", params={"q": word}).json()["result"]
        assert [p["name"] for p in found["results"]] == [word]
        resource = _upload(api, created.json()["result"]["id"], "数据.bin", data)
        shown = api.get("/api/3/action/package_show", params={"id": word}).json()["result"]
        assert shown["resources"][0]["id"] == resource["id"]
        download = _path(resource["url"])
        shape.files[download] = data

        # the download: the portal authorises, nginx sends the bytes (its validators)
        full = httpx.get(shape.url + download, headers={"X-Request-ID": f"dl-{word}"})
        assert full.status_code == 200 and full.content == data
        assert ETAG_OF_NGINX.match(full.headers["etag"]), full.headers
        assert "x-accel-redirect" not in full.headers
        assert full.headers["x-request-id"] == f"dl-{word}"
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert full.headers["repr-digest"] == f"sha-256=:{digest}:"
        assert full.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in full.headers["content-security-policy"]
        assert "UTF-8''%E6%95%B0%E6%8D%AE.bin" in full.headers["content-disposition"]
        etag, modified = full.headers["etag"], full.headers["last-modified"]
        # Range and conditional requests through nginx
        part = httpx.get(shape.url + download, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        tail = httpx.get(shape.url + download, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        assert httpx.get(shape.url + download, headers={"If-None-Match": etag}).status_code == 304
        assert (
            httpx.get(shape.url + download, headers={"If-Modified-Since": modified}).status_code
            == 304
        )
        assert httpx.get(shape.url + download, headers={"If-Match": '"other"'}).status_code == 412
        resumed = httpx.get(
            shape.url + download, headers={"Range": "bytes=10-19", "If-Range": etag}
        )
        assert resumed.status_code == 206 and resumed.content == data[10:20]
        stale = httpx.get(shape.url + download, headers={"Range": "bytes=10-19", "If-Range": '"x"'})
        assert stale.status_code == 200 and stale.content == data
        beyond = httpx.get(shape.url + download, headers={"Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416
        head = httpx.head(shape.url + download)
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
        # counted: the full GET and the whole file sent for the stale If-Range (not the rest);
        # the other process shows them within 2 x the 5 s flush interval (docs/operations.md)
        deadline = time.monotonic() + 15
        while True:
            counted = api.get("/api/3/action/resource_show", params={"id": resource["id"]})
            if counted.json()["result"]["downloads"] == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        assert counted.json()["result"]["downloads"] == 2

        # the internal location is not reachable from outside
        key = next((shape.home / "storage" / "objects").glob("*/*"))
        outside = httpx.get(f"{shape.url}{ACCEL}{key.parent.name}/{key.name}")
        assert outside.status_code == 404 and outside.content != data
        # a private dataset's file: only for whom the portal allows it
        private = api.post("/api/3/action/package_create", json={
            "name": f"{word}-private", "owner_org": shape.org, "private": True})  # fmt: skip
        secret = _upload(api, private.json()["result"]["id"], "secret.bin", b"private bytes")
        anonymous = httpx.get(shape.url + _path(secret["url"]))
        assert anonymous.status_code in (403, 404) and b"private bytes" not in anonymous.content
        allowed = api.get(_path(secret["url"]))
        assert allowed.content == b"private bytes" and "private" in allowed.headers["cache-control"]
        # /metrics is not served through the balancer
        assert httpx.get(f"{shape.url}/metrics").status_code == 404

    # nginx's access log: the request ID, the asked path (not /_storage/), JSON
    def logged() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in shape.balancer.access_log.read_text().splitlines()]
        return [line for line in lines if line["request_id"] == f"dl-{word}"]

    mine = eventually(logged)
    assert mine and mine[0]["path"] == download.split("?")[0] and mine[0]["status"] == 200
    assert eventually(
        lambda: any(line["request_id"] == f"dl-{word}"
                    for line in json_lines(shape.a) + json_lines(shape.b))
    )  # fmt: skip


def test_nginx_access_log_masks_id_numbers(shape: Shape) -> None:
    citizen_id = "110101190001011237"
    httpx.get(f"{shape.url}/dataset/{citizen_id}", headers={"X-Request-ID": "mask-check-1"})
    assert eventually(lambda: "mask-check-1" in shape.balancer.access_log.read_text())
    assert eventually(lambda: "mask-check-1" in shape.a.log() + shape.b.log())
    assert citizen_id not in shape.balancer.access_log.read_text()
    assert citizen_id not in shape.a.log() + shape.b.log()


# -- 2. the nodes --------------------------------------------------------------------------------


def test_nodes_are_healthy_ready_and_pass_the_request_id_on(shape: Shape) -> None:
    for code in DELTA_PROVINCES:
        alive = httpx.get(f"{shape.nodes.url(code)}/healthz", timeout=10)
        assert alive.status_code == 200 and alive.json()["region"] == code
        assert alive.json()["registry_serial"] >= 1
        ready = httpx.get(f"{shape.nodes.url(code)}/readyz", timeout=10)
        assert ready.json() == {"status": "ready", "checks": {"database": "ok", "registry": "ok"}}
    # Shanghai asks Zhejiang, over the nodes' signed exchange, to verify a licence (no login
    # needed); Zhejiang answers, refusing: it has no such licence.
    rid = f"exchange-{uuid.uuid4().hex}"
    query = {
        "scenario": "vehicle-services", "consent": "no-such-consent", "type": "unknown",
        "holder_code": "110101190001011237", "issuer_region": "330000", "fields": [],
    }  # fmt: skip
    answer = httpx.post(f"{shape.nodes.url('310000')}/licences/verifications", json=query,
                        headers={"X-Request-ID": rid}, timeout=30)  # fmt: skip
    assert answer.status_code == 403, answer.text
    assert answer.json()["peer"] == "330000" and "peer_audit_record" in answer.json()
    assert answer.headers["x-request-id"] == rid

    def lines(code: str) -> list[dict[str, Any]]:
        text = shape.nodes.log(code)
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    at_home = eventually(lambda: [line for line in lines("330000") if line["request_id"] == rid])
    assert at_home and at_home[-1]["http"]["route"] == "/licences/verify", at_home
    at_window = eventually(
        lambda: [line for line in lines("310000") if line["request_id"] == rid and "http" in line]
    )
    assert at_window and at_window[-1]["http"]["status"] == answer.status_code
    assert at_window[-1]["http"]["route"] == "/licences/verifications"
    scrape = httpx.get(f"{shape.nodes.url('330000')}/metrics", timeout=10).text
    assert 'route="/licences/verify"' in scrape
    assert 'delta_db_statement_duration_seconds_count{database="node"' in scrape
    # The window cases' outbox, read from the node's schema at every scrape.
    assert 'delta_case_outbox_messages{state="undelivered"} 0.0' in scrape
    assert 'delta_case_outbox_messages{state="stuck"} 0.0' in scrape


# -- 3. metrics over worker processes -----------------------------------------------------------


def _count(scrape: str, series: str) -> float:
    for line in scrape.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_add_up_over_worker_processes(shape: Shape) -> None:
    series = 'delta_ckan_action_requests_total{action="organization_show",status="200"}'
    before = _count(httpx.get(f"{shape.b.url}/metrics").text, series)
    calls = 40

    def one(_: int) -> int:  # a new connection each: the kernel spreads them over workers
        return httpx.get(f"{shape.b.url}/api/3/action/organization_show",
                         params={"id": shape.org}).status_code  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(calls))) == {200}
    # Whichever worker answers a scrape, it shows all workers' counts.
    for _ in range(6):
        scrape = httpx.get(f"{shape.b.url}/metrics").text
        assert _count(scrape, series) - before == calls
        assert 'delta_ckan_action_duration_seconds_bucket{action="organization_show"' in scrape
    per_process = {}
    for path in shape.metrics_dir_b.glob("counter_*.db"):
        values = MmapedDict.read_all_values_from_file(str(path))
        per_process[path.stem] = sum(
            value for key, value, *_ in values
            if "delta_ckan_action_requests_total" in key and "organization_show" in key
        )  # fmt: skip
    assert sum(per_process.values()) - before == calls
    assert sum(1 for count in per_process.values() if count) == 2, per_process  # both workers


# -- 4. a portal process dies in the middle of traffic ---------------------------------------------


def test_a_killed_portal_loses_no_acknowledged_write_and_the_other_serves_on(shape: Shape) -> None:
    stop = threading.Event()
    # (started, finished, kind, name, acknowledged or failure)
    results: list[tuple[float, float, str, str, bool | str]] = []
    lock = threading.Lock()

    def record(started: float, kind: str, name: str, outcome: bool | str) -> None:
        with lock:
            results.append((started, time.monotonic(), kind, name, outcome))

    def writer(number: int) -> None:
        with shape.api() as api:
            for i in range(10_000):
                if stop.is_set():
                    return
                name = f"kill-{number}-{i}-{uuid.uuid4().hex[:6]}"
                started = time.monotonic()
                try:
                    answer = api.post("/api/3/action/package_create",
                                      json={"name": name, "owner_org": shape.org})  # fmt: skip
                    ok = answer.status_code == 200 and answer.json()["success"] is True
                    record(
                        started, "write", name, ok or f"{answer.status_code} {answer.text[:200]}"
                    )
                except httpx.HTTPError as error:
                    record(started, "write", name, repr(error))

    def reader() -> None:
        with shape.api() as api:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    answer = api.get("/api/3/action/package_search", params={"rows": 1})
                    record(
                        started, "read", "", answer.status_code == 200 or str(answer.status_code)
                    )
                except httpx.HTTPError as error:
                    record(started, "read", "", repr(error))

    def successes(kind: str, since: float = 0.0) -> int:
        with lock:
            return sum(1 for r in results if r[2] == kind and r[4] is True and r[0] >= since)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while successes("write") < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shape.a.process is not None
    shape.a.process.kill()  # SIGKILL: no goodbye, requests in flight on A are cut off
    killed_at = time.monotonic()
    deadline = killed_at + 60
    while time.monotonic() < deadline and (
        time.monotonic() < killed_at + 3 or successes("write", killed_at) < 6
    ):
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert shape.a.process.wait(timeout=10) == -signal.SIGKILL

    failed = [r for r in results if r[4] is not True]
    assert successes("write") >= 6 and successes("write", killed_at) >= 6, results[-10:]
    assert successes("read", killed_at) >= 2  # B served on, reads and writes
    # Only what nginx had already handed to A may fail: requests in flight when it died,
    # and a POST sent on a kept-alive connection to A in the moment before nginx marks A
    # down (nginx does not resend a non-idempotent request once sent, rightly: A may have
    # done it). At most one per client, and none once B has acknowledged a write.
    assert len(failed) <= len(threads), failed
    failover = min(r[1] for r in results if r[2] == "write" and r[4] is True and r[0] >= killed_at)
    assert all(r[0] < failover for r in failed), failed
    # Every acknowledged write is there, through the balancer (B) and in the search index.
    acknowledged = {r[3] for r in results if r[2] == "write" and r[4] is True}
    with shape.api() as api:
        for name in acknowledged:
            assert api.get("/api/3/action/package_show", params={"id": name}).status_code == 200
        everything = {"fq": f"organization:{shape.org}", "rows": 1000}
        listed = api.get("/api/3/action/package_search", params=everything).json()["result"]
    assert acknowledged <= {p["name"] for p in listed["results"]}
    log = shape.balancer.access_log.read_text().splitlines()
    assert json.loads(log[-1])["upstream"] == f"127.0.0.1:{shape.b.port}"


# -- 5. graceful shutdown --------------------------------------------------------------------------


def test_sigterm_lets_requests_in_flight_finish(shape: Shape) -> None:
    """B (two workers) gets SIGTERM while an upload is half sent: the upload completes and is
    stored, new connections are refused at once, and B exits cleanly."""
    with shape.api() as api:
        dataset = {"name": f"graceful-{uuid.uuid4().hex[:8]}", "owner_org": shape.org}
        package = api.post("/api/3/action/package_create", json=dataset).json()["result"]
    boundary = uuid.uuid4().hex
    chunks = [os.urandom(64 * 1024) for _ in range(30)]
    half_sent = threading.Event()

    def body() -> Iterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"package_id\"\r\n\r\n"
               f"{package['id']}\r\n--{boundary}\r\nContent-Disposition: form-data; "
               f"name=\"upload\"; filename=\"slow.bin\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
        for number, chunk in enumerate(chunks):
            if number == 10:
                half_sent.set()
            time.sleep(0.1)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    outcome: dict[str, Any] = {}

    def upload() -> None:
        outcome["answer"] = httpx.post(
            f"{shape.b.url}/api/3/action/resource_create", content=body(), timeout=60,
            headers={"Authorization": shape.token,
                     "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        outcome["finished"] = time.monotonic()

    sender = threading.Thread(target=upload)
    sender.start()
    assert half_sent.wait(30)
    assert shape.b.process is not None
    shape.b.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    refused_at = None
    while time.monotonic() < signalled + 3:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", shape.b.port)) != 0:
                refused_at = time.monotonic()
                break
        time.sleep(0.05)
    sender.join(timeout=60)
    assert refused_at is not None, "B still accepted connections after SIGTERM"
    assert refused_at < outcome["finished"], "new connections were refused only after the drain"
    answer = outcome["answer"]
    assert answer.status_code == 200, answer.text
    resource = answer.json()["result"]
    expected = hashlib.sha256(b"".join(chunks)).hexdigest()
    assert resource["hash"] == expected and resource["size"] == len(chunks) * 64 * 1024
    assert shape.b.process.wait(timeout=30) == 0
    # Stored and committed: in the database and on disk, byte for byte.
    plain = shape.portal_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        row = connection.execute("SELECT hash, storage_key FROM resource WHERE id = %s",
                                 (resource["id"],)).fetchone()  # fmt: skip
    assert row is not None and row[0] == expected
    stored = next((shape.home / "storage" / "objects").glob(f"*/{row[1]}"))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == expected
    # A one-worker server (a node) stops cleanly on SIGTERM too.
    node = shape.nodes.processes["340000"]
    node.send_signal(signal.SIGTERM)
    assert node.wait(timeout=30) == 0
