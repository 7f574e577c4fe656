"""The node's status lists: random, never reused indexes, and the signed list it publishes.

One list per purpose (revocation, suspension). It starts at 131,072 entries
and doubles before it is half full, so a random free index is found in two
tries on average and a list never reveals how many licences exist to the
bit. Indexes are rows with a primary key on (purpose, index) that are never
deleted: a revoked licence keeps its bit, and the database refuses to hand
the same index out twice. Every status change bumps the list's revision; the
signed list credential is rebuilt only when the revision moved or the signed
copy is getting old, so fetching it is cheap.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interregion.licences.credentials import PURPOSES, sign_credential, status_list_claims
from interregion.licences.models import Licence, StatusAllocation, StatusListState
from signing.keys import Purpose
from standards.status_list import MIN_ENTRIES, encode_indexes

if TYPE_CHECKING:
    from interregion.node import Node

_random = secrets.SystemRandom()
_ATTEMPTS = 64
# Which stored status sets the bit of each list.
STATUS_OF_PURPOSE = {"revocation": "revoked", "suspension": "suspended"}


def _state(session: Session, purpose: str) -> StatusListState:
    state = session.get(StatusListState, purpose, with_for_update=True)
    if state is None:
        state = StatusListState(purpose=purpose, size=MIN_ENTRIES, allocated=0, revision=0)
        session.add(state)
        session.flush()
    return state


def allocate(session: Session, *, purpose: str, licence_id: str, now: datetime) -> int:
    """A random index never handed out before (the primary key guarantees it)."""
    state = _state(session, purpose)
    if (state.allocated + 1) * 2 > state.size:
        state.size *= 2
        state.revision += 1
    for _ in range(_ATTEMPTS):
        index = _random.randrange(state.size)
        try:
            with session.begin_nested():
                session.add(
                    StatusAllocation(
                        purpose=purpose, index=index, licence_id=licence_id, allocated_at=now
                    )
                )
        except IntegrityError:
            continue
        state.allocated += 1
        return index
    raise RuntimeError(f"no free {purpose} index after {_ATTEMPTS} tries")


def changed(session: Session, *purposes: str) -> None:
    """A status changed: the lists of these purposes must be signed again."""
    for purpose in purposes:
        _state(session, purpose).revision += 1


def set_bits(session: Session, purpose: str) -> list[int]:
    column = Licence.revocation_index if purpose == "revocation" else Licence.suspension_index
    query = select(column).where(Licence.status == STATUS_OF_PURPOSE[purpose])
    return list(session.scalars(query))


@dataclass(frozen=True)
class Published:
    purpose: str
    revision: int
    size: int
    token: str
    etag: str
    signed_at: datetime


class StatusLists:
    """The signed list credentials this node serves (one cached copy per purpose)."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._cache: dict[str, Published] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self._node.settings.licence_status_ttl_seconds)

    def current(self, purpose: str, *, now: datetime) -> Published:
        if purpose not in PURPOSES:
            raise KeyError(purpose)
        with self._node.transaction() as session:
            state = _state(session, purpose)
            revision, size = state.revision, state.size
        cached = self._cache.get(purpose)
        if (
            cached is not None
            and (cached.revision, cached.size) == (revision, size)
            and now - cached.signed_at < self.ttl
        ):
            return cached
        with self._lock:
            with self._node.transaction() as session:
                state = _state(session, purpose)
                revision, size = state.revision, state.size
                indexes = set_bits(session, purpose)
            claims = status_list_claims(
                member=self._node.member(), purpose=purpose,
                encoded=encode_indexes(indexes, size=size), now=now,
                valid_for=2 * self.ttl, ttl=self.ttl,
            )  # fmt: skip
            token = sign_credential(claims, key=self._node.signing_key(Purpose.JWT), now=now)
            etag = '"' + hashlib.sha256(token.encode("ascii")).hexdigest()[:32] + '"'
            published = Published(purpose, revision, size, token, etag, now)
            self._cache[purpose] = published
            return published
