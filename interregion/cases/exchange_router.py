"""What other nodes call: the signed matter list, and the three case exchange endpoints.

Each batch is answered by the exchange (:meth:`Exchange.answer`): the
batch's signature, ``jti`` and roles first, then, in one transaction, each
message: its own signature and ``jti`` (all verified before anything is
written), then :func:`inbox.apply`. Messages refused inside a good batch get
a refusal receipt and an audit record of their own.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from delta.http import PROBLEM
from interregion.cases import inbox, protocol
from interregion.cases.protocol import Receipt
from interregion.cases.service import CaseDesk, DeskDep
from interregion.clock import utcnow
from interregion.exchange import (
    ExchangeRefused,
    Incoming,
    MessageKind,
    Reply,
    request_sha256,
    verify_request,
)
from interregion.web.context import WebDep
from signing.errors import SigningError
from signing.jwt import decode_unverified

router = APIRouter(tags=["exchange between nodes"])
MAX_BATCH_MESSAGES = 200


class BatchBody(BaseModel):
    request: str = Field(min_length=1, max_length=protocol.MAX_TOKEN_CHARS)


@router.get("/cases/matters", summary="This region's matter list, signed (JWS)")
def signed_matter_list(desk: DeskDep) -> Response:
    token = desk.matters.own_token(now=utcnow())
    return JSONResponse(
        {"region": desk.node.region_code, "signed_list": token},
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post("/cases/exchange/matters", summary="This region's signed matter list, for a node")
def matters_for_node(body: BatchBody, web: WebDep, desk: DeskDep) -> Response:
    def handle(incoming: Incoming, session: Session) -> Reply:
        return Reply(claims={"signed_list": desk.matters.own_token(now=incoming.now)})

    return _answer(web, protocol.MATTERS, body.request, handle, [])


def _answer(
    web: WebDep, kind: MessageKind, token: str, handler: Any, refusals: list[dict[str, Any]]
) -> Response:
    status, payload = web.node.exchange.answer(kind, token, handler)
    for refusal in refusals:  # outside the batch's transaction (SQLite has one writer)
        web.node.audit.append(
            event="case.message-refused",
            outcome="refused",
            reason=refusal["reason"],
            peer=refusal["peer"],
            detail={**refusal, "side": "receiver"},
        )
    media_type = "application/json" if status == 200 else PROBLEM
    return JSONResponse(
        payload, status_code=status, media_type=media_type, headers={"Cache-Control": "no-store"}
    )


def _unverified(token: Any) -> dict[str, Any]:
    """For naming a refused message in its receipt only; never trusted."""
    try:
        claims = decode_unverified(token).claims if isinstance(token, str) else {}
    except SigningError:
        claims = {}
    seq = claims.get("seq")
    return {
        "mid": str(claims.get("mid", ""))[:36],
        "case": str(claims.get("case", ""))[:32],
        "seq": seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
    }


def _batch_handler(
    desk: CaseDesk, message_kind: MessageKind, refusals: list[dict[str, Any]]
) -> Any:
    node = desk.node

    def handle(incoming: Incoming, session: Session) -> Reply:
        tokens = incoming.claims.get("messages")
        if not isinstance(tokens, list) or not 0 < len(tokens) <= MAX_BATCH_MESSAGES:
            raise ExchangeRefused(
                "malformed", "messages must be a list of 1..200 tokens", 400, incoming.peer
            )
        receipts: list[Receipt] = []
        verified: list[Incoming] = []
        # 1. every message's own signature and jti, before this transaction writes anything
        for token in tokens:
            try:
                message = verify_request(
                    message_kind,
                    token,
                    registry=node.federation(),
                    trust=node.registry,
                    responder=node.member(),
                    replay_cache=node.replay_cache,
                    now=incoming.now,
                )
                if message.peer != incoming.peer:
                    raise ExchangeRefused("sender-mismatch", "a message signed by another node")
                verified.append(message)
            except ExchangeRefused as refusal:
                named = _unverified(token)
                digest = protocol_hash(token)
                receipts.append(
                    Receipt(
                        named["mid"],
                        named["case"],
                        named["seq"],
                        digest,
                        "refused",
                        refusal.reason,
                        refusal.message,
                    )
                )
                refusals.append(
                    {
                        **named,
                        "reason": refusal.reason,
                        "peer": incoming.peer,
                        "message": refusal.message,
                    }
                )
        # 2. apply, in order, each once
        own_list = desk.matters.get(node.region_code, now=incoming.now)
        applied: list[dict[str, Any]] = []
        for message in verified:
            named = _unverified(message.token)
            try:
                done = inbox.apply(
                    session,
                    own_region=node.region_code,
                    sender=message.peer,
                    claims=message.claims,
                    request_hash=message.sha256,
                    store=desk.store,
                    own_list=own_list,
                    now=incoming.now,
                )
            except inbox.MessageRefused as refusal:
                receipts.append(
                    Receipt(
                        named["mid"],
                        named["case"],
                        named["seq"],
                        message.sha256,
                        "refused",
                        refusal.reason,
                        refusal.message,
                        refusal.retry,
                    )
                )
                if not refusal.retry:
                    refusals.append(
                        {
                            **named,
                            "reason": refusal.reason,
                            "peer": message.peer,
                            "message": refusal.message,
                        }
                    )
                continue
            status = "duplicate" if done.duplicate else "applied"
            receipts.append(
                Receipt(named["mid"], done.case_number, done.seq, message.sha256, status)
            )
            applied.append(
                {"case": done.case_number, "seq": done.seq, "kind": done.kind, "status": status}
            )
        return Reply(
            claims={"receipts": [r.as_json() for r in receipts]},
            detail={
                "messages": len(tokens),
                "applied": applied,
                "refused": sum(1 for r in receipts if r.status == "refused"),
            },
        )

    return handle


def protocol_hash(token: Any) -> str:
    """The exchange's request hash, or "" for something that is not even a token."""
    if not isinstance(token, str) or not token.isascii():
        return ""
    return request_sha256(token)


