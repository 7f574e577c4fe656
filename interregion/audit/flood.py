"""Keeping the audit log small under a flood of refused requests (issue 10).

Two parts, both per node process (``delta node serve`` runs one process per
node; with several processes each keeps its own counts, so the bounds below
multiply by the number of processes):

* :class:`Folding` -- identical refusals (same event, outcome, reason, actor,
  peer, detail and client) inside one window are one *series*: the first is
  written at once, as before, so every kind of refusal is in the chain
  immediately; the repeats are counted in memory and written as ONE record
  (same event and reason, ``detail.folded`` = how many, ``first_record`` = the
  first's number) when the window closes, or when the node stops. A refusal
  page names the first record of its series. Nothing is dropped: the first
  record plus its aggregate account for every refusal (a crash loses at most
  the repeat counts of the open windows).
* :class:`RefusalLimiter` -- a client (its address, see :func:`client_key`)
  that was refused ``limit`` times in a fixed window gets 429 with
  Retry-After for every further request until the window ends, before any
  handler runs. Those 429s are folded the same way (event ``node.rate-limited``).

:class:`RefusalGuard` is the ASGI middleware that ties a request to its
client: :meth:`interregion.audit.service.AuditLog.append` sees the current
request's :class:`RequestMark` and sends refusals to the folding.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from delta.http import problem
from interregion.clock import utcnow

log = logging.getLogger(__name__)

RATE_LIMITED = "node.rate-limited"
TOO_MANY = "too-many-refusals"
# Never limited: probes and files. The signed node-to-node back channel is not limited
# either (one peer address speaks for all of that region's windows and residents; the
# exchange authenticates peers and has its own rate), but its refusals are still folded.
UNLIMITED_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/", "/vendor/")
BACK_CHANNEL_PREFIXES = ("/idp/identity-assertions", "/licences/verify", "/cases/exchange/")
# Per-message identifiers do not make a refusal different: the aggregate keeps the last one's.
MESSAGE_IDS = ("jti", "request_sha256", "peer_audit_record")
TOO_MANY_TEXT = (
    "来自此地址的被拒请求过多，请稍后再试 / "
    "Too many refused requests from this address; try again later."
)


@dataclass
class RequestMark:
    """The client of the request being served, and how many refusals it has caused."""

    client: str
    refused: int = 0


_current: ContextVar[RequestMark | None] = ContextVar("delta_refusal_mark", default=None)


def current_mark() -> RequestMark | None:
    return _current.get()


def client_key(host: str, *, secret: bytes) -> str:
    """A pseudonym for the client's address (no addresses in clear in the audit log).

    Nodes listen directly (no proxy in front, uvicorn ignores X-Forwarded-For),
    so the address is the TCP peer's. IPv6 clients are keyed by their /64:
    one host commonly holds the whole prefix.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        text = host
    else:
        if isinstance(address, ipaddress.IPv6Address):
            mapped = address.ipv4_mapped
            text = str(mapped or ipaddress.IPv6Network((address, 64), strict=False))
        else:
            text = str(address)
    digest = hmac.new(secret, b"refusal-client:" + text.encode(), hashlib.sha256)
    return "client:" + digest.hexdigest()[:16]


# --- folding ------------------------------------------------------------------------------


