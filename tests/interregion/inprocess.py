"""Four node apps in one process (the real app factory, real SQLite), talking over httpx.

The exchange's HTTP hop is routed by host to each app's TestClient, so a
request from node A really travels as HTTP to node B's route, without ports.
Used where the process boundary is not the point (protocol and unit tests).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.testclient import TestClient

from delta.settings import Settings, load_settings
from interregion.app import create_node_app
from interregion.clock import utcnow
from interregion.federation.provisioning import provision
from interregion.identity import repository as accounts
from interregion.identity.demo_people import demo_people
from interregion.identity.levels import Level
from interregion.node import Node
from interregion.window import service as window
from standards.regions import DELTA_PROVINCES


def node_url(code: str) -> str:
    return f"http://node-{code}.test"


class Routed(httpx.BaseTransport):
    """Send each request to the in-process app whose base URL it names."""

    def __init__(self, clients: dict[str, TestClient]) -> None:
        self._clients = clients

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}"
        client = self._clients.get(base)
        if client is None:
            raise httpx.ConnectError(f"no app at {base}", request=request)
        answer = client.send(request, follow_redirects=False)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@dataclass
class InProcessFederation:
    home: Path
    settings: Settings
    apps: dict[str, FastAPI] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    def node(self, code: str) -> Node:
        node: Node = self.apps[code].state.web.node
        return node

    def client(self, code: str) -> TestClient:
        return self.clients[code]

    def entity_id(self, code: str) -> str:
        return f"{node_url(code)}/saml/metadata"

    def routed(self) -> Routed:
        return Routed({node_url(code): client for code, client in self.clients.items()})


@contextmanager
def in_process_federation(home: Path, **overrides: object) -> Iterator[InProcessFederation]:
    # Keys valid from an hour ago, so tests can sign messages that are already expired.
    provision(
        home,
        base_urls={code: node_url(code) for code in DELTA_PROVINCES},
        now=utcnow() - timedelta(hours=1),
    )
    # One test address for every request: a per-client refusal limit would make tests
    # interfere (tests/interregion/test_audit_flood.py sets one and uses addresses of its own).
    overrides = {"node_refusal_limit": 0, **overrides}
    settings = load_settings(
        home=home, env="test", secret_key=secrets.token_urlsafe(32), **overrides
    )
    federation = InProcessFederation(home=home, settings=settings)
    with ExitStack() as stack:
        for code in DELTA_PROVINCES:
            app = create_node_app(settings, code)
            federation.apps[code] = app
            client = TestClient(app, base_url=node_url(code))
            federation.clients[code] = stack.enter_context(client)
        for code in DELTA_PROVINCES:
            federation.node(code).exchange.use_transport(federation.routed())
        yield federation


@contextmanager
def mutant_test_federation(home: Path) -> Iterator[InProcessFederation]:
    """The federation of the test_mutants_* files: under scripts/mutation-run, a copy of
    the one it started once (DELTA_TEST_FEDERATION_TEMPLATE): provisioning and four
    databases take half a minute per mutant, copying a moment."""
    template = os.environ.get("DELTA_TEST_FEDERATION_TEMPLATE")
    if template:
        shutil.copytree(template, home, dirs_exist_ok=True)
    with in_process_federation(home) as federation:
        yield federation


def resident_window_code(
    fed: InProcessFederation, *, home: str, window_region: str, level: Level, now: datetime
) -> str:
    """A one-time window code issued by ``home`` for its demo resident, for ``window_region``."""
    node = fed.node(home)
    person = next(p for p in demo_people(home) if p.username.endswith("-resident"))
    with node.transaction() as session:
        account = accounts.find_by_username(session, person.username)
        assert account is not None
        return window.issue_code(
            session, node=node, account=account, audience_region=window_region,
            level=level, authn_at=now, released=["name"], full_id_consented=False, now=now,
        )  # fmt: skip
