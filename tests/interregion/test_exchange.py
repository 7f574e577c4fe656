"""The nodes' signed exchange: protocol checks (pure) and the node-bound requester/responder,
in process (four real node apps, real SQLite, HTTP routed between them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from interregion.exchange import (
    ExchangeRefused,
    Incoming,
    MessageKind,
    Reply,
    issue_request,
    issue_response,
    request_sha256,
    verify_request,
    verify_response,
)
from interregion.node import Node
from interregion.window.service import IDENTITY_ASSERTION_KIND
from signing.federation import FederationRegistry
from signing.jwt import issue_jwt
from signing.keys import Purpose
from signing.replay import MemoryReplayCache
from tests.interregion import forge
from tests.interregion.inprocess import InProcessFederation, in_process_federation

A, B = "310000", "320000"
ECHO = MessageKind(
    name="echo",
    request_typ="echo-request+jwt",
    response_typ="echo-response+jwt",
    endpoint="identity_assertion",
    requester_role="case-window",
    responder_role="identity-provider",
)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    # No demo people: the exchange needs nodes, not accounts (argon2 hashing is most of a start).
    home = tmp_path_factory.mktemp("exchange")
    with in_process_federation(home, node_demo_accounts=False) as federation:
        yield federation


def fresh(cache: MemoryReplayCache | None) -> MemoryReplayCache:
    return cache if cache is not None else MemoryReplayCache()


def registry(fed: InProcessFederation) -> FederationRegistry:
    return fed.node(A).federation()


def request(fed: InProcessFederation, claims: dict | None = None, **options: object) -> str:
    reg = registry(fed)
    defaults: dict[str, object] = {
        "key": fed.node(A).signing_key(Purpose.JWT),
        "requester": reg.member(A),
        "responder": reg.member(B),
        "now": utcnow(),
    }
    defaults.update(options)
    return issue_request(ECHO, claims or {"q": 1}, **defaults)  # type: ignore[arg-type]


def verify(fed: InProcessFederation, token: str, cache: MemoryReplayCache | None = None,
           reg: FederationRegistry | None = None) -> Incoming:  # fmt: skip
    reg = reg or registry(fed)
    return verify_request(
        ECHO, token, registry=reg, trust=reg.trust_store(), responder=reg.member(B),
        replay_cache=fresh(cache), now=utcnow(),
    )  # fmt: skip


def respond(fed: InProcessFederation, incoming: Incoming, **claims: object) -> str:
    return issue_response(
        ECHO, claims or {"ok": True}, key=fed.node(B).signing_key(Purpose.JWT),
        incoming=incoming, responder=registry(fed).member(B), now=utcnow(),
    )  # fmt: skip


def check(fed: InProcessFederation, response: str, *, sent: str,
          cache: MemoryReplayCache | None = None) -> dict:  # fmt: skip
    reg = registry(fed)
    return verify_response(
        ECHO, response, request=sent, requester=reg.member(A), responder=reg.member(B),
        trust=reg.trust_store(), replay_cache=fresh(cache), now=utcnow(),
    )  # fmt: skip


def refused(call: object) -> ExchangeRefused:
    with pytest.raises(ExchangeRefused) as caught:
        call()  # type: ignore[operator]
    return caught.value


# --- the protocol ---------------------------------------------------------------------------


def test_a_round_trip_binds_the_response_to_the_request(fed: InProcessFederation) -> None:
    sent = request(fed, {"question": "status?"})
    incoming = verify(fed, sent)
    assert incoming.claims["question"] == "status?" and incoming.peer == A
    claims = check(fed, respond(fed, incoming, answer="valid"), sent=sent)
    assert claims["answer"] == "valid"
    assert claims["request_sha256"] == request_sha256(sent) == incoming.sha256
    assert claims["in_response_to"] == incoming.jti
    assert len(claims["request_sha256"]) == 43  # base64url SHA-256, no padding


def test_a_response_to_another_request_is_refused(fed: InProcessFederation) -> None:
    first, second = request(fed), request(fed)
    answer_to_first = respond(fed, verify(fed, first))
    assert refused(lambda: check(fed, answer_to_first, sent=second)).reason == (
        "request-hash-mismatch"
    )


@pytest.mark.parametrize(
    ("reason", "options"),
    [
        ("unknown-key-id", {"key": "foreign"}),
        ("wrong-audience", {"responder": "330000"}),
        ("token-expired", {"now": "past"}),
    ],
)
def test_requests_are_checked(fed: InProcessFederation, reason: str, options: dict) -> None:
    reg = registry(fed)
    resolved = {
        "key": forge.foreign_key(),
        "responder": reg.member(options.get("responder", B)),
        "now": utcnow() - timedelta(minutes=5),
    }
    token = request(fed, **{name: resolved[name] for name in options})
    assert refused(lambda: verify(fed, token)).reason == reason


def test_a_request_is_accepted_once(fed: InProcessFederation) -> None:
    cache, token = MemoryReplayCache(), request(fed)
    verify(fed, token, cache)
    assert refused(lambda: verify(fed, token, cache)).reason == "replayed-token"


def test_a_response_is_accepted_once(fed: InProcessFederation) -> None:
    cache, sent = MemoryReplayCache(), request(fed)
    answer = respond(fed, verify(fed, sent))
    check(fed, answer, sent=sent, cache=cache)
    assert refused(lambda: check(fed, answer, sent=sent, cache=cache)).reason == "replayed-token"


def test_a_request_passed_off_as_a_response_is_refused(fed: InProcessFederation) -> None:
    sent = request(fed)
    assert refused(lambda: check(fed, sent, sent=sent)).reason in {"wrong-token-type"}


def test_strangers_and_members_without_the_role_are_refused(fed: InProcessFederation) -> None:
    stranger = request(fed, requester=replace(registry(fed).member(A), entity_id="http://x.test/"))
    assert refused(lambda: verify(fed, stranger)).reason == "unknown-issuer"
    reg = registry(fed)
    demoted = replace(reg.member(A), roles=("service-provider",))
    without_role = replace(reg, members=tuple(demoted if m.region_code == A else m
                                              for m in reg.members))  # fmt: skip
    failure = refused(lambda: verify(fed, request(fed), reg=without_role))
    assert failure.reason == "role-not-allowed" and failure.peer == A


def test_bad_input_is_refused_cleanly(fed: InProcessFederation) -> None:
    assert refused(lambda: verify(fed, "not a jwt")).reason == "malformed"
    assert refused(lambda: verify(fed, "a" * 70_000)).reason == "too-large"
    assert refused(lambda: verify(fed, 5)).reason == "too-large"  # type: ignore[arg-type]


# --- the node-bound exchange: HTTP hop, audit on both sides ----------------------------------


def audit(node: Node, seq: int) -> AuditRecord:
    with node.sessions() as session:
        record = session.get(AuditRecord, seq)
        assert record is not None
        return record


def last_audit(node: Node) -> AuditRecord:
    with node.sessions() as session:
        record = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert record is not None
        return record


def test_a_refusal_is_audited_on_both_sides(fed: InProcessFederation) -> None:
    failure = refused(
        lambda: fed.node(A).exchange.call(
            IDENTITY_ASSERTION_KIND, peer_region=B, claims={"code": "0000-0000-0000"}
        )
    )
    assert failure.reason == "code-not-valid" and failure.peer == B
    ours, theirs = (
        audit(fed.node(A), failure.audit_record),
        audit(fed.node(B), failure.peer_audit_record),
    )  # type: ignore[arg-type]
    assert (ours.event, ours.outcome, ours.reason, ours.peer) == (
        "window.assertion-refused", "refused", "code-not-valid", B)  # fmt: skip
    assert ours.detail["side"] == "requester"
    assert (theirs.event, theirs.reason, theirs.peer) == (
        "window.assertion-refused", "code-not-valid", A)  # fmt: skip
    assert theirs.detail["side"] == "responder" and len(theirs.detail["request_sha256"]) == 43


def test_answers_are_rate_limited_per_requester(fed: InProcessFederation) -> None:
    limiter = fed.node(B).exchange.limiter
    saved, limiter.per_minute = limiter.per_minute, 0
    try:
        failure = refused(
            lambda: fed.node(A).exchange.call(
                IDENTITY_ASSERTION_KIND, peer_region=B, claims={"code": "0000-0000-0000"}
            )
        )
    finally:
        limiter.per_minute = saved
    assert failure.reason == "rate-limited" and failure.status == 429
    assert audit(fed.node(B), failure.peer_audit_record).reason == "rate-limited"  # type: ignore[arg-type]


def _with_transport(fed: InProcessFederation, transport: httpx.BaseTransport) -> ExchangeRefused:
    node = fed.node(A)
    node.exchange.use_transport(transport)
    try:
        return refused(
            lambda: node.exchange.call(IDENTITY_ASSERTION_KIND, peer_region=B, claims={"code": "x"})
        )
    finally:
        node.exchange.use_transport(fed.routed())


def test_an_unreachable_peer_is_a_clear_refusal(fed: InProcessFederation) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    failure = _with_transport(fed, httpx.MockTransport(down))
    assert (failure.reason, failure.status) == ("peer-unreachable", 502)
    assert audit(fed.node(A), failure.audit_record).reason == "peer-unreachable"  # type: ignore[arg-type]


def test_an_oversized_answer_is_not_read_to_the_end(fed: InProcessFederation) -> None:
    huge = httpx.MockTransport(lambda request: httpx.Response(200, content=b"x" * 200_000))
    assert _with_transport(fed, huge).reason == "too-large"


def test_a_forged_answer_is_refused_and_audited(fed: InProcessFederation) -> None:
    """A man in the middle answers with a token of his own making."""

    def forged(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["request"]
        reg = registry(fed)
        token = issue_jwt(
            {"request_sha256": request_sha256(sent)}, key=forge.foreign_key(),
            issuer=reg.member(B).entity_id, audience=reg.member(A).entity_id,
            typ=IDENTITY_ASSERTION_KIND.response_typ,
        )  # fmt: skip
        return httpx.Response(200, json={"response": token})

    failure = _with_transport(fed, httpx.MockTransport(forged))
    assert failure.reason == "unknown-key-id"
    assert audit(fed.node(A), failure.audit_record).outcome == "refused"  # type: ignore[arg-type]


def test_a_handler_answer_is_signed_and_audited(fed: InProcessFederation) -> None:
    def handler(incoming: Incoming, session: Session) -> Reply:
        return Reply({"echo": incoming.claims["q"]}, reason="noted", detail={"q": 1})

    node = fed.node(B)
    status, body = node.exchange.answer(ECHO, request(fed), handler)
    assert status == 200
    record = audit(node, body["audit_record"])
    assert (record.event, record.reason, record.peer) == ("echo.answered", "noted", A)
    claims = json.loads(
        __import__("base64").urlsafe_b64decode(body["response"].split(".")[1] + "==")
    )
    assert claims["echo"] == 1 and claims["aud"] == fed.entity_id(A)
    assert last_audit(node).seq == body["audit_record"]
