"""Replay caches for ``jti``: remember every accepted token until it expires.

One protocol, storage-agnostic: :class:`MemoryReplayCache` (one process,
bounded) and :class:`RedisReplayCache` (``SET key NX EX`` on a client the
caller passes in) live here; a cache in a database belongs to the owner of
that database (the node's is :class:`interregion.replay.SqlReplayCache`), so
this package imports no database library. All fail closed:
when they cannot record a token they raise
:class:`~signing.errors.ReplayCacheUnavailable` and the token is refused.
Entries are keyed by a SHA-256 of issuer and ``jti``, so keys have a fixed
size and contain nothing personal.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
from datetime import datetime
from typing import Any, Protocol

from signing.errors import ReplayCacheUnavailable
from signing.keys import as_utc


def replay_key(issuer: str, jti: str) -> str:
    return hashlib.sha256(f"{issuer}\x1f{jti}".encode()).hexdigest()


class ReplayCache(Protocol):
    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record ``key`` until ``expires_at``; False if it was already recorded and live."""
        ...


class MemoryReplayCache:
    """Process-local, thread-safe, bounded; expired entries are dropped as time passes.

    When full of live entries it refuses new tokens instead of forgetting old
    ones, because forgetting a live entry would reopen its replay window.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self._max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            expires, key = heapq.heappop(self._by_expiry)
            if self._expiry.get(key) == expires:
                del self._expiry[key]

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        moment, expires = as_utc(now).timestamp(), as_utc(expires_at).timestamp()
        with self._lock:
            self._purge(moment)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max_entries:
                raise ReplayCacheUnavailable("replay cache is full of live entries")
            self._expiry[key] = expires
            heapq.heappush(self._by_expiry, (expires, key))
            return True


class RedisReplayCache:
    """Shared by every process that talks to the same Redis; atomic via ``SET NX EX``."""

    def __init__(self, client: Any, *, prefix: str = "delta:signing:jti:") -> None:
        self._client = client
        self._prefix = prefix

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        ttl = max(1, math.ceil((as_utc(expires_at) - as_utc(now)).total_seconds()))
        try:
            created = self._client.set(self._prefix + key, b"1", nx=True, ex=ttl)
        except Exception as error:  # redis raises many kinds; all mean "cannot record"
            raise ReplayCacheUnavailable(f"redis: {type(error).__name__}") from error
        return bool(created)
