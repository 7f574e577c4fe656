"""The delivery worker: one thread per node process that empties the outbox.

Each round it claims the due messages (per case in order), pushes the
materials they name, sends the messages in signed batches over the
exchange, and records each receipt -- or schedules a retry with backoff and
jitter. A peer that is down simply gets retried until it is back (hours
later, everything still queued arrives, in order); supervisors see messages
older than ``case_stuck_after_seconds``. The same loop hands the
applicants' notifications to the notifier.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from interregion.cases import outbox, protocol
from interregion.cases.intake import SUBMIT
from interregion.cases.models import Case, CaseEvent, OutboxMessage
from interregion.cases.notify import Notice, Notifier
from interregion.cases.protocol import Receipt
from interregion.cases.store import MaterialStore
from interregion.clock import utcnow
from interregion.exchange import (
    ExchangeRefused,
    MessageKind,
    issue_request,
    request_sha256,
    verify_response,
)
from signing.errors import SigningError
from signing.keys import Purpose

if TYPE_CHECKING:
    from interregion.node import Node

log = logging.getLogger(__name__)
NOTICES_PER_ROUND = 200
MATERIALS_PER_REQUEST = 100


@dataclass
class RoundReport:
    delivered: int = 0
    retried: int = 0
    notified: int = 0


class DeliveryWorker:
    def __init__(self, node: Node, *, store: MaterialStore, notifier: Notifier) -> None:
        self.node = node
        self.store = store
        self.notifier = notifier
        settings = node.settings
        self.poll = settings.case_delivery_poll_seconds
        self.batch = max(1, settings.case_delivery_batch)
        self.base = settings.case_retry_base_seconds
        self.cap = settings.case_retry_max_seconds
        self.lease = timedelta(seconds=settings.case_delivery_lease_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Materials travel beside the exchange's tokens (multipart), on a client of their own.
        self.http = httpx.Client(
            timeout=settings.node_exchange_timeout_seconds, follow_redirects=False
        )
        # Wake right after any commit that enqueued a message (no waiting for the poll).
        event.listen(node.sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(outbox.WAKE, False):
            self._wake.set()

    def use_transport(self, transport: httpx.BaseTransport) -> None:
        """Send materials through ``transport`` (tests route calls to in-process apps)."""
        self.http.close()
        self.http = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=self.node.settings.node_exchange_timeout_seconds,
        )

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"case-delivery-{self.node.region_code}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            try:
                report = self.run_once()
            except Exception:  # a failed round must never stop deliveries for good
                log.exception("case delivery round failed")
                continue
            if report.delivered or report.notified:
                self._wake.set()  # there may be more right behind

    # -- one round ----------------------------------------------------------------------------

    def run_once(self, *, now: datetime | None = None) -> RoundReport:
        report = RoundReport()
        moment = now or utcnow()
        with self.node.transaction() as session:
            due = outbox.claim_due(session, now=moment, limit=self.batch * 4, lease=self.lease)
            work = {peer: [_Pending.of(m) for m in messages] for peer, messages in due.items()}
        for peer, messages in work.items():
            self._deliver(peer, messages, report)
        report.notified = self._notify()
        return report

    def _deliver(self, peer: str, messages: list[_Pending], report: RoundReport) -> None:
        ready, stalled, error = self._push_materials(peer, messages)
        if stalled:
            self._retry([m.id for m in stalled], f"materials: {error}", report)
        for group in _by_direction(ready):
            self._send(peer, group, report)

    def _push_materials(
        self, peer: str, messages: list[_Pending]
    ) -> tuple[list[_Pending], list[_Pending], str]:
        """Send the bytes the messages name, a few messages' worth per request.

        Returns the messages whose materials are all at the peer now, those whose are not
        (and must wait, with each case's later messages), and why.
        """
        limit = self.node.settings.case_max_material_bytes
        ready: list[_Pending] = []
        chunk: list[_Pending] = []
        files: dict[str, bytes] = {}
        for message in messages:
            if not message.materials:
                ready.append(message)
                continue
            needed = {sha: self.store.read(sha) for sha in message.materials if sha not in files}
            too_many = len(files) + len(needed) > MATERIALS_PER_REQUEST
            if chunk and (
                too_many or sum(map(len, files.values())) + sum(map(len, needed.values())) > limit
            ):
                error = self._flush(peer, chunk, files)
                if error:
                    return ready, _from(messages, chunk[0]), error
                ready.extend(chunk)
                chunk, files = [], {}
            chunk.append(message)
            files.update(needed)
        if chunk:
            error = self._flush(peer, chunk, files)
            if error:
                return ready, _from(messages, chunk[0]), error
            ready.extend(chunk)
        # Keep each case's run in order: a message never goes ahead of an earlier one.
        order = {m.id: index for index, m in enumerate(messages)}
        return sorted(ready, key=lambda m: order[m.id]), [], ""

    def _flush(self, peer: str, chunk: list[_Pending], files: dict[str, bytes]) -> str:
        try:
            self._send_materials(peer, list(files.items()))
        except ExchangeRefused as refusal:
            return refusal.reason
        with self.node.transaction() as session:
            for message in chunk:
                row = session.get(OutboxMessage, message.id)
                if row is not None:
                    row.materials = []  # pushed: a retry of the message need not send them again
        return ""

    def _send_materials(self, peer: str, batch: list[tuple[str, bytes]]) -> None:
        """One multipart POST: the signed request listing the hashes, and the bytes beside it."""
        node, now = self.node, utcnow()
        kind = protocol.MATERIALS
        try:
            federation = node.federation()
            own, responder = federation.member(node.region_code), federation.member(peer)
            url = responder.endpoints[kind.endpoint]
        except (SigningError, KeyError):
            raise ExchangeRefused(
                "unknown-region", "no endpoint for materials", 404, peer
            ) from None
        listed = [{"sha256": sha, "size": len(data)} for sha, data in batch]
        token = issue_request(
            kind,
            {"materials": listed},
            key=node.signing_key(Purpose.JWT),
            requester=own,
            responder=responder,
            now=now,
        )
        files = [("material", (sha, data, "application/octet-stream")) for sha, data in batch]
        try:
            answer = self.http.post(url, data={"request": token}, files=files)
            body = answer.json() if answer.content else {}
        except (httpx.HTTPError, ValueError):
            raise ExchangeRefused(
                "peer-unreachable", "the peer did not answer", 502, peer
            ) from None
        if answer.status_code != 200 or not isinstance(body, dict):
            reason = body.get("reason") if isinstance(body, dict) else None
            refusal = ExchangeRefused(
                str(reason or "refused-by-peer")[:64], "the peer refused the materials", 403, peer
            )
            node.audit.append(
                event=kind.event("refused"),
                outcome="refused",
                reason=refusal.reason,
                peer=peer,
                detail={"kind": kind.name, "side": "requester", "materials": len(batch)},
            )
            raise refusal
        response = body.get("response")
        if not isinstance(response, str):
            raise ExchangeRefused("malformed", "the peer sent no receipt", 502, peer)
        verify_response(
            kind,
            response,
            request=token,
            requester=own,
            responder=responder,
            trust=node.registry,
            replay_cache=node.replay_cache,
            now=utcnow(),
        )

    def _send(self, peer: str, messages: list[_Pending], report: RoundReport) -> None:
        """Sign each message, then send them in batches that fit one token of the exchange."""
        direction = messages[0].direction
        batch_kind, message_kind = protocol.KINDS[direction]
        node, now = self.node, utcnow()
        try:
            federation = node.federation()
            own, responder = federation.member(node.region_code), federation.member(peer)
            key = node.signing_key(Purpose.JWT)
        except (SigningError, KeyError) as error:
            self._retry([m.id for m in messages], f"federation: {error}", report)
            return
        batch: list[tuple[_Pending, str]] = []
        size = 0
        for message in messages:
            token = issue_request(
                message_kind, message.claims(), key=key, requester=own, responder=responder, now=now
            )
            if len(token) > protocol.MAX_MESSAGE_CHARS:
                self._retry([message.id], "the message is too large for the exchange", report)
                continue
            if batch and (
                size + len(token) > protocol.BATCH_BUDGET_CHARS or len(batch) >= self.batch
            ):
                self._send_batch(peer, batch_kind, batch, report)
                batch, size = [], 0
            batch.append((message, token))
            size += len(token) + 3
        if batch:
            self._send_batch(peer, batch_kind, batch, report)

    def _send_batch(
        self, peer: str, kind: MessageKind, batch: list[tuple[_Pending, str]], report: RoundReport
    ) -> None:
        messages = [m for m, _ in batch]
        tokens = {m.id: token for m, token in batch}
        try:
            exchanged = self.node.exchange.call(
                kind,
                peer_region=peer,
                claims={"messages": list(tokens.values())},
                detail={"messages": len(tokens), "cases": len({m.case for m in messages})},
            )
        except ExchangeRefused as refusal:
            self._retry([m.id for m in messages], f"{refusal.reason}", report)
            return
        receipts = {
            r.mid: r
            for r in map(Receipt.from_json, exchanged.claims.get("receipts") or [])
            if r is not None
        }
        self._record(messages, tokens, receipts, exchanged.response, report)

    def _record(
        self,
        messages: list[_Pending],
        tokens: dict[str, str],
        receipts: dict[str, Receipt],
        response: str,
        report: RoundReport,
    ) -> None:
        refused: list[tuple[_Pending, Receipt]] = []
        retry: list[tuple[str, str]] = []
        now = utcnow()
        with self.node.transaction() as session:
            for message in messages:
                receipt = receipts.get(message.id)
                expected = request_sha256(tokens[message.id])
                if receipt is None or receipt.request_sha256 != expected:
                    retry.append((message.id, "no receipt for this message"))
                    continue
                if receipt.status in ("applied", "duplicate"):
                    outbox.mark_delivered(
                        session,
                        message_id=message.id,
                        receipt=response,
                        request_hash=expected,
                        now=now,
                    )
                    if message.kind == SUBMIT:
                        case = session.get(Case, message.case)
                        if case is not None and case.delivered_at is None:
                            case.delivered_at = now
                    report.delivered += 1
                    continue
                retry.append((message.id, f"{receipt.reason}: {receipt.message}"))
                if not receipt.retry:
                    refused.append((message, receipt))
            for message_id, error in retry:
                outbox.schedule_retry(
                    session,
                    message_ids=[message_id],
                    error=error,
                    now=now,
                    base=self.base,
                    cap=self.cap,
                )
        report.retried += len(retry)
        for message, receipt in refused:  # the peer said no for good: visible, and audited here
            self.node.audit.append(
                event="case.message-refused",
                outcome="refused",
                reason=receipt.reason,
                peer=message.peer,
                detail={
                    "case": message.case,
                    "seq": message.seq,
                    "kind": message.kind,
                    "mid": message.id,
                    "side": "sender",
                    "message": receipt.message,
                },
            )

    def _retry(self, message_ids: list[str], error: str, report: RoundReport) -> None:
        with self.node.transaction() as session:
            outbox.schedule_retry(
                session,
                message_ids=message_ids,
                error=error,
                now=utcnow(),
                base=self.base,
                cap=self.cap,
            )
        report.retried += len(message_ids)

    # -- notifications ------------------------------------------------------------------------

    def _notify(self) -> int:
        with self.node.transaction() as session:
            rows = list(
                session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.notify.is_(True), CaseEvent.notified_at.is_(None))
                    .order_by(CaseEvent.id)
                    .limit(NOTICES_PER_ROUND)
                )
            )
            cases = {n: session.get(Case, n) for n in {r.case_number for r in rows}}
            notices = [
                Notice.of(row, case, base_url=self.node.member().base_url)
                for row in rows
                if (case := cases.get(row.case_number)) is not None
            ]
        sent = []
        for notice, row in zip(notices, rows, strict=False):
            try:
                self.notifier.notify(notice)
            except Exception:  # one failing channel must not hold the others back
                log.exception("notifier failed for case %s", notice.case_number)
                continue
            sent.append(row.id)
        if sent:
            now = utcnow()
            with self.node.transaction() as session:
                for row_id in sent:
                    done = session.get(CaseEvent, row_id)
                    if done is not None:
                        done.notified_at = now
        return len(sent)


@dataclass(frozen=True)
class _Pending:
    """What a round needs of an outbox row, detached from its session."""

    id: str
    peer: str
    case: str
    seq: int
    kind: str
    body: dict[str, Any]
    materials: tuple[str, ...]

    @classmethod
    def of(cls, row: OutboxMessage) -> _Pending:
        return cls(
            row.id,
            row.peer,
            row.case_number,
            row.seq,
            row.kind,
            dict(row.body),
            tuple(row.materials or ()),
        )

    @property
    def direction(self) -> str:
        return (
            "to-decider"
            if self.kind.startswith(("case.submitted", "case.supplemented"))
            else "to-window"
        )

    def claims(self) -> dict[str, Any]:
        return protocol.message_claims(
            kind=self.kind, mid=self.id, case=self.case, seq=self.seq, data=self.body
        )


def _from(messages: list[_Pending], first: _Pending) -> list[_Pending]:
    """``first`` and every message after it: what waits when a materials request fails."""
    return messages[messages.index(first) :]


def _by_direction(items: list[_Pending]) -> Iterable[list[_Pending]]:
    """The messages of one direction together, each case's run kept in order."""
    groups: dict[str, list[_Pending]] = {}
    for item in items:
        groups.setdefault(item.direction, []).append(item)
    return groups.values()
