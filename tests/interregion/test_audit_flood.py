"""Refused requests cannot flood a node's audit log (issue 10, finding 3).

A client refused more than the limit gets 429 with Retry-After; identical
refusals are one record plus one record with their count. Each test floods a
real node (the app factory, real SQLite, in process) from its own address
with 200 junk requests through one refusal path while a genuine person logs
in from another address, then checks that the log grew by a handful of
records, that the counts add up to every refusal answered, that the genuine
events are all there and that the chain still verifies.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from delta.db import make_engine, make_session_factory
from delta.settings import Settings, load_settings
from interregion.app import create_node_app
from interregion.audit.flood import (
    RATE_LIMITED,
    TOO_MANY,
    Folding,
    RefusalLimiter,
    client_key,
)
from interregion.audit.models import AuditRecord
from interregion.audit.service import read_head, verify_chain
from interregion.audit.trust import region_audit_trust
from interregion.clock import utcnow
from interregion.db import node_database_url
from interregion.federation.provisioning import provision
from interregion.node import Node, load_node_secrets, node_folder
from standards.regions import DELTA_PROVINCES
from tests.interregion.browser import Browser
from tests.interregion.cases_support import applicant_code, demo_username, token_for
from tests.interregion.flows import full_login, person
from tests.interregion.inprocess import (
    InProcessFederation,
    Routed,
    in_process_federation,
    node_url,
)
from tests.support.postgres import temporary_database
from tests.support.processes import base_env, delta

SP, HOME = "310000", "320000"
LIMIT, FLOOD = 20, 200
# Per series: its first record and the record with its count; two series per flood
# (the refusals, then the 429s).
MOST_RECORDS_PER_FLOOD = 4
_addresses = (f"203.0.113.{n}" for n in itertools.count(10))


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with in_process_federation(
        tmp_path_factory.mktemp("flood"), node_refusal_limit=LIMIT, node_audit_fold_seconds=60
    ) as federation:
        yield federation


def client_at(fed: InProcessFederation, code: str, address: str) -> TestClient:
    return TestClient(fed.apps[code], base_url=node_url(code), client=(address, 40000))


class InProcessSites:
    """What tests.interregion.flows needs of a cluster: each node's URL."""

    def url(self, code: str) -> str:
        return node_url(code)


@contextmanager
def genuine_browser(fed: InProcessFederation, address: str) -> Iterator[Browser]:
    """A person's browser at ``address``: every node reached over (in-process) HTTP."""
    clients = {node_url(code): client_at(fed, code, address) for code in fed.apps}
    browser = Browser()
    browser.client.close()
    browser.client = httpx.Client(transport=Routed(clients), follow_redirects=True)
    try:
        yield browser
    finally:
        browser.close()


def genuine_login(fed: InProcessFederation, *, sp: str, home: str, who: str) -> None:
    with genuine_browser(fed, next(_addresses)) as browser:
        page = full_login(browser, InProcessSites(), sp=sp, who=person(home, who), home=home)  # type: ignore[arg-type]
    assert page.url.endswith("/service") and page.text_of("person-name"), page.text[:1000]


def records(node: Node, *, after: int = 0) -> list[AuditRecord]:
    with node.sessions() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq)
            )
        )


def last_seq(node: Node) -> int:
    found = records(node)
    return found[-1].seq if found else 0


def represented(found: list[AuditRecord]) -> int:
    """How many refusals these records stand for: 1 each, or the count of a folded record."""
    return sum(int(r.detail.get("folded", 1)) for r in found)


def chain_ok(node: Node) -> None:
    report = verify_chain(
        records(node),
        trust=region_audit_trust(node.settings.home_dir, node.region_code),
        issuer=node.region_code,
        head=read_head(node.folder / "audit.head"),
    )
    assert report.ok, report


def flood(send: Callable[[int], httpx.Response], *, midway: Callable[[], None]) -> Counter[int]:
    """FLOOD junk requests, ``midway`` run halfway through; the statuses answered."""
    statuses: Counter[int] = Counter()
    for i in range(FLOOD):
        if i == FLOOD // 2:
            midway()
        answer = send(i)
        statuses[answer.status_code] += 1
        if answer.status_code == 429:
            assert 1 <= int(answer.headers["Retry-After"]) <= 60
            body = answer.json()
            assert body["reason"] == TOO_MANY and body["status"] == 429
            assert "请稍后再试" in body["detail"] and "try again later" in body["detail"]
    return statuses


