"""Window cases in process: four real node apps (real SQLite, the real exchange over HTTP routed
between them), the staff API, the outbox and inbox, and every refusal with its audit record."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from interregion.audit.models import AuditRecord
from interregion.cases import outbox, protocol
from interregion.cases.catalogue import TEMPLATES, matters_of
from interregion.cases.matters import verify_list
from interregion.cases.models import Case, CaseEvent, InboxMessage, OutboxMessage
from interregion.clock import utcnow
from interregion.exchange import issue_request, request_sha256
from signing.keys import Purpose
from tests.interregion import forge
from tests.interregion.cases_support import (
    Api,
    applicant_code,
    demo_username,
    pdf_bytes,
    png_bytes,
    take_in,
    token_for,
    wait_for,
)
from tests.interregion.inprocess import InProcessFederation, in_process_federation, node_url

A, B, C, HOME = "310000", "320000", "340000", "330000"
FAST = {
    "case_delivery_poll_seconds": 0.05,
    "case_retry_base_seconds": 0.05,
    "case_retry_max_seconds": 0.3,
    "case_max_material_bytes": 300_000,
    "case_stuck_after_seconds": 2,
}


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with in_process_federation(tmp_path_factory.mktemp("cases"), **FAST) as federation:
        for app in federation.apps.values():  # materials travel beside the exchange's tokens
            app.state.case_desk.worker.use_transport(federation.routed())
        yield federation


@pytest.fixture(scope="module")
def clerk(fed: InProcessFederation) -> Api:
    return Api(fed.client(A), token_for(fed.node(A), demo_username(A, "clerk")))


@pytest.fixture(scope="module")
def reviewer(fed: InProcessFederation) -> Api:
    return Api(fed.client(B), token_for(fed.node(B), demo_username(B, "reviewer")))


def last_audit(fed: InProcessFederation, code: str, event: str) -> AuditRecord:
    with fed.node(code).transaction() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.event == event).order_by(AuditRecord.seq.desc())
        ).first()
    assert record is not None, f"no {event} audit record at {code}"
    return record


def refused(
    answer: httpx.Response,
    fed: InProcessFederation,
    code: str,
    *,
    status: int,
    reason: str,
    event: str,
) -> AuditRecord:
    """A clear problem+json refusal whose audit record says the same."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    body = answer.json()
    assert body["reason"] == reason, body
    record = last_audit(fed, code, event)
    assert record.outcome == "refused" and record.reason == reason
    if "audit_record" in body:
        assert body["audit_record"] == record.seq
    return record


def submitted_case(fed: InProcessFederation, clerk: Api, reviewer: Api) -> str:
    receipt = take_in(clerk, code=applicant_code(fed.node(HOME), window_region=A), home=HOME)
    number = receipt["number"]
    wait_for(lambda: reviewer.get(f"/cases/{number}").status_code == 200, what="case at B")
    return number


# --- the matter catalogue ---------------------------------------------------------------------


def test_every_region_signs_at_least_30_matters_and_every_node_reads_them(
    fed: InProcessFederation, clerk: Api
) -> None:
    assert len(TEMPLATES) >= 30
    for region in ("310000", "320000", "330000", "340000"):
        listed = clerk.ok("get", f"/matters?region={region}")
        matters = listed["matters"]
        assert len(matters) >= 30 and all(m["region"] == region for m in matters)
        for matter in matters:
            assert matter["code"].startswith(f"{region}-")
            assert matter["name"] and matter["name_en"] and matter["time_limit_days"] >= 1
            assert matter["deciding_department"]["code"].startswith(region)
            assert matter["materials"] and "fees" in matter
        assert any(m["licence_types"] for m in matters)
    # The list each node serves is signed by that node's registry key.
    served = fed.client(B).get("/cases/matters").json()
    checked = verify_list(fed.node(A), served["signed_list"], region=B, now=utcnow())
    assert [m["code"] for m in checked.matters] == [m.code for m in matters_of(B)]
    with pytest.raises(Exception):  # noqa: B017,PT011  (any verification error)
        verify_list(fed.node(A), served["signed_list"], region=C, now=utcnow())


# --- one case there and back --------------------------------------------------------------------