@router.post("/cases/exchange/submissions", summary="Cases and 补正 materials from a window")
def receive_submissions(body: BatchBody, web: WebDep, desk: DeskDep) -> Response:
    refusals: list[dict[str, Any]] = []
    handler = _batch_handler(desk, protocol.CASE_MESSAGE, refusals)
    return _answer(web, protocol.SUBMISSION, body.request, handler, refusals)


@router.post("/cases/exchange/status", summary="Status updates from the deciding region")
def receive_status(body: BatchBody, web: WebDep, desk: DeskDep) -> Response:
    refusals: list[dict[str, Any]] = []
    handler = _batch_handler(desk, protocol.STATUS_MESSAGE, refusals)
    return _answer(web, protocol.STATUS, body.request, handler, refusals)


@router.post("/cases/exchange/materials", summary="Materials' bytes, checked against their SHA-256")
def receive_materials(
    web: WebDep,
    desk: DeskDep,
    request: Annotated[str, Form(max_length=protocol.MAX_TOKEN_CHARS)],
    material: Annotated[list[UploadFile], File()],
) -> Response:
    """The signed request lists each material's SHA-256 and size; the bytes come beside it."""
    max_bytes = web.node.settings.case_max_material_bytes
    received: dict[str, bytes] = {}
    for upload in material[: MAX_BATCH_MESSAGES + 1]:
        received[str(upload.filename or "")[:64]] = upload.file.read(max_bytes + 1)

    def handle(incoming: Incoming, session: Session) -> Reply:
        listed = incoming.claims.get("materials")
        if not isinstance(listed, list) or not listed or len(listed) != len(received):
            raise ExchangeRefused("malformed", "the request must list exactly the materials sent",
                                  400, incoming.peer)  # fmt: skip
        for item in listed:
            sha = item.get("sha256") if isinstance(item, dict) else None
            data = received.get(sha) if isinstance(sha, str) else None
            if data is None or len(data) > max_bytes:
                raise ExchangeRefused("malformed", "a listed material is missing or too large",
                                      400, incoming.peer)  # fmt: skip
            if hashlib.sha256(data).hexdigest() != sha or item.get("size") != len(data):
                raise ExchangeRefused(
                    "material-hash-mismatch", "a material's bytes do not match its SHA-256", 422,
                    incoming.peer, detail={"sha256": str(sha)[:64]},
                )  # fmt: skip
        for sha, data in received.items():  # only once every one of them holds
            desk.store.put(data, sha256=sha)
        return Reply(
            claims={"stored": sorted(received)},
            detail={"stored": len(received), "bytes": sum(len(d) for d in received.values())},
        )

    return _answer(web, protocol.MATERIALS, request, handle, [])