def check_flood(
    node: Node, *, before: int, address: str, statuses: Counter[int], refused: int, event: str
) -> list[AuditRecord]:
    """The bounds and the counts; returns the records written by everyone else."""
    node.audit.folding.flush(everything=True)  # what the node's close() does, now
    added = records(node, after=before)
    client = client_key(address, secret=node.secrets.cookie_key)
    theirs = [r for r in added if r.detail.get("client") == client]
    others = [r for r in added if r not in theirs]
    assert statuses == {refused: LIMIT, 429: FLOOD - LIMIT}, statuses
    assert len(theirs) <= MOST_RECORDS_PER_FLOOD, [(r.event, r.detail) for r in theirs]
    assert represented([r for r in theirs if r.event == event]) == LIMIT
    assert represented([r for r in theirs if r.event == RATE_LIMITED]) == FLOOD - LIMIT
    assert {r.event for r in theirs} == {event, RATE_LIMITED}
    folded = [r for r in theirs if "folded" in r.detail]
    assert all(r.detail["first_record"] < r.seq for r in folded)
    assert all(r.outcome == "ok" for r in others), [(r.event, r.reason) for r in others]
    chain_ok(node)
    return others


def test_junk_login_handles(fed: InProcessFederation) -> None:
    """``GET /idp/login?r=…`` with handles that were never issued (idp.login-not-found)."""
    node, address = fed.node(HOME), next(_addresses)
    attacker = client_at(fed, HOME, address)
    before = last_seq(node)
    statuses = flood(
        lambda i: attacker.get(f"/idp/login?r=junk-{i}"),
        midway=lambda: genuine_login(fed, sp=SP, home=HOME, who="resident"),
    )
    others = check_flood(node, before=before, address=address, statuses=statuses,
                         refused=404, event="idp.login-not-found")  # fmt: skip
    events = [r.event for r in others]
    assert events == ["idp.request-received", "idp.login", "idp.consent"], events


def test_csrf_refusals(fed: InProcessFederation) -> None:
    """Login forms posted without their CSRF token (web.csrf)."""
    node, address = fed.node(HOME), next(_addresses)
    attacker = client_at(fed, HOME, address)
    before = last_seq(node)
    statuses = flood(
        lambda i: attacker.post("/idp/login", data={"r": f"junk-{i}", "username": "x"}),
        midway=lambda: genuine_login(fed, sp=SP, home=HOME, who="company"),
    )
    others = check_flood(node, before=before, address=address, statuses=statuses,
                         refused=403, event="web.csrf")  # fmt: skip
    assert [r.event for r in others].count("idp.consent") == 1


def test_junk_starts(fed: InProcessFederation) -> None:
    """``GET /sso/start`` for a region that is not in the federation (sso.request-refused)."""
    node, address = fed.node(SP), next(_addresses)
    attacker = client_at(fed, SP, address)
    before = last_seq(node)
    statuses = flood(
        lambda i: attacker.get("/sso/start?home=110000"),
        midway=lambda: genuine_login(fed, sp=SP, home="330000", who="resident"),
    )
    others = check_flood(node, before=before, address=address, statuses=statuses,
                         refused=404, event="sso.request-refused")  # fmt: skip
    assert [r.event for r in others] == ["sso.request-sent", "sso.response-accepted"]


def test_junk_responses(fed: InProcessFederation) -> None:
    """``POST /saml/acs`` with a document that is not a SAML Response (sso.response-refused)."""
    node, address = fed.node(SP), next(_addresses)
    attacker = client_at(fed, SP, address)
    junk = base64.b64encode(b"<Response/>").decode()
    before = last_seq(node)
    statuses = flood(
        lambda i: attacker.post("/saml/acs", data={"SAMLResponse": junk, "RelayState": str(i)}),
        midway=lambda: genuine_login(fed, sp=SP, home="340000", who="resident"),
    )
    others = check_flood(node, before=before, address=address, statuses=statuses,
                         refused=403, event="sso.response-refused")  # fmt: skip
    assert [r.event for r in others] == ["sso.request-sent", "sso.response-accepted"]