def test_a_case_goes_to_the_deciding_region_and_every_step_comes_back_once_in_order(
    fed: InProcessFederation, clerk: Api, reviewer: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="interregion.cases.notices")
    number = submitted_case(fed, clerk, reviewer)
    at_b = reviewer.ok("get", f"/cases/{number}")
    assert at_b["status"] == "submitted" and at_b["side"] == "deciding"
    assert {m["material"] for m in at_b["materials"]} == {"M01", "M90", "M02", "M04"}
    assert at_b["applicant"]["home_region"] == HOME and "*" in at_b["applicant"]["id_masked"]
    wait_for(lambda: clerk.ok("get", f"/cases/{number}")["delivered_at"], what="receipt at A")

    reviewer.ok(
        "post", f"/cases/{number}/correction", json={"materials": ["M04"], "note": "发票不清晰"}
    )
    wait_for(
        lambda: clerk.ok("get", f"/cases/{number}")["status"] == "correction", what="补正 at A"
    )
    clerk.ok(
        "post",
        f"/cases/{number}/materials",
        data={"material": "M04"},
        files={"file": ("invoice.pdf", pdf_bytes(f"new invoice {number}"), "application/pdf")},
    )
    clerk.ok("post", f"/cases/{number}/supplement", json={"note": "已补充清晰发票"})
    wait_for(
        lambda: reviewer.ok("get", f"/cases/{number}")["status"] == "submitted", what="补正 at B"
    )
    assert len(reviewer.ok("get", f"/cases/{number}")["materials"]) == 5
    reviewer.ok("post", f"/cases/{number}/accept")
    reviewer.ok(
        "post", f"/cases/{number}/decision", json={"outcome": "approved", "note": "准予提取"}
    )
    final = wait_for(
        lambda: (b := clerk.ok("get", f"/cases/{number}"))["status"] == "approved" and b,
        what="办结 at A",
    )
    from_b = [e for e in final["events"] if e["actor"] == f"region:{B}"]
    assert [(e["seq"], e["kind"]) for e in from_b] == [
        (1, "correction-requested"),
        (2, "accepted"),
        (3, "decided"),
    ]
    assert final["due_at"] and final["decision"]["outcome"] == "approved"
    # Exactly once on each side, and every message of this case delivered with a receipt.
    for code in (A, B):
        with fed.node(code).transaction() as session:
            assert (
                session.scalar(select(func.count()).select_from(Case).where(Case.number == number))
                == 1
            )
            rows = list(
                session.scalars(select(OutboxMessage).where(OutboxMessage.case_number == number))
            )
            assert rows and all(r.delivered_at and r.receipt and r.request_hash for r in rows)

    # The applicant heard about each step; the log shows the phone masked only.
    def notices() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "interregion.cases.notices" and number in r.getMessage()
        ]

    # The notifier runs right after each step is applied (the delivery worker's next round).
    wait_for(lambda: any("is approved" in n for n in notices()), what="the last notice")
    assert any("is correction" in n for n in notices())
    assert all("13812345678" not in n and "138****5678" in n for n in notices())


def test_a_lost_receipt_means_a_second_delivery_and_no_second_effect(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = submitted_case(fed, clerk, reviewer)
    reviewer.ok("post", f"/cases/{number}/accept")
    wait_for(lambda: clerk.ok("get", f"/cases/{number}")["status"] == "accepted", what="受理 at A")
    # As if B's receipts had been lost: A sends every message of the case again.
    for code in (A, B):
        with fed.node(code).transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.case_number == number)
                .values(delivered_at=None, next_attempt_at=utcnow())
            )
        wait_for(lambda c=code: _all_delivered(fed, c, number), what=f"redelivery from {code}")
    for code in (A, B):
        with fed.node(code).transaction() as session:
            events = session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_number == number)
            )
            inbox = session.scalar(
                select(func.count())
                .select_from(InboxMessage)
                .where(InboxMessage.case_number == number)
            )
        assert inbox == 1, code  # one message each way, applied once
        assert events == 2, code  # submitted/received + accepted, nothing twice
    answered = last_audit(fed, B, "case-submission.answered")
    assert answered.detail["applied"][0]["status"] == "duplicate"


