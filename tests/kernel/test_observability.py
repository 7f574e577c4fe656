"""Health, readiness, metrics, request IDs and JSON logs, in process (FastAPI TestClient on
the real portal app and a real SQLite catalogue; a real black-hole socket and a real
PostgreSQL database that disappears for the readiness failures).

Multi-process metrics, nginx and the nodes' request-ID hand-over are the scale-out test's
(tests/ops/test_scale_out.py): there the process boundary is the point.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from delta import metrics, migrations, request_id
from delta.logging import JsonFormatter, RedactIdentifiers
from delta.settings import load_settings
from open_portal.accounts import service as accounts
from open_portal.app import create_app
from standards.masking import mask_citizen_id
from tests.support.postgres import ADMIN_DSN, temporary_database

CITIZEN_ID = "110101190001011237"  # checksum-valid, clearly fake (born 1900)
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample in a text exposition."""
    found = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            found[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return found


def portal_app(home: Path, *, migrate: bool = True, **overrides: Any) -> FastAPI:
    settings = load_settings(
        home=home, env="test", secret_key="k" * 40, ingest_worker=False,
        site_url="http://testserver", **overrides,
    )  # fmt: skip
    settings.ensure_home()
    if migrate:
        migrations.upgrade(settings.portal_database_url, package="open_portal")
    return create_app(settings)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = portal_app(tmp_path_factory.mktemp("observability"), access_log=True)
    portal = application.state.portal
    with portal.unit_of_work() as unit:
        user = accounts.create_user(unit.session, name="ops-admin", email="ops@example.org",
                                    password="correct-horse-battery", sysadmin=True)  # fmt: skip
        _, token = accounts.create_token(unit.session, user=user, name="t")
    application.state.token = token

    @application.get("/test-only/fails")
    def fails() -> None:
        raise RuntimeError(f"[parameters: ('{CITIZEN_ID}',)]")

    yield application
    portal.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Captured:
    """What the portal's own (redacting) log handler wrote to stderr during a test."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys, self.text = capsys, ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().err
        return self.text


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    """The handler writes to whatever sys.stderr is: capsys's; in JSON lines for the test."""
    handler = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, RedactIdentifiers) for f in h.filters)
    )  # fmt: skip
    formatter = handler.formatter
    handler.setFormatter(JsonFormatter())
    capsys.readouterr()
    try:
        yield Captured(capsys)
    finally:
        handler.setFormatter(formatter)


def parsed(buffer: Captured) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


# -- health and readiness ------------------------------------------------------------------------


def test_healthz_and_readyz(client: TestClient) -> None:
    alive = client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok", "service": "portal", "version": "0.1.0"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "search": "ok"}}
    assert client.head("/readyz").status_code == 200


def test_readyz_fails_when_the_database_goes_away(tmp_path: Path) -> None:
    with temporary_database("delta_ready") as url:
        app = portal_app(tmp_path, database_url=url)
        with TestClient(app) as c:
            assert c.get("/readyz").status_code == 200
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            answer = c.get("/readyz")
            assert answer.status_code == 503
            assert answer.headers["content-type"] == "application/problem+json"
            body = answer.json()
            assert body["checks"]["search"] == "ok"
            assert body["checks"]["database"].startswith("error: ")
            assert "database" in body["detail"] and "127.0.0.1" not in answer.text
            assert c.get("/healthz").status_code == 200  # alive, only not ready
        app.state.portal.close()


def test_readyz_fails_when_search_is_down(tmp_path: Path) -> None:
    app = portal_app(tmp_path)
    with TestClient(app) as c:
        app.state.portal.search.close()  # the FTS5 index refuses every call from now on
        answer = c.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"] == {"database": "ok", "search": "not ready"}
    app.state.portal.close()


