"""A node's live view of the federation registry.

The client pins the authority key(s), fetches the signed registry through a
callable the node provides (HTTP with httpx, a file, a test double), verifies
it, refuses rollbacks, refreshes on a schedule, and keeps the last good copy
-- on disk too, if given a path -- for at most ``max_age`` after the
authority signed it. Verifiers use the client directly as their
:class:`~signing.truststore.KeySource`; each refresh swaps in a new immutable
:class:`~signing.truststore.TrustStore` in one assignment, so a verification
never sees half a registry.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from signing.errors import (
    ConfigurationError,
    RegistryRollback,
    RegistryStale,
    RegistryUnavailable,
    SigningError,
)
from signing.federation import FederationRegistry, verify_registry
from signing.keys import Purpose, TrustedKey, as_utc, utcnow
from signing.truststore import TrustStore

log = logging.getLogger("signing.registry")

Fetch = Callable[[], str]


@dataclass(frozen=True)
class _GoodCopy:
    registry: FederationRegistry
    token: str
    trust_store: TrustStore


def _payload_segment(token: str) -> str:
    return token.split(".")[1]


class RegistryClient:
    def __init__(
        self,
        fetch: Fetch,
        *,
        authority_keys: Sequence[TrustedKey],
        authority: str,
        federation: str,
        refresh_interval: timedelta = timedelta(minutes=5),
        retry_interval: timedelta = timedelta(seconds=30),
        max_age: timedelta = timedelta(hours=24),
        cache_path: Path | None = None,
        min_serial: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        for key in authority_keys:
            if key.issuer != authority or Purpose.REGISTRY not in key.purposes:
                raise ConfigurationError(
                    f"pinned key {key.kid} is not a registry key of {authority}"
                )
        if not authority_keys:
            raise ConfigurationError("pin at least one authority key")
        self._fetch = fetch
        self._pinned = TrustStore(authority_keys)
        self._authority = authority
        self._federation = federation
        self._refresh_interval = refresh_interval
        self._retry_interval = retry_interval
        self._max_age = max_age
        self._cache_path = cache_path
        self._min_serial = min_serial
        self._clock = clock
        self._copy: _GoodCopy | None = None
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_attempt: datetime | None = None
        self.last_success: datetime | None = None
        self.last_error: SigningError | None = None
        self._load_cached_copy()

    # -- reading ------------------------------------------------------------------------

    def registry(self) -> FederationRegistry:
        return self._fresh_copy().registry

    def trust_store(self) -> TrustStore:
        return self._fresh_copy().trust_store

    def keys_for(self, *, issuer: str, purpose: str) -> tuple[TrustedKey, ...]:
        return self._fresh_copy().trust_store.keys_for(issuer=issuer, purpose=purpose)

    def _fresh_copy(self) -> _GoodCopy:
        copy = self._copy
        if copy is None:
            raise RegistryUnavailable("no verified federation registry yet")
        if as_utc(self._clock()) - copy.registry.issued_at > self._max_age:
            # Fail closed: an attacker who cuts us off must not keep old keys alive forever.
            raise RegistryStale(
                f"registry serial {copy.registry.serial} is older than {self._max_age}"
            )
        return copy

    # -- refreshing ---------------------------------------------------------------------

    def refresh(self) -> bool:
        """Fetch and verify now; True if a newer registry was installed. Raises on failure."""
        with self._refresh_lock:
            now = as_utc(self._clock())
            self.last_attempt = now
            try:
                token = self._fetch()
            except Exception as error:  # the node's fetch may raise anything (httpx, OSError)
                failure = RegistryUnavailable(f"fetch failed: {type(error).__name__}")
                self.last_error = failure
                raise failure from error
            try:
                changed = self._install(token, now=now)
            except SigningError as error:
                self.last_error = error
                raise
            self.last_success, self.last_error = now, None
            return changed

    def refresh_if_due(self) -> None:
        """Refresh when the interval (or, after a failure, the retry interval) has passed."""
        now = as_utc(self._clock())
        wait = self._retry_interval if self.last_error is not None else self._refresh_interval
        if (
            self._copy is not None
            and self.last_attempt is not None
            and now - self.last_attempt < wait
        ):
            return
        try:
            self.refresh()
        except SigningError as error:
            log.warning("federation registry refresh failed: %s", error.reason)

    def _install(self, token: str, *, now: datetime) -> bool:
        registry = verify_registry(
            token,
            authority_keys=self._pinned,
            authority=self._authority,
            federation=self._federation,
            max_age=self._max_age,
            now=now,
        )
        current = self._copy
        floor = max(self._min_serial, current.registry.serial if current else 0)
        if registry.serial < floor:
            raise RegistryRollback(f"serial {registry.serial} is older than {floor}")
        if current is not None and registry.serial == current.registry.serial:
            if _payload_segment(token) != _payload_segment(current.token):
                raise RegistryRollback(
                    f"a different registry with the same serial {registry.serial}"
                )
            return False
        self._copy = _GoodCopy(registry, token, registry.trust_store())
        self._persist(token)
        log.info("federation registry serial %d installed", registry.serial)
        return True

    # -- last good copy on disk ---------------------------------------------------------

    def _persist(self, token: str) -> None:
        if self._cache_path is None:
            return
        self._cache_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._cache_path.with_suffix(self._cache_path.suffix + ".tmp")
        temporary.write_text(token, encoding="ascii")
        os.replace(temporary, self._cache_path)

    def _load_cached_copy(self) -> None:
        if self._cache_path is None or not self._cache_path.exists():
            return
        try:
            self._install(self._cache_path.read_text(encoding="ascii").strip(), now=self._clock())
        except (SigningError, OSError, UnicodeDecodeError) as error:
            # A cached copy is re-verified like any other; a bad one is ignored, not trusted.
            log.warning("ignoring cached federation registry: %s", type(error).__name__)

    # -- scheduled refresh --------------------------------------------------------------

    def start(self, *, tick: timedelta = timedelta(seconds=1)) -> None:
        """Refresh in a daemon thread, checking every ``tick`` whether one is due."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                self.refresh_if_due()
                self._stop.wait(tick.total_seconds())

        self._thread = threading.Thread(target=run, name="registry-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
