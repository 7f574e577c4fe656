"""Case messages on the exchange (:mod:`interregion.exchange`): kinds, envelopes, receipts.

Every case message is its own signed JWT (a JWS over the message: kind,
idempotency key ``mid``, case number, per-case ``seq`` and the data, e.g.
the manifest with the materials' SHA-256), issued afresh for each delivery
attempt with the exchange's :func:`issue_request`, so a retry is a new
token with the same ``mid`` while a replayed token is refused by its
``jti``. Messages travel in batches: one exchange request carries up to
``case_delivery_batch`` of them, and the signed response carries a receipt
per message with the SHA-256 of that message's token (and, as every
exchange response, the hash of the whole request).

Three kinds, so the registry's roles say who may send what:

* ``case-submission``: accepting window (role ``case-window``) to deciding
  region (``case-decider``): new cases and 补正 materials' manifests;
* ``case-status``: deciding region to accepting window: 受理, 补正, 办结, 不予受理;
* ``case-materials``: the materials' bytes, before the manifests that name them.
  Every token of the exchange is at most 64 KiB (``signing.jws``), so the
  bytes travel beside the signed request, in the same multipart POST: the
  request lists each material's SHA-256 and size, the receiver stores only
  bytes that match, and the manifest's receipt later confirms them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from interregion.exchange import MessageKind
from signing.jwt import WINDOW_CASE

MIB = 1024 * 1024
# Every JWS is at most 64 KiB (signing.jws.MAX_TOKEN_CHARS); a batch's messages, which travel
# base64url-encoded once more inside it, get this much of it.
MAX_TOKEN_CHARS = 64 * 1024
BATCH_BUDGET_CHARS = 44 * 1024
MAX_MESSAGE_CHARS = BATCH_BUDGET_CHARS
MESSAGE_LIFETIME = timedelta(minutes=5)

SUBMISSION = MessageKind(
    name="case-submission",
    request_typ="window-case-batch+jwt",
    response_typ="window-case-receipts+jwt",
    endpoint="case_submission",
    requester_role="case-window",
    responder_role="case-decider",
    max_request_chars=MAX_TOKEN_CHARS,
)
STATUS = MessageKind(
    name="case-status",
    request_typ="window-case-status-batch+jwt",
    response_typ="window-case-status-receipts+jwt",
    endpoint="case_status",
    requester_role="case-decider",
    responder_role="case-window",
    max_request_chars=MAX_TOKEN_CHARS,
)
MATERIALS = MessageKind(
    name="case-materials",
    request_typ="window-case-materials+jwt",
    response_typ="window-case-materials-stored+jwt",
    endpoint="case_materials",
    requester_role="case-window",
    responder_role="case-decider",
    request_lifetime=timedelta(minutes=5),
)

# A region's signed matter list (the list is a JWS of its own inside the answer).
MATTERS = MessageKind(
    name="case-matters",
    request_typ="window-case-matters-request+jwt",
    response_typ="window-case-matters+jwt",
    endpoint="case_matters",
    requester_role="case-window",
    responder_role="case-decider",
    max_response_chars=MAX_TOKEN_CHARS,
)

# One message inside a batch; verified with the same protocol functions as the batch.
CASE_MESSAGE = MessageKind(
    name="case-message",
    request_typ=WINDOW_CASE,
    response_typ="window-case-receipt+jwt",
    endpoint="case_submission",
    requester_role="case-window",
    responder_role="case-decider",
    request_lifetime=MESSAGE_LIFETIME,
    max_request_chars=MAX_MESSAGE_CHARS,
)
STATUS_MESSAGE = MessageKind(
    name="case-status-message",
    request_typ="window-case-status+jwt",
    response_typ="window-case-status-receipt+jwt",
    endpoint="case_status",
    requester_role="case-decider",
    responder_role="case-window",
    request_lifetime=MESSAGE_LIFETIME,
    max_request_chars=MAX_MESSAGE_CHARS,
)

# The batch kind and the message kind for each direction.
KINDS: dict[str, tuple[MessageKind, MessageKind]] = {
    "to-decider": (SUBMISSION, CASE_MESSAGE),
    "to-window": (STATUS, STATUS_MESSAGE),
}


def message_claims(
    *, kind: str, mid: str, case: str, seq: int, data: dict[str, Any]
) -> dict[str, Any]:
    return {"kind": kind, "mid": mid, "case": case, "seq": seq, "data": data}


@dataclass(frozen=True)
class Receipt:
    """One message's outcome in the responder's signed answer."""

    mid: str
    case: str
    seq: int
    request_sha256: str  # of this message's own token
    status: str  # applied | duplicate | refused
    reason: str = ""
    message: str = ""
    retry: bool = False

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mid": self.mid,
            "case": self.case,
            "seq": self.seq,
            "request_sha256": self.request_sha256,
            "status": self.status,
        }
        if self.status == "refused":
            body.update(reason=self.reason, message=self.message, retry=self.retry)
        return body

    @classmethod
    def from_json(cls, data: Any) -> Receipt | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                mid=str(data["mid"]),
                case=str(data["case"]),
                seq=int(data["seq"]),
                request_sha256=str(data["request_sha256"]),
                status=str(data["status"]),
                reason=str(data.get("reason", "")),
                message=str(data.get("message", ""))[:300],
                retry=bool(data.get("retry", False)),
            )
        except (KeyError, TypeError, ValueError):
            return None