def _identity(client: TestClient, token: str, code: str) -> httpx.Response:
    return client.post(
        "/window/identity-assertions",
        json={"home": HOME, "code": code},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_window_identity_without_a_token(fed: InProcessFederation) -> None:
    """``POST /window/identity-assertions`` without a staff token (staff.api-refused)."""
    node, address = fed.node(SP), next(_addresses)
    attacker = client_at(fed, SP, address)
    clerk = client_at(fed, SP, next(_addresses))
    token = token_for(node, demo_username(SP, "clerk"))

    def genuine() -> None:
        code = applicant_code(fed.node(HOME), window_region=SP)
        assert _identity(clerk, token, code).status_code == 200

    before = last_seq(node)
    statuses = flood(
        lambda i: attacker.post("/window/identity-assertions", json={"home": HOME, "code": "x"}),
        midway=genuine,
    )
    others = check_flood(node, before=before, address=address, statuses=statuses,
                         refused=401, event="staff.api-refused")  # fmt: skip
    assert [r.event for r in others] == ["window.assertion-accepted"]


def test_window_identity_with_junk_codes(fed: InProcessFederation) -> None:
    """A clerk's token with codes nobody issued: refused at home over the back channel.

    The window node limits its clerk's address; the home node folds the refusals
    its peer relays (the back channel itself is not limited: one peer address
    speaks for every window of its region)."""
    window, home = fed.node(SP), fed.node(HOME)
    address = next(_addresses)
    token = token_for(window, demo_username(SP, "supervisor"))
    attacker = client_at(fed, SP, address)
    clerk = client_at(fed, SP, next(_addresses))
    clerk_token = token_for(window, demo_username(SP, "clerk"))

    def genuine() -> None:
        code = applicant_code(home, window_region=SP, who="company")
        assert _identity(clerk, clerk_token, code).status_code == 200

    before, home_before = last_seq(window), last_seq(home)
    statuses = flood(lambda i: _identity(attacker, token, f"{i:012d}"), midway=genuine)
    refused = next(s for s in statuses if s != 429)
    event = "window.assertion-refused"
    others = check_flood(window, before=before, address=address, statuses=statuses,
                         refused=refused, event=event)  # fmt: skip
    assert [r.event for r in others] == ["window.assertion-accepted"]
    home.audit.folding.flush(everything=True)
    at_home = records(home, after=home_before)
    refused_at_home = [r for r in at_home if r.outcome == "refused"]
    assert represented(refused_at_home) == LIMIT  # one per request that got through
    assert {r.event for r in at_home} == {"window.assertion-refused", "window.assertion-issued"}
    chain_ok(home)


def test_one_client_over_the_limit_does_not_block_another(fed: InProcessFederation) -> None:
    node = fed.node(HOME)
    attacker = client_at(fed, HOME, next(_addresses))
    for _ in range(LIMIT):
        assert attacker.get("/idp/login?r=junk").status_code == 404
    assert attacker.get("/idp/login?r=junk").status_code == 429
    assert attacker.get("/").status_code == 429  # every page, not only the refusing one
    assert attacker.get("/healthz").status_code == 200  # probes are never limited
    neighbour = client_at(fed, HOME, next(_addresses))
    assert neighbour.get("/idp/login?r=junk").status_code == 404
    assert neighbour.get("/").status_code == 200
    # IPv6: one /64 is one client, the next /64 another.
    for _ in range(LIMIT):
        client_at(fed, HOME, "2001:db8:0:1::a").get("/idp/login?r=junk")
    assert client_at(fed, HOME, "2001:db8:0:1::b").get("/").status_code == 429
    assert client_at(fed, HOME, "2001:db8:0:2::a").get("/").status_code == 200
    chain_ok(node)


def test_a_new_window_is_a_new_series_and_a_full_table_writes_one_by_one(
    fed: InProcessFederation,
) -> None:
    node = fed.node("340000")
    folding = Folding(write=node.audit.folding.write, window=timedelta(seconds=60), max_open=1)
    refusal = {"event": "web.csrf", "outcome": "refused", "reason": "csrf", "actor": "",
               "peer": "", "detail": {"path": "/x", "client": "client:test"}}  # fmt: skip
    t0 = utcnow() - timedelta(seconds=200)  # records are signed at these (past) times
    first = folding.refused(refusal, t0)
    assert folding.refused(refusal, t0 + timedelta(seconds=30)) == first
    assert folding.refused(refusal, t0 + timedelta(seconds=59)) == first
    # The window is over: its count is written, then the first record of the next.
    second = folding.refused(refusal, t0 + timedelta(seconds=61))
    assert second == first + 2
    aggregate = records(node, after=first)[0]
    assert aggregate.detail["folded"] == 2 and aggregate.detail["first_record"] == first
    assert aggregate.event == "web.csrf" and aggregate.reason == "csrf"
    # One series open at most here: another refusal is written, and so is its repeat.
    other = {**refusal, "detail": {"path": "/y", "client": "client:test"}}
    assert folding.refused(other, t0 + timedelta(seconds=62)) == second + 1
    assert folding.refused(other, t0 + timedelta(seconds=63)) == second + 2
    assert folding.flush(now=t0 + timedelta(seconds=62)) == 0  # the open window stays
    assert folding.refused(refusal, t0 + timedelta(seconds=64)) == second
    assert folding.flush(now=t0 + timedelta(seconds=122)) == 1
    assert records(node, after=second + 2)[0].detail["folded"] == 1
    chain_ok(node)


def test_the_limit_lifts_when_the_window_ends() -> None:
    now = [1000.0]
    limiter = RefusalLimiter(limit=3, window_seconds=60, clock=lambda: now[0])
    limiter.count("a", 2)
    assert limiter.retry_after("a") is None
    limiter.count("a")  # the third refusal: the limit is reached, the next request waits
    assert limiter.retry_after("a") == 60 and limiter.retry_after("b") is None
    now[0] += 59.5
    assert limiter.retry_after("a") == 1
    now[0] += 0.5
    assert limiter.retry_after("a") is None
    assert RefusalLimiter(limit=0, window_seconds=60).retry_after("a") is None


def test_client_keys_hide_addresses() -> None:
    key = client_key("203.0.113.9", secret=b"s" * 32)
    assert "203.0.113" not in key and key == client_key("203.0.113.9", secret=b"s" * 32)
    assert key != client_key("203.0.113.9", secret=b"t" * 32)
    assert client_key("::ffff:203.0.113.9", secret=b"s" * 32) == key
    assert client_key("2001:db8::1", secret=b"s" * 32) == client_key(
        "2001:db8::ffff", secret=b"s" * 32
    )


def _stored(settings: Settings, code: str) -> list[AuditRecord]:
    """The node's records read afresh from its database (after the node stopped)."""
    url = node_database_url(
        shared_url=settings.database_url,
        node_dir=node_folder(settings, code),
        region_code=code,
    )
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    finally:
        engine.dispose()


def flood_then_stop(settings: Settings) -> int:
    """Flood a node of ``settings`` from one address, then stop it; its last seq before."""
    app = create_node_app(settings, HOME)
    with TestClient(app, base_url=node_url(HOME), client=("198.51.100.7", 40000)) as attacker:
        node: Node = app.state.web.node
        before = last_seq(node)
        answered = Counter(attacker.get(f"/idp/login?r={i}").status_code for i in range(FLOOD))
        assert node.audit.folding.flush() == 0  # the windows are still open
        # The first refusal and the first 429: the counts of the others wait in memory.
        assert last_seq(node) - before == 2
    assert answered == {404: LIMIT, 429: FLOOD - LIMIT}
    return before


def check_written_at_stop(settings: Settings, before: int) -> None:
    stored = [r for r in _stored(settings, HOME) if r.seq > before]
    mine = client_key("198.51.100.7", secret=load_node_secrets(
        node_folder(settings, HOME) / "secrets.json").cookie_key)  # fmt: skip
    stored = [r for r in stored if r.detail.get("client") == mine]
    assert len(stored) == MOST_RECORDS_PER_FLOOD
    assert represented([r for r in stored if r.event == "idp.login-not-found"]) == LIMIT
    assert represented([r for r in stored if r.event == RATE_LIMITED]) == FLOOD - LIMIT


def test_counts_in_memory_are_written_when_the_node_stops(fed: InProcessFederation) -> None:
    """A second process of node HOME on the same database: flooded, then stopped."""
    before = flood_then_stop(fed.settings)
    check_written_at_stop(fed.settings, before)
    chain_ok(fed.node(HOME))  # the other process's chain: one chain, both appended to it
    env = base_env(fed.home, DELTA_SECRET_KEY=fed.settings.secret_key.get_secret_value())
    assert '"ok": true' in delta("audit", "verify", "--region", HOME, env=env)


@pytest.mark.postgres
def test_counts_in_memory_are_written_when_the_node_stops_on_postgresql(tmp_path: Path) -> None:
    provision(tmp_path, base_urls={code: node_url(code) for code in DELTA_PROVINCES},
              now=utcnow())  # fmt: skip
    with temporary_database("delta_flood") as url:
        settings = load_settings(home=tmp_path, env="test", database_url=url,
                                 secret_key=secrets.token_urlsafe(32),
                                 node_refusal_limit=LIMIT)  # fmt: skip
        before = flood_then_stop(settings)
        check_written_at_stop(settings, before)
        env = base_env(tmp_path, DELTA_DATABASE_URL=url)
        assert '"ok": true' in delta("audit", "verify", "--region", HOME, env=env)
