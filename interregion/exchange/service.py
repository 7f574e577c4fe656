"""The node-bound half: send a request and check the answer (requester), or answer one
(responder); the HTTP hop, rate limits and the audit records on both sides."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.orm import Session

from delta import request_id
from interregion.clock import utcnow
from interregion.exchange.errors import ExchangeRefused
from interregion.exchange.kinds import MessageKind
from interregion.exchange.protocol import (
    Exchanged,
    Incoming,
    issue_request,
    issue_response,
    verify_request,
    verify_response,
)
from signing.errors import SigningError
from signing.federation import Member
from signing.keys import Purpose

if TYPE_CHECKING:
    from interregion.node import Node

_REASON = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_RATE_PER_MINUTE = 1200


@dataclass(frozen=True)
class Reply:
    """A handler's answer: the response claims and what the responder's audit record says."""

    claims: Mapping[str, Any]
    actor: str = ""
    reason: str = ""  # an "ok" answer may still note something (e.g. fields withheld)
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Accepted:
    """What the requester's audit record says about an accepted response."""

    actor: str = ""
    reason: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Incoming, Session], Reply]
Acceptor = Callable[[dict[str, Any]], Accepted]


def bounded_get(client: httpx.Client, url: str, *, max_chars: int) -> str:
    """GET an ASCII document, reading no more than ``max_chars`` of it (ValueError beyond)."""
    with client.stream("GET", url) as response:
        response.raise_for_status()
        raw = bytearray()
        for chunk in response.iter_bytes():
            raw += chunk
            if len(raw) > max_chars:
                raise ValueError("document too large")
    return raw.decode("ascii").strip()


