"""What other nodes call: the signed matter list, and the three case exchange endpoints.

Each batch is answered by the exchange (:meth:`Exchange.answer`): the
batch's signature, ``jti`` and roles first, then, in one transaction, each
message: its own signature and ``jti`` (all verified before anything is
written), then :func:`inbox.apply`. Messages refused inside a good batch get
a refusal receipt and an audit record of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from fastapi import APIRouter
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
    request: str = Field(min_length=1, max_length=protocol.MAX_MATERIALS_REQUEST_CHARS)


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


def _decode(data: Any) -> bytes:
    if not isinstance(data, str) or not data.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@router.post("/cases/exchange/materials", summary="Materials' bytes, checked against their SHA-256")
def receive_materials(body: BatchBody, web: WebDep, desk: DeskDep) -> Response:
    max_bytes = web.node.settings.case_max_material_bytes

    def handle(incoming: Incoming, session: Session) -> Reply:
        items = incoming.claims.get("materials")
        if not isinstance(items, list) or not items:
            raise ExchangeRefused(
                "malformed", "materials must be a non-empty list", 400, incoming.peer
            )
        checked: list[tuple[str, bytes]] = []
        for item in items:
            sha = item.get("sha256") if isinstance(item, dict) else None
            try:
                data = _decode(item.get("data") if isinstance(item, dict) else None)
            except (ValueError, binascii.Error):
                raise ExchangeRefused(
                    "malformed", "a material is not base64url", 400, incoming.peer
                ) from None
            if len(data) > max_bytes:
                raise ExchangeRefused(
                    "too-large", "a material is over the size limit", 413, incoming.peer
                )
            if not isinstance(sha, str) or hashlib.sha256(data).hexdigest() != sha:
                raise ExchangeRefused(
                    "material-hash-mismatch",
                    "a material's bytes do not match its SHA-256",
                    422,
                    incoming.peer,
                    detail={"sha256": str(sha)[:64]},
                )
            checked.append((sha, data))
        for sha, data in checked:  # only once every one of them holds
            desk.store.put(data, sha256=sha)
        return Reply(
            claims={"stored": [sha for sha, _ in checked]},
            detail={"stored": len(checked), "bytes": sum(len(d) for _, d in checked)},
        )

    return _answer(web, protocol.MATERIALS, body.request, handle, [])