def _all_delivered(fed: InProcessFederation, code: str, number: str) -> bool:
    with fed.node(code).transaction() as session:
        return not session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.case_number == number, OutboxMessage.delivered_at.is_(None))
        )


def test_a_licence_replaces_a_paper_material(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = clerk.ok("post", "/cases", json={"matter": "320000-GJJ-018"})["number"]
    code = applicant_code(fed.node(HOME), window_region=A)
    clerk.ok("post", f"/cases/{number}/identity", json={"home": HOME, "code": code})
    offered = {
        lic["name"]: lic["identifier"]
        for lic in clerk.ok("get", f"/cases/{number}")["licences_offered"]
    }
    assert {"居民身份证", "机动车驾驶证"} <= set(offered)
    wrong = clerk.post(
        f"/cases/{number}/licences", json={"material": "M90", "identifier": offered["机动车驾驶证"]}
    )
    refused(wrong, fed, A, status=422, reason="licence-type-mismatch", event="case.refused")
    checked = clerk.ok(
        "post",
        f"/cases/{number}/licences",
        json={"material": "M90", "identifier": offered["居民身份证"]},
    )["licence"]
    assert checked["status"] == "valid" and checked["issuer_region"] == HOME
    assert checked["licence_type"] == "居民身份证" and checked["fields"]
    draft = clerk.ok("get", f"/cases/{number}")
    assert draft["materials_missing"] == ["M01"]  # M90 needs no scan now
    clerk.ok("post", f"/cases/{number}/consent", json={"applicant_signed": True})
    clerk.ok(
        "post",
        f"/cases/{number}/materials",
        data={"material": "M01"},
        files={"file": ("form.pdf", pdf_bytes(f"form {number}"), "application/pdf")},
    )
    clerk.ok("post", f"/cases/{number}/submit")
    at_b = wait_for(
        lambda: (r := reviewer.get(f"/cases/{number}")).status_code == 200 and r.json(),
        what="case with a licence at B",
    )
    assert [(lic["material"], lic["status"]) for lic in at_b["licences"]] == [("M90", "valid")]
    assert [m["material"] for m in at_b["materials"]] == ["M01"]
    assert last_audit(fed, A, "case.licence-verified").detail["status"] == "valid"


# --- the exchange refuses -------------------------------------------------------------------------


def _batch(
    fed: InProcessFederation,
    sender: str,
    receiver: str,
    messages: list[str],
    *,
    key: Any = None,
    kind: Any = protocol.SUBMISSION,
) -> str:
    registry = fed.node(sender).federation()
    return issue_request(
        kind,
        {"messages": messages},
        key=key or fed.node(sender).signing_key(Purpose.JWT),
        requester=registry.member(sender),
        responder=registry.member(receiver),
        now=utcnow(),
    )


def _message(
    fed: InProcessFederation,
    sender: str,
    receiver: str,
    claims: dict[str, Any],
    *,
    key: Any = None,
    kind: Any = protocol.CASE_MESSAGE,
) -> str:
    registry = fed.node(sender).federation()
    return issue_request(
        kind,
        claims,
        key=key or fed.node(sender).signing_key(Purpose.JWT),
        requester=registry.member(sender),
        responder=registry.member(receiver),
        now=utcnow(),
    )


def _post(fed: InProcessFederation, receiver: str, path: str, token: str) -> httpx.Response:
    return fed.client(receiver).post(f"/cases/exchange/{path}", json={"request": token})


def _receipts(fed: InProcessFederation, answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    claims = json.loads(base64.urlsafe_b64decode(answer.json()["response"].split(".")[1] + "=="))
    receipts: list[dict[str, Any]] = claims["receipts"]
    return receipts


def _new_case_claims(number: str) -> dict[str, Any]:
    return protocol.message_claims(
        kind="case.submitted",
        mid=f"m-{number[-6:]}",
        case=number,
        seq=1,
        data={"matter": "320000-GJJ-018"},
    )


def test_a_forged_case_message_is_refused_and_audited(fed: InProcessFederation) -> None:
    number = f"{A}-20260101-FORGED"
    forged = _batch(
        fed, A, B, [_message(fed, A, B, _new_case_claims(number))], key=forge.foreign_key()
    )
    record = refused(
        _post(fed, B, "submissions", forged),
        fed,
        B,
        status=403,
        reason="unknown-key-id",
        event="case-submission.refused",
    )
    assert record.peer == A
    # A genuine batch carrying a message signed with another key: that message is refused.
    inner = _message(fed, A, B, _new_case_claims(number), key=forge.foreign_key())
    receipts = _receipts(fed, _post(fed, B, "submissions", _batch(fed, A, B, [inner])))
    assert receipts[0]["status"] == "refused" and receipts[0]["reason"] == "unknown-key-id"
    assert receipts[0]["request_sha256"] == request_sha256(inner)
    message_refused = last_audit(fed, B, "case.message-refused")
    assert message_refused.reason == "unknown-key-id" and message_refused.detail["case"] == number
    with fed.node(B).transaction() as session:
        assert session.get(Case, number) is None


def test_a_replayed_case_message_is_refused_and_audited(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = f"{A}-20260101-REPLAY"
    inner = _message(fed, A, B, _new_case_claims(number))
    batch = _batch(fed, A, B, [inner])
    first = _receipts(fed, _post(fed, B, "submissions", batch))
    assert first[0]["status"] == "refused" and first[0]["reason"] == "malformed"  # no applicant
    # The same batch again: its jti was used.
    refused(
        _post(fed, B, "submissions", batch),
        fed,
        B,
        status=403,
        reason="replayed-token",
        event="case-submission.refused",
    )
    # The same message inside a fresh batch: refused by the message's own jti.
    again = _receipts(fed, _post(fed, B, "submissions", _batch(fed, A, B, [inner])))
    assert again[0]["reason"] == "replayed-token"
    assert last_audit(fed, B, "case.message-refused").reason == "replayed-token"


def test_a_status_update_from_a_region_that_does_not_decide_is_refused(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = submitted_case(fed, clerk, reviewer)
    claims = protocol.message_claims(
        kind="case.accepted",
        mid="from-anhui-1",
        case=number,
        seq=1,
        data={"accepted_at": 1, "due_at": 2},
    )
    token = _message(fed, C, A, claims, kind=protocol.STATUS_MESSAGE)
    receipts = _receipts(
        fed, _post(fed, A, "status", _batch(fed, C, A, [token], kind=protocol.STATUS))
    )
    assert receipts[0]["status"] == "refused" and receipts[0]["reason"] == "not-deciding-region"
    record = last_audit(fed, A, "case.message-refused")
    assert record.reason == "not-deciding-region" and record.peer == C
    assert clerk.ok("get", f"/cases/{number}")["status"] == "submitted"


def test_a_material_whose_bytes_do_not_match_its_hash_is_refused(fed: InProcessFederation) -> None:
    data = pdf_bytes("real bytes")
    other = "0" * 64
    registry = fed.node(A).federation()
    token = issue_request(
        protocol.MATERIALS,
        {"materials": [{"sha256": other, "size": len(data)}]},
        key=fed.node(A).signing_key(Purpose.JWT),
        requester=registry.member(A),
        responder=registry.member(B),
        now=utcnow(),
    )
    answer = fed.client(B).post(
        "/cases/exchange/materials",
        data={"request": token},
        files=[("material", (other, data, "application/octet-stream"))],
    )
    record = refused(
        answer,
        fed,
        B,
        status=422,
        reason="material-hash-mismatch",
        event="case-materials.refused",
    )
    assert record.detail["sha256"] == other
    assert not fed.apps[B].state.case_desk.store.has(other)


def test_messages_are_applied_in_their_order_only(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = submitted_case(fed, clerk, reviewer)
    claims = protocol.message_claims(
        kind="case.decided",
        mid="early-3",
        case=number,
        seq=3,
        data={"outcome": "approved", "decided_at": 5},
    )
    token = _message(fed, B, A, claims, kind=protocol.STATUS_MESSAGE)
    receipts = _receipts(
        fed, _post(fed, A, "status", _batch(fed, B, A, [token], kind=protocol.STATUS))
    )
    assert receipts[0]["reason"] == "out-of-order" and receipts[0]["retry"] is True
    assert clerk.ok("get", f"/cases/{number}")["status"] == "submitted"


# --- staff may only do their own work ----------------------------------------------------------


def test_staff_of_another_window_or_department_cannot_read_the_case(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = submitted_case(fed, clerk, reviewer)
    node = fed.node(A)
    from interregion.staff import service

    with node.transaction() as session:
        service.create(
            session,
            region=A,
            username="putuo-clerk",
            role="clerk",
            window="310107-ZC01",
            password="putuo-clerk-password",
        )
    other = Api(fed.client(A), token_for(node, "putuo-clerk"))
    record = refused(
        other.get(f"/cases/{number}"),
        fed,
        A,
        status=403,
        reason="other-window",
        event="case.refused",
    )
    assert record.actor == "staff:putuo-clerk" and record.detail["case"] == number
    assert number not in {c["number"] for c in other.ok("get", "/cases")["cases"]}
    with fed.node(B).transaction() as session:
        service.create(
            session,
            region=B,
            username="su-rs-reviewer",
            role="reviewer",
            window="320000-RS",
            password="su-rs-reviewer-pw",
        )
    social = Api(fed.client(B), token_for(fed.node(B), "su-rs-reviewer"))
    refused(
        social.get(f"/cases/{number}"),
        fed,
        B,
        status=403,
        reason="other-window",
        event="case.refused",
    )
    refused(
        social.post(f"/cases/{number}/accept"),
        fed,
        B,
        status=403,
        reason="other-window",
        event="case.refused",
    )


def test_a_clerk_cannot_decide(fed: InProcessFederation, clerk: Api, reviewer: Api) -> None:
    number = submitted_case(fed, clerk, reviewer)
    answer = clerk.post(f"/cases/{number}/decision", json={"outcome": "approved", "note": ""})
    record = refused(answer, fed, A, status=403, reason="role-not-allowed", event="case.refused")
    assert record.detail["action"] == "decide a case"
    # Not even on the deciding node with a clerk's account there.
    su_clerk = Api(fed.client(B), token_for(fed.node(B), demo_username(B, "clerk")))
    refused(
        su_clerk.post(f"/cases/{number}/accept"),
        fed,
        B,
        status=403,
        reason="role-not-allowed",
        event="case.refused",
    )
    assert reviewer.ok("get", f"/cases/{number}")["status"] == "submitted"


def test_the_api_needs_a_valid_staff_token(fed: InProcessFederation) -> None:
    for headers in ({}, {"Authorization": "Bearer dst_not-a-token"}, {"Authorization": "Basic x"}):
        answer = fed.client(A).get("/cases/api/cases", headers=headers)
        refused(answer, fed, A, status=401, reason="not-authenticated", event="staff.api-refused")
        assert answer.headers["www-authenticate"] == "Bearer"
    answer = fed.client(A).post("/window/identity-assertions", json={"home": HOME, "code": "x"})
    refused(answer, fed, A, status=401, reason="not-authenticated", event="staff.api-refused")


# --- uploads --------------------------------------------------------------------------------------


@pytest.fixture
def draft(clerk: Api) -> str:
    number: str = clerk.ok("post", "/cases", json={"matter": "320000-GJJ-016"})["number"]
    return number


@pytest.mark.parametrize(
    ("name", "data", "declared", "status", "reason"),
    [
        (
            "scan.pdf",
            b"<html><script>alert(1)</script></html>",
            "application/pdf",
            415,
            "wrong-type",
        ),
        ("scan.pdf", png_bytes(3), "image/png", 415, "disguised"),
        ("scan.png", pdf_bytes("x"), "application/pdf", 415, "disguised"),
        ("scan.pdf", b"PK\x03\x04" + b"\0" * 100, "application/pdf", 415, "wrong-type"),
        (
            "scan.pdf",
            b"%PDF-1.7\n1 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF",
            None,
            422,
            "active-content",
        ),
        ("scan.png", png_bytes(4)[:60], "image/png", 422, "malformed"),
        (
            "scan.pdf",
            b"%PDF-1.4\n" + b"A" * 330_000 + b"\n%%EOF",
            "application/pdf",
            413,
            "too-large",
        ),
        ("empty.pdf", b"", "application/pdf", 422, "empty"),
    ],
)
def test_disguised_broken_or_oversized_uploads_are_refused(
    fed: InProcessFederation,
    clerk: Api,
    draft: str,
    name: str,
    data: bytes,
    declared: str | None,
    status: int,
    reason: str,
) -> None:
    answer = clerk.post(
        f"/cases/{draft}/materials",
        data={"material": "M01"},
        files={"file": (name, data, declared or "application/octet-stream")},
    )
    record = refused(answer, fed, A, status=status, reason=reason, event="case.upload-refused")
    assert record.detail["case"] == draft
    assert clerk.ok("get", f"/cases/{draft}")["materials"] == []


def test_good_scans_are_hashed(clerk: Api, draft: str) -> None:
    data = png_bytes(9)
    body = clerk.ok(
        "post",
        f"/cases/{draft}/materials",
        data={"material": "M90"},
        files={"file": ("id.png", data, "image/png")},
    )
    import hashlib

    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["media_type"] == "image/png"
    again = clerk.post(
        f"/cases/{draft}/materials",
        data={"material": "M90"},
        files={"file": ("id.png", data, "image/png")},
    )
    assert again.status_code == 409 and again.json()["reason"] == "duplicate-material"


# --- outbox: a peer away for hours, stuck messages ---------------------------------------------


class Unreachable(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, down: set[str]) -> None:
        self.inner, self.down = inner, down

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.url.scheme}://{request.url.host}" in self.down:
            raise httpx.ConnectError("node is down", request=request)
        return self.inner.handle_request(request)


def test_a_node_away_for_hours_gets_everything_in_order_and_stuck_messages_show(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    number = submitted_case(fed, clerk, reviewer)
    down = Unreachable(fed.routed(), {node_url(A)})
    fed.node(B).exchange.use_transport(down)
    try:
        reviewer.ok("post", f"/cases/{number}/accept")
        reviewer.ok(
            "post", f"/cases/{number}/decision", json={"outcome": "refused", "note": "不符合条件"}
        )
        # Hours pass (the messages are re-signed at each attempt, so nothing in them expires).
        with fed.node(B).transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.case_number == number)
                .values(created_at=utcnow() - timedelta(hours=5))
            )
        supervisor = Api(fed.client(B), token_for(fed.node(B), demo_username(B, "supervisor")))

        def listed() -> list[dict[str, Any]]:
            rows = supervisor.ok("get", "/outbox?stuck=true")["messages"]
            return [m for m in rows if m["case_number"] == number]

        stuck = wait_for(
            lambda: (rows := listed()) and rows[0]["attempts"] >= 2 and rows, what="stuck messages"
        )
        # The second waits behind the first (per-case order): never sent before it.
        assert [m["seq"] for m in stuck] == [1, 2] and all(m["stuck"] for m in stuck)
        assert "peer-unreachable" in stuck[0]["last_error"]
        refused(
            reviewer.get("/outbox"),
            fed,
            B,
            status=403,
            reason="role-not-allowed",
            event="case.refused",
        )
        assert clerk.ok("get", f"/cases/{number}")["status"] == "submitted"
    finally:
        fed.node(B).exchange.use_transport(fed.routed())
    supervisor.ok("post", "/outbox/retry")
    final = wait_for(
        lambda: (b := clerk.ok("get", f"/cases/{number}"))["status"] == "refused" and b,
        what="both updates after the outage",
    )
    assert [e["kind"] for e in final["events"] if e["seq"]] == ["accepted", "decided"]


def test_backoff_has_full_jitter_within_its_bounds() -> None:
    import random

    rng = random.Random(7)
    for attempts in range(1, 12):
        values = [outbox.backoff(attempts, base=2, cap=300, rng=rng) for _ in range(200)]
        ceiling = min(300, 2 * 2 ** (attempts - 1))
        assert all(0 <= v <= ceiling for v in values)
        assert max(values) > ceiling * 0.8 and min(values) < ceiling * 0.2


# --- receipts and tracking -------------------------------------------------------------------


def test_the_receipt_has_a_qr_code_and_the_applicant_tracks_without_login(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    receipt = take_in(clerk, code=applicant_code(fed.node(HOME), window_region=A), home=HOME)
    number, code = receipt["number"], receipt["query_code"]
    assert re.fullmatch(r"\d{8}", code) and receipt["qr_svg"].startswith("<svg")
    assert receipt["tracking_url"].endswith(f"number={number}&code={code}")
    public = fed.client(A)
    found = public.post("/cases/track.json", data={"number": number, "code": code})
    assert found.status_code == 200 and found.json()["status"] == "submitted"
    assert "*" in found.json()["applicant"]
    page = public.get(f"/cases/track?number={number}&code={code}")
    assert page.status_code == 200 and "已收件" in page.text
    for _ in range(5):  # five wrong codes lock the case's tracking for a while
        assert (
            public.post(
                "/cases/track.json", data={"number": number, "code": "00000000"}
            ).status_code
            == 404
        )
    locked = public.post("/cases/track.json", data={"number": number, "code": code})
    assert locked.status_code == 404
    record = last_audit(fed, A, "case.tracked")
    assert record.outcome == "refused" and record.reason == "locked"


# --- statistics and the open-data export -------------------------------------------------------


def test_statistics_and_the_monthly_export(
    fed: InProcessFederation, clerk: Api, reviewer: Api, tmp_path: Any
) -> None:
    stats = fed.client(B).get("/cases/statistics.json").json()
    pair = next(p for p in stats["region_pairs"] if p["accepting_region"] == A)
    assert pair["deciding_region"] == B and pair["cases"] >= 3 and pair["approved"] >= 1
    assert stats["total"]["handling_days_p50"] is not None
    assert 0 <= (stats["total"]["overdue_rate"] or 0) <= 1
    page = fed.client(B).get("/cases/statistics")
    assert page.status_code == 200 and "/static/vendor/echarts@" in page.text
    month = utcnow().strftime("%Y-%m")
    csv_text = fed.client(B).get(f"/cases/statistics/{month}.csv").text
    assert csv_text.startswith("month,accepting_region,deciding_region,matter_code")
    (tmp_path / f"{month}.csv").write_text(csv_text, encoding="utf-8")
    package = fed.client(B).get(f"/cases/statistics/{month}/datapackage.json").json()
    package["resources"][0]["path"] = f"{month}.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    from frictionless import validate

    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert fed.client(B).get("/cases/statistics/2026-13.csv").status_code == 422


def test_the_staff_api_is_in_the_openapi_document(fed: InProcessFederation) -> None:
    document = fed.client(A).get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/cases/api/cases",
        "/cases/api/cases/{number}/submit",
        "/cases/api/cases/{number}/decision",
        "/cases/api/outbox",
    ):
        assert path in paths, path
    assert document["components"]["securitySchemes"]["StaffApiToken"]["scheme"] == "bearer"
    assert paths["/cases/api/cases"]["get"]["security"] == [{"StaffApiToken": []}]


# --- staff pages: login, lockout, CSRF, disabling ---------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _page_login(client: Any, username: str, password: str, secret: str) -> httpx.Response:
    page = client.get("/staff/login?next=/cases")
    answer = client.post(
        "/staff/login",
        data={
            "username": username,
            "password": password,
            "next": "/cases",
            "csrf": _csrf(page.text),
        },
        follow_redirects=False,
    )
    if "/staff/totp" not in answer.headers.get("location", ""):
        return answer
    page = client.get(answer.headers["location"])
    import pyotp

    return client.post(
        "/staff/totp",
        data={"code": pyotp.TOTP(secret).now(), "next": "/cases", "csrf": _csrf(page.text)},
        follow_redirects=False,
    )


def test_staff_pages_need_password_and_totp_lock_out_guessers_and_check_csrf(
    fed: InProcessFederation,
) -> None:
    from starlette.testclient import TestClient

    from interregion.staff import service

    node = fed.node(A)
    with node.transaction() as session:
        made = service.create(
            session,
            region=A,
            username="xuhui-clerk-2",
            role="clerk",
            window="310104-ZC01",
            password="xuhui-clerk-2-password",
        )
        secret = made.totp_secret
    # Not entered as a context manager: that would run (and end) the shared app's lifespan.
    browser = TestClient(fed.apps[A], base_url=node_url(A))
    anonymous = browser.get("/cases", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login")
    for _ in range(5):
        wrong = _page_login(browser, "xuhui-clerk-2", "not-the-password", secret)
        assert "error=1" in wrong.headers["location"]
    locked = _page_login(browser, "xuhui-clerk-2", "xuhui-clerk-2-password", secret)
    assert "error=1" in locked.headers["location"]
    assert last_audit(fed, A, "staff.login").reason == "locked"
    with node.transaction() as session:
        session.execute(
            update(service.StaffAccount)
            .where(service.StaffAccount.username == "xuhui-clerk-2")
            .values(locked_until=utcnow())
        )
    logged_in = _page_login(browser, "xuhui-clerk-2", "xuhui-clerk-2-password", secret)
    assert logged_in.headers["location"] == "/cases", logged_in.text
    listing = browser.get("/cases")
    assert listing.status_code == 200 and "本窗口收件" in listing.text
    # A form without its token, or posted from another site, is refused (and audited).
    no_token = browser.post("/cases/new", data={"matter": "320000-GJJ-018"})
    assert no_token.status_code == 403 and 'id="reason">csrf<' in no_token.text
    assert last_audit(fed, A, "web.csrf").detail["path"] == "/cases/new"
    foreign = browser.post(
        "/cases/new",
        data={"matter": "320000-GJJ-018", "csrf": _csrf(listing.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    opened = browser.post(
        "/cases/new",
        data={"matter": "320000-GJJ-018", "csrf": _csrf(listing.text)},
        follow_redirects=False,
    )
    assert opened.status_code == 303 and opened.headers["location"].startswith(f"/cases/{A}-")
    # Disabled: the session stops working at once, and so do the account's tokens.
    token = token_for(node, "xuhui-clerk-2")
    with node.transaction() as session:
        service.disable(session, username="xuhui-clerk-2", now=utcnow())
    assert browser.get("/cases", follow_redirects=False).status_code == 303
    assert (
        fed.client(A).get("/cases/api/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert (
        _page_login(browser, "xuhui-clerk-2", "xuhui-clerk-2-password", secret)
        .headers["location"]
        .endswith("error=1")
    )
    assert last_audit(fed, A, "staff.login").reason == "disabled"


def test_every_staff_page_renders_for_its_role(
    fed: InProcessFederation, clerk: Api, reviewer: Api
) -> None:
    from starlette.testclient import TestClient

    from interregion.staff.demo import demo_staff

    number = submitted_case(fed, clerk, reviewer)
    draft = clerk.ok("post", "/cases", json={"matter": "320000-GJJ-016"})["number"]
    pages = {
        (A, "clerk"): [
            "/cases",
            "/cases?status=submitted&overdue=1",
            f"/cases/new?region={B}",
            f"/cases/{number}",
            f"/cases/{draft}",
            "/window",
        ],
        (B, "reviewer"): ["/cases", f"/cases/{number}"],
        (B, "supervisor"): ["/cases", "/cases/outbox", f"/cases/{number}"],
    }
    for (code, role), paths in pages.items():
        who = next(s for s in demo_staff(code) if s.role == role)
        browser = TestClient(fed.apps[code], base_url=node_url(code))  # no lifespan of its own
        assert _page_login(browser, who.username, who.password, who.totp_secret).status_code == 303
        for path in paths:
            page = browser.get(path)
            assert page.status_code == 200, f"{code} {role} {path}: {page.text[:300]}"
            assert "<h1>" in page.text
    public = fed.client(A)
    for path in ("/cases/track", "/cases/statistics", "/"):
        assert public.get(path).status_code == 200, path
    assert (
        public.get("/cases/mine", follow_redirects=False)
        .headers["location"]
        .startswith("/sso/choose")
    )


def test_staff_accounts_are_checked_before_anything_is_written(fed: InProcessFederation) -> None:
    from interregion.staff import service

    cases = [
        ({"username": "hu-clerk"}, "exists already"),
        ({"role": "reviewer"}, "a reviewer works at a department"),
        ({"window": "320000-GJJ"}, "not a window or department of region 310000"),
        ({"role": "admin"}, "role must be one of"),
        ({"username": "X"}, "usernames are"),
        ({"password": "short"}, "at least 12"),
    ]
    for change, message in cases:
        values = {"username": "new-clerk", "role": "clerk", "window": "310104-ZC01", **change}
        with fed.node(A).transaction() as session:
            with pytest.raises(service.StaffError, match=message):
                service.create(session, region=A, **values)  # type: ignore[arg-type]
            assert service.find(session, "new-clerk") is None