def test_readyz_gives_up_on_a_dependency_that_never_answers(tmp_path: Path) -> None:
    """A database host that accepts the connection and says nothing (a black hole)."""
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)  # the kernel completes handshakes; nobody ever answers
        port = black_hole.getsockname()[1]
        app = portal_app(
            tmp_path,
            migrate=False,
            database_url=f"postgresql://nobody@127.0.0.1:{port}/none?connect_timeout=5",
            readiness_timeout_seconds=0.5,
        )
        with TestClient(app) as c:
            for _ in range(3):  # the hung check is awaited again, not started again
                started = time.monotonic()
                answer = c.get("/readyz")
                assert time.monotonic() - started < 2.5
                assert answer.status_code == 503
                assert answer.json()["checks"]["database"] == "timeout"
        app.state.portal.engine.dispose()


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_carry_per_action_histograms(app: FastAPI, client: TestClient) -> None:
    headers = {"Authorization": app.state.token}
    name = f"ops-{uuid.uuid4().hex[:8]}"
    org = client.post("/api/3/action/organization_create", headers=headers,
                      json={"name": f"org-{name}", "region_code": "310000"})  # fmt: skip
    assert org.status_code == 200, org.text
    dataset = {"name": name, "title": "运维测试", "owner_org": f"org-{name}"}
    created = client.post("/api/3/action/package_create", headers=headers, json=dataset)
    assert created.status_code == 200, created.text
    before = samples(client.get("/metrics").text)
    for _ in range(5):
        assert client.get("/api/3/action/package_show", params={"id": name}).status_code == 200
    assert client.get("/api/3/action/package_show", params={"id": "missing"}).status_code == 404
    assert client.get("/api/3/action/package_search", params={"rows": 1}).status_code == 200
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = samples(scrape.text)

    def grew(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    show = 'action="package_show"'
    assert grew(f"delta_ckan_action_duration_seconds_count{{{show}}}") == 6
    assert grew(f'delta_ckan_action_duration_seconds_bucket{{{show},le="+Inf"}}') == 6
    assert grew(f'delta_ckan_action_requests_total{{{show},status="200"}}') == 5
    assert grew(f'delta_ckan_action_requests_total{{{show},status="404"}}') == 1
    assert grew('delta_ckan_action_duration_seconds_count{action="package_search"}') == 1
    route = 'method="GET",route="/api/3/action/{name}"'
    assert grew(f"delta_http_request_duration_seconds_count{{{route}}}") == 7
    assert grew('delta_search_duration_seconds_count{backend="fts5",operation="search"}') == 1
    assert grew('delta_db_statement_duration_seconds_count{database="portal",operation="select"}')
    buckets = [
        k for k in after if k.startswith(f"delta_ckan_action_duration_seconds_bucket{{{show}")
    ]
    assert len(buckets) == len(metrics.LATENCY_BUCKETS) + 1


def test_metric_labels_are_route_templates_never_raw_paths(client: TestClient) -> None:
    def traffic() -> tuple[list[str], set[str]]:
        names = [f"raw{uuid.uuid4().hex[:10]}" for _ in range(12)]
        for name in names:
            client.get(f"/dataset/{name}")
            client.get(f"/no/such/{name}")
            client.get(f"/api/3/action/{name}")  # unknown actions get no action label
        text = client.get("/metrics").text
        assert not any(name in text for name in names)
        return names, {m.group(1) for m in re.finditer(r'route="([^"]*)"', text)}

    _, routes = traffic()
    found = samples(client.get("/metrics").text)
    assert any('route="/dataset/{name}",status="404"' in key for key in found)
    assert any('route="unmatched",status="404"' in key for key in found)
    # The label set is bounded by the routes that exist (the registry is shared by
    # every app this process built), not by the traffic: 36 new paths add none.
    assert traffic()[1] == routes


def test_registration_api_for_other_parts(client: TestClient) -> None:
    depth = {"value": 7.0}
    metrics.sampled_gauge("delta_test_outbox_depth", "Messages waiting (test).",
                          lambda: depth["value"])  # fmt: skip
    metrics.sampled_gauge(
        "delta_test_jobs", "Jobs by state (test).",
        lambda: {("running",): 2, ("queued",): 5}, labelnames=("state",),
    )  # fmt: skip
    metrics.sampled_gauge("delta_test_broken", "A sampler that fails.", lambda: 1 / 0)
    jobs_done = metrics.counter(
        "delta_test_harvest_jobs_total", "Jobs finished (test).", ("outcome",)
    )
    assert metrics.counter("delta_test_harvest_jobs_total", "again") is jobs_done  # no duplicate
    jobs_done.labels("ok").inc(3)
    try:
        found = samples(client.get("/metrics").text)
        assert found["delta_test_outbox_depth"] == 7
        assert found['delta_test_jobs{state="running"}'] == 2
        assert found['delta_test_jobs{state="queued"}'] == 5
        assert found['delta_test_harvest_jobs_total{outcome="ok"}'] >= 3
        assert not any(key.startswith("delta_test_broken") for key in found)
        depth["value"] = 3
        assert samples(client.get("/metrics").text)["delta_test_outbox_depth"] == 3
    finally:
        for name in ("delta_test_outbox_depth", "delta_test_jobs", "delta_test_broken"):
            metrics.unregister_collector(name)
    with pytest.raises(ValueError, match="delta_"):
        metrics.sampled_gauge("outbox depth", "bad name", lambda: 1)


def test_a_killed_worker_stops_counting_as_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Multi-process mode: two worker processes each have requests in flight; one is killed
    with them (its files stay behind). A scrape counts only the live worker's."""
    script = (
        "import os, sys, time\n"
        "from delta import metrics\n"
        "metrics.HTTP_IN_PROGRESS.inc(int(sys.argv[1]))\n"
        "print('counting', flush=True)\n"
        "time.sleep(60) if sys.argv[2] == 'live' else os._exit(0)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    dead = subprocess.run([sys.executable, "-c", script, "3", "dead"], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    assert "counting" in dead.stdout
    live = subprocess.Popen([sys.executable, "-c", script, "2", "live"], env=env,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert live.stdout is not None and live.stdout.readline().strip() == "counting"
        assert len(list(tmp_path.glob("gauge_livesum_*.db"))) == 2
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        found = samples(metrics.exposition().decode())
        assert found["delta_http_requests_in_progress"] == 2
        assert [p.name for p in tmp_path.glob("gauge_livesum_*.db")] == [
            f"gauge_livesum_{live.pid}.db"
        ]
    finally:
        live.kill()
        live.wait()


# -- request IDs and logs --------------------------------------------------------------------------


def test_request_id_is_accepted_generated_and_in_every_log_line(
    client: TestClient, log_lines: Captured
) -> None:
    given = "nginx-" + uuid.uuid4().hex
    answer = client.get("/api/3/action/package_search", headers={request_id.HEADER: given})
    assert answer.headers[request_id.HEADER] == given
    made = client.get("/healthz").headers[request_id.HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    unsafe = [
        "short",
        "x" * 129,
        "has space in it",
        "quote\"and'more",
        CITIZEN_ID,
        f"id-{CITIZEN_ID}",
    ]
    for value in unsafe:
        replaced = client.get("/healthz", headers={request_id.HEADER: value})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers[request_id.HEADER]), value
    lines = parsed(log_lines)
    access = [line for line in lines if line["logger"] == "delta.access"]
    assert {line["request_id"] for line in access} >= {given, made}
    assert all(line["request_id"] != "-" for line in access)
    assert not any(value in log_lines.getvalue() for value in unsafe[1:])
    line = next(line for line in access if line["request_id"] == given)
    assert line["http"]["route"] == "/api/3/action/{name}" and line["http"]["status"] == 200


def test_an_unexpected_error_is_a_500_with_the_request_id_and_a_masked_log(
    client: TestClient, log_lines: Captured
) -> None:
    given = "trace-" + uuid.uuid4().hex
    answer = client.get("/test-only/fails", headers={request_id.HEADER: given})
    assert answer.status_code == 500
    assert answer.headers[request_id.HEADER] == given
    assert CITIZEN_ID not in answer.text
    mine = [line for line in parsed(log_lines) if line["request_id"] == given]
    assert {line["logger"] for line in mine} >= {"delta.http", "delta.access"}
    error = next(line for line in mine if line["logger"] == "delta.http")
    assert (
        "RuntimeError" in error["exception"] and mask_citizen_id(CITIZEN_ID) in error["exception"]
    )
    assert CITIZEN_ID not in log_lines.getvalue()


def test_access_log_masks_id_numbers_in_paths(client: TestClient, log_lines: Captured) -> None:
    client.get(f"/dataset/{CITIZEN_ID}")
    text = log_lines.getvalue()
    assert mask_citizen_id(CITIZEN_ID) in text and CITIZEN_ID not in text