class Writer(Protocol):
    def __call__(
        self,
        *,
        event: str,
        outcome: str,
        reason: str,
        actor: str,
        peer: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> int: ...


@dataclass
class _Series:
    first_record: int
    opened: datetime
    last: datetime
    fields: dict[str, Any]
    repeats: int = 0
    last_ids: dict[str, Any] = field(default_factory=dict)

    def add(self, fields: Mapping[str, Any], now: datetime) -> int:
        self.repeats += 1
        self.last = max(self.last, now)
        self.last_ids = _message_ids(fields)
        return self.first_record


def _message_ids(fields: Mapping[str, Any]) -> dict[str, Any]:
    detail = fields.get("detail", {})
    return {k: detail[k] for k in MESSAGE_IDS if k in detail}


@dataclass
class Folding:
    """Identical refusals per window: the first written at once, the repeats as one count."""

    write: Writer
    window: timedelta
    # A bound on memory: beyond it refusals are written one by one again (never dropped).
    max_open: int = 10_000
    _open: dict[str, _Series] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def enabled(self) -> bool:
        return self.window > timedelta(0)

    @staticmethod
    def key(fields: Mapping[str, Any]) -> str:
        detail = {k: v for k, v in fields.get("detail", {}).items() if k not in MESSAGE_IDS}
        same = {**fields, "detail": detail}
        return json.dumps(same, sort_keys=True, default=str, ensure_ascii=False)

    def repeat(self, fields: Mapping[str, Any], now: datetime) -> int | None:
        """Count a repeat of an open series without any I/O; None: not a repeat."""
        if not self.enabled:
            return None
        with self._lock:
            series = self._open.get(self.key(fields))
            if series is None or now >= series.opened + self.window:
                return None
            return series.add(fields, now)

    def refused(self, fields: Mapping[str, Any], now: datetime) -> int:
        """Record one refusal; returns the number of the record that stands for it."""
        if not self.enabled:
            return self.write(**fields, now=now)
        key = self.key(fields)
        with self._lock:  # held while writing: two identical refusals never both open a series
            series = self._open.get(key)
            if series is not None and now < series.opened + self.window:
                return series.add(fields, now)
            if series is not None:
                self._write_aggregate(series)  # the old window first, then the new one
                del self._open[key]
            seq = self.write(**fields, now=now)
            if len(self._open) < self.max_open:
                self._open[key] = _Series(seq, now, now, dict(fields))
            return seq

    def flush(self, *, now: datetime | None = None, everything: bool = False) -> int:
        """Write the aggregates of closed windows (all of them with ``everything``)."""
        moment = now or utcnow()
        written = 0
        with self._lock:
            for key, series in list(self._open.items()):
                if everything or moment >= series.opened + self.window:
                    written += self._write_aggregate(series)
                    del self._open[key]  # only once written: a failed write is tried again
        return written

    def _write_aggregate(self, series: _Series) -> int:
        if not series.repeats:
            return 0  # a lone refusal: its first record says it all
        fields = series.fields
        self.write(
            event=fields["event"],
            outcome=fields["outcome"],
            reason=fields["reason"],
            actor=fields["actor"],
            peer=fields["peer"],
            detail={
                "folded": series.repeats,
                "first_record": series.first_record,
                "window_start": series.opened.isoformat(),
                "window_end": series.last.isoformat(),
                "client": fields["detail"].get("client", ""),
                **({"last": series.last_ids} if series.last_ids else {}),
            },
            now=utcnow(),
        )
        return 1

    def start(self) -> None:
        """A thread that writes each closed window's aggregate soon after it closes."""
        if not self.enabled:
            return
        interval = min(max(self.window.total_seconds() / 4, 0.2), 5.0)

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.flush()
                except Exception:  # the next round tries again; the counts are kept
                    log.exception("writing folded audit records failed")

        threading.Thread(target=run, name="audit-folding", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        try:
            self.flush(everything=True)
        except Exception:  # the node must still stop; say what is lost
            lost = sum(series.repeats for series in self._open.values())
            log.exception("could not write %d folded refusals at stop", lost)


# --- the limiter ---------------------------------------------------------------------------


@dataclass
class _Window:
    ends: float
    refused: int = 0


class RefusalLimiter:
    """At most ``limit`` refused requests per client per fixed window (0: no limit)."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._max_clients = max_clients
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may be served again; None: it may be served now."""
        if self.limit <= 0:
            return None
        with self._lock:
            window = self._windows.get(client)
            now = self._clock()
            if window is None or now >= window.ends or window.refused < self.limit:
                return None
            return max(1, math.ceil(window.ends - now))

    def count(self, client: str, refused: int = 1) -> None:
        if self.limit <= 0 or refused <= 0:
            return
        with self._lock:
            now = self._clock()
            window = self._windows.get(client)
            if window is None or now >= window.ends:
                if len(self._windows) >= self._max_clients:
                    self._forget_ended(now)
                window = self._windows[client] = _Window(now + self.window_seconds)
            window.refused += refused

    def _forget_ended(self, now: float) -> None:
        for client in [c for c, w in self._windows.items() if now >= w.ends]:
            del self._windows[client]
        if len(self._windows) >= self._max_clients:  # still full: the oldest windows go
            oldest = sorted(self._windows, key=lambda c: self._windows[c].ends)
            for client in oldest[: len(oldest) // 10 + 1]:
                del self._windows[client]


# --- the middleware ------------------------------------------------------------------------


class RefusalGuard:
    """Answer 429 to a client over its refusal limit; mark every other request with its client."""

    def __init__(
        self, app: ASGIApp, *, limiter: RefusalLimiter, folding: Folding, secret: bytes
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.folding = folding
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        client = client_key(peer[0] if peer else "", secret=self.secret)
        limited = not path.startswith(BACK_CHANNEL_PREFIXES)
        wait = self.limiter.retry_after(client) if limited else None
        if wait is not None:
            response = await self._too_many(client, wait)
            await response(scope, receive, send)
            return
        mark = RequestMark(client)
        token = _current.set(mark)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
            if limited:
                self.limiter.count(client, mark.refused)

    async def _too_many(self, client: str, wait: int) -> Response:
        # One series per client and window, whatever the paths asked for.
        fields = {
            "event": RATE_LIMITED,
            "outcome": "refused",
            "reason": TOO_MANY,
            "actor": "",
            "peer": "",
            "detail": {"client": client},
        }
        now = utcnow()
        seq = self.folding.repeat(fields, now)  # the usual case: a count in memory
        if seq is None:  # the first of a window: a database write, off the event loop
            seq = await run_in_threadpool(self.folding.refused, fields, now)
        response = problem(429, "Too Many Requests", TOO_MANY_TEXT, reason=TOO_MANY,
                           retry_after=wait, audit_record=seq)  # fmt: skip
        response.headers["Retry-After"] = str(wait)
        response.headers["Cache-Control"] = "no-store"
        return response