class RateLimiter:
    """Requests per requester and kind in fixed one-minute windows (per node process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def allow(self, kind: str, peer: str, *, now: datetime) -> bool:
        window = int(now.timestamp()) // 60
        with self._lock:
            seen_window, count = self._counts.get((kind, peer), (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[(kind, peer)] = (window, count)
            return count <= self.per_minute


class Exchange:
    """One per node: a pooled HTTP client for calls out, and the responder's checks."""

    def __init__(
        self,
        node: Node,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._node = node
        self.timeout_seconds = timeout_seconds
        self.limiter = RateLimiter(rate_per_minute)
        self._http = self._client(transport)

    def _client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(
            timeout=httpx.Timeout(self.timeout_seconds, connect=min(3.0, self.timeout_seconds)),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": f"delta-node/{self._node.region_code}"},
            event_hooks={"request": [request_id.forward]},  # one ID in both nodes' logs
        )

    def use_transport(self, transport: httpx.BaseTransport) -> None:
        """Send through ``transport`` (tests route calls to in-process apps)."""
        self._http.close()
        self._http = self._client(transport)

    def close(self) -> None:
        self._http.close()

    def fetch(self, url: str, *, max_chars: int) -> str:
        """GET a public document of a peer (a status list) with the same bounds and client."""
        return bounded_get(self._http, url, max_chars=max_chars)

    # -- requester ----------------------------------------------------------------------

    def call(
        self,
        kind: MessageKind,
        *,
        peer_region: str,
        claims: Mapping[str, Any],
        accept: Acceptor | None = None,
        actor: str = "",
        detail: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Exchanged:
        """Send one request, verify the answer, run ``accept`` on its claims, audit; or raise
        :class:`ExchangeRefused` (already audited, ``audit_record`` set)."""
        moment = now or utcnow()
        base = {"kind": kind.name, **(detail or {})}
        try:
            exchanged = self._round_trip(kind, peer_region, claims, moment)
            note = accept(exchanged.claims) if accept is not None else Accepted()
        except ExchangeRefused as refusal:
            refusal.peer = refusal.peer or peer_region
            extra = {"message": refusal.message, **refusal.detail}
            if refusal.peer_audit_record is not None:
                extra["peer_audit_record"] = refusal.peer_audit_record
            refusal.audit_record = self._node.audit.append(
                event=kind.event("refused"), outcome="refused", reason=refusal.reason,
                actor=actor, peer=refusal.peer, detail={**base, "side": "requester", **extra},
                now=moment,
            )  # fmt: skip
            raise
        seq = self._node.audit.append(
            event=kind.event("accepted"), reason=note.reason, actor=note.actor or actor,
            peer=peer_region,
            detail={**base, "jti": exchanged.claims.get("in_response_to"),
                    "request_sha256": exchanged.request_sha256, **note.detail},
            now=moment,
        )  # fmt: skip
        return replace(exchanged, audit_record=seq)

    def _peer(self, kind: MessageKind, peer_region: str) -> tuple[Member, Member, str]:
        registry = self._node.federation()
        try:
            responder = registry.member(peer_region)
        except KeyError:
            raise ExchangeRefused(
                "unknown-region", "no federation member for this region", 404
            ) from None
        url = responder.endpoints.get(kind.endpoint)
        if kind.responder_role not in responder.roles or not url:
            raise ExchangeRefused(
                "role-not-allowed", f"{peer_region} does not serve {kind.name}", 404, peer_region
            )
        return registry.member(self._node.region_code), responder, url

    def _round_trip(
        self, kind: MessageKind, peer_region: str, claims: Mapping[str, Any], now: datetime
    ) -> Exchanged:
        requester, responder, url = self._peer(kind, peer_region)
        request = issue_request(
            kind, claims, key=self._node.signing_key(Purpose.JWT), requester=requester,
            responder=responder, now=now,
        )  # fmt: skip
        status, body = self._post(kind, url, request, peer_region)
        if status != 200:
            raise self._peer_refusal(body, status, peer_region)
        verified = verify_response(
            kind, body.get("response"), request=request, requester=requester,  # type: ignore[arg-type]
            responder=responder, trust=self._node.registry,
            replay_cache=self._node.replay_cache, now=utcnow(),
        )  # fmt: skip
        return Exchanged(kind, peer_region, request, verified["request_sha256"],
                         body["response"], verified)  # fmt: skip

    def _post(
        self, kind: MessageKind, url: str, request: str, peer: str
    ) -> tuple[int, dict[str, Any]]:
        """POST with a whole-exchange deadline and a cap on what we read back."""
        deadline = time.monotonic() + self.timeout_seconds
        limit = kind.max_response_chars + 1024
        try:
            with self._http.stream("POST", url, json={"request": request}) as response:
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) > limit:
                        raise ExchangeRefused("too-large", "the answer is too large", 502, peer)
                    if time.monotonic() > deadline:
                        raise ExchangeRefused("peer-timeout", "the peer answered too slowly",
                                              504, peer)  # fmt: skip
                status = response.status_code
        except httpx.TimeoutException:
            raise ExchangeRefused(
                "peer-timeout", "the peer did not answer in time", 504, peer
            ) from None
        except httpx.HTTPError:
            raise ExchangeRefused(
                "peer-unreachable", "the peer did not answer", 502, peer
            ) from None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        return status, body if isinstance(body, dict) else {}

    @staticmethod
    def _peer_refusal(body: dict[str, Any], status: int, peer: str) -> ExchangeRefused:
        reason = body.get("reason")
        if not isinstance(reason, str) or not _REASON.match(reason):
            reason = "refused-by-peer"
        seq = body.get("audit_record")
        return ExchangeRefused(
            reason,
            "the peer refused the request",
            429 if status == 429 else 403,
            peer,
            peer_audit_record=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        )

    # -- responder ----------------------------------------------------------------------

    def answer(
        self, kind: MessageKind, token: Any, handler: Handler, *, now: datetime | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Check a request, let ``handler`` answer it in one transaction, sign the response.

        Returns (HTTP status, JSON body); every outcome is audited first.
        """
        moment = now or utcnow()
        node = self._node
        incoming: Incoming | None = None
        try:
            incoming = verify_request(
                kind, token, registry=node.federation(), trust=node.registry,
                responder=node.member(), replay_cache=node.replay_cache, now=moment,
            )  # fmt: skip
            if not self.limiter.allow(kind.name, incoming.peer, now=moment):
                raise ExchangeRefused("rate-limited", "too many requests", 429, incoming.peer)
            with node.transaction() as session:
                reply = handler(incoming, session)
                response = issue_response(
                    kind, reply.claims, key=node.signing_key(Purpose.JWT), incoming=incoming,
                    responder=node.member(), now=moment,
                )  # fmt: skip
        except ExchangeRefused as refusal:
            detail = {"kind": kind.name, "side": "responder", "message": refusal.message,
                      **refusal.detail}  # fmt: skip
            if incoming is not None:
                detail.update(jti=incoming.jti, request_sha256=incoming.sha256)
            refusal.audit_record = node.audit.append(
                event=kind.event("refused"), outcome="refused", reason=refusal.reason,
                peer=refusal.peer, detail=detail, now=moment,
            )  # fmt: skip
            return refusal.status, {
                "type": "about:blank",
                "title": "Refused",
                "status": refusal.status,
                "detail": refusal.message,
                **refusal.problem_fields(),
            }
        except SigningError as error:  # our own registry or key is unusable right now
            return 503, {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": f"federation: {error.reason}",
                "reason": error.reason,
            }
        seq = node.audit.append(
            event=kind.event("answered"), reason=reply.reason, actor=reply.actor,
            peer=incoming.peer,
            detail={"kind": kind.name, "jti": incoming.jti, "request_sha256": incoming.sha256,
                    **reply.detail},
            now=moment,
        )  # fmt: skip
        return 200, {"response": response, "audit_record": seq}
