"""Appending to the audit log and verifying it.

Each record's hash covers its fields and the previous record's hash, so a
change, a deletion or a reordering anywhere breaks the chain from that point;
each record is also signed (a compact JWS over its sequence number and hash)
with the node's key, so nobody without the key can rebuild a consistent
chain after tampering. Deleting records from the end leaves a valid but
shorter chain; the head file (``audit.head``, the last sequence number and
hash, written after every append) catches that.

Nothing personal is stored in clear: actors are usernames, masked IDs or
pairwise identifiers, and every string passes through
:func:`standards.masking.redact_identifiers` before it is hashed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from delta.db import transaction
from interregion.audit.flood import Folding, current_mark
from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from signing.errors import SigningError
from signing.jws import parse_json_object, sign_jws, verify_jws
from signing.keys import Purpose, SigningKey
from signing.keystore import write_atomic
from signing.truststore import KeySource
from standards.masking import redact_identifiers

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AUDIT_TYP = "delta-audit-record+jws"
_APPEND_ATTEMPTS = 8


def _clean(value: Any) -> Any:
    """JSON-safe, and with every ID-shaped number masked."""
    if isinstance(value, str):
        return redact_identifiers(value)[:500]
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return redact_identifiers(str(value))[:500]


def record_fields(record: AuditRecord) -> dict[str, Any]:
    """Exactly what the hash covers (everything but the hash and the signature)."""
    return {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "event": record.event,
        "outcome": record.outcome,
        "reason": record.reason,
        "actor": record.actor,
        "peer": record.peer,
        "detail": record.detail,
        "prev_hash": record.prev_hash,
    }


def record_hash(fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _signature_payload(seq: int, digest: str) -> bytes:
    return json.dumps({"seq": seq, "sha256": digest}, separators=(",", ":")).encode("ascii")


class AuditLog:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        signing_key: Callable[[], SigningKey],
        head_path: Path,
        fold_window: timedelta = timedelta(0),
    ) -> None:
        self._sessions = sessions
        self._signing_key = signing_key
        self._head_path = head_path
        # One appender at a time in this process; other processes are kept apart by the
        # primary key on seq (the loser retries on top of the winner's record).
        self._lock = threading.Lock()
        # Refusals caused by a client's request are folded (interregion/audit/flood.py).
        self.folding = Folding(write=self._write, window=fold_window)

    def append(
        self,
        *,
        event: str,
        outcome: str = "ok",
        reason: str = "",
        actor: str = "",
        peer: str = "",
        detail: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Add one signed record; returns its sequence number.

        A refusal caused by a client's request (see :mod:`interregion.audit.flood`)
        is counted against that client and folded with identical ones: the number
        returned is then that of the first record of its series.
        """
        moment = now or utcnow()
        fields: dict[str, Any] = {
            "event": event, "outcome": outcome, "reason": reason, "actor": actor, "peer": peer,
            "detail": dict(detail or {}),
        }  # fmt: skip
        mark = current_mark()
        if mark is not None and outcome == "refused":
            mark.refused += 1
            fields["detail"]["client"] = mark.client
            return self.folding.refused(fields, moment)
        return self._write(**fields, now=moment)

    def close(self) -> None:
        """Write every pending folded count (the node is stopping)."""
        self.folding.close()

    def _write(
        self,
        *,
        event: str,
        outcome: str,
        reason: str,
        actor: str,
        peer: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> int:
        with self._lock:
            for _ in range(_APPEND_ATTEMPTS):
                try:
                    return self._append_once(
                        event=event, outcome=outcome, reason=reason, actor=actor, peer=peer,
                        detail=detail, now=now,
                    )  # fmt: skip
                except IntegrityError:
                    continue
        raise RuntimeError("could not append to the audit log (constant contention)")

    def _append_once(
        self,
        *,
        event: str,
        outcome: str,
        reason: str,
        actor: str,
        peer: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> int:
        with transaction(self._sessions) as session:
            last = session.scalars(
                select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)
            ).first()
            record = AuditRecord(
                seq=last.seq + 1 if last else 1,
                at=now,
                event=event[:64],
                outcome=outcome[:16],
                reason=_clean(reason)[:64],
                actor=_clean(actor)[:200],
                peer=_clean(peer),
                detail=_clean(detail),
                prev_hash=last.hash if last else GENESIS,
            )
            record.hash = record_hash(record_fields(record))
            record.signature = sign_jws(
                _signature_payload(record.seq, record.hash),
                key=self._signing_key(),
                purpose=Purpose.JWT,
                typ=AUDIT_TYP,
                now=now,
            )
            session.add(record)
            seq, digest = record.seq, record.hash
        try:
            self._advance_head(seq, digest)
        except OSError as error:  # the record is committed; a lagging head only weakens one check
            log.warning("could not write the audit head: %s", type(error).__name__)
        return seq

    def _advance_head(self, seq: int, digest: str) -> None:
        """Move the head to ``seq`` -- only forwards, and only over a chain that still holds it.

        Without the second condition, records deleted from the end would be
        forgotten at the next append: the node would chain on from the last
        record left and overwrite the only evidence. A head whose record is
        gone or changed is therefore left as it is (``delta audit verify``
        keeps naming it) until an operator has looked and moves the file aside.
        The lock keeps this host's processes from moving the head backwards.
        """
        lock_path = self._head_path.with_name(self._head_path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                head = read_head(self._head_path)
            except (ValueError, KeyError, TypeError):
                head = (-1, "")  # unreadable: keep it, as evidence
            if head is not None:
                head_seq, head_hash = head
                if not self._holds(head_seq, head_hash):
                    log.error(
                        "audit chain no longer holds record %d named by %s; head left as is",
                        head_seq,
                        self._head_path.name,
                    )
                    return
                if head_seq >= seq:
                    return  # another process of this node is already further
            write_atomic(self._head_path, json.dumps({"seq": seq, "hash": digest}).encode())

    def _holds(self, seq: int, digest: str) -> bool:
        with transaction(self._sessions) as session:
            record = session.get(AuditRecord, seq)
            return record is not None and record.hash == digest


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    head: str
    first_bad: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}


def read_head(path: Path) -> tuple[int, str] | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    return int(data["seq"]), str(data["hash"])


def verify_chain(  # noqa: PLR0911  (one early return per way a chain can break)
    records: Iterable[AuditRecord],
    *,
    trust: KeySource,
    issuer: str,
    head: tuple[int, str] | None,
) -> ChainReport:
    """Walk the chain in sequence order; report the first record that does not hold."""
    expected_seq, previous, count = 1, GENESIS, 0
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    seen_at_head = GENESIS

    def bad(seq: int, problem: str) -> ChainReport:
        return ChainReport(False, count, previous, first_bad=seq, problem=problem)

    for record in records:
        if record.seq != expected_seq:
            return bad(expected_seq, f"record {expected_seq} is missing (deleted or reordered)")
        if record.prev_hash != previous:
            return bad(record.seq, "does not follow the previous record (deleted or reordered)")
        if record_hash(record_fields(record)) != record.hash:
            return bad(record.seq, "content does not match its hash (changed or reordered)")
        try:
            verified = verify_jws(
                record.signature,
                trust=trust,
                issuer=issuer,
                purpose=Purpose.JWT,
                typ=AUDIT_TYP,
                now=record.at,
            )
            payload = parse_json_object(verified.payload, "audit signature")
        except SigningError as error:
            return bad(record.seq, f"signature refused ({error.reason})")
        if payload != {"seq": record.seq, "sha256": record.hash}:
            return bad(record.seq, "signature covers another record")
        previous, expected_seq, count = record.hash, expected_seq + 1, count + 1
        if record.seq == head_seq:
            seen_at_head = record.hash
    if head_seq > count:
        return bad(count + 1, f"records {count + 1}..{head_seq} were deleted from the end")
    if head_seq and seen_at_head != head_hash:
        return bad(head_seq, "differs from the record the head file names")
    return ChainReport(True, count, previous)
