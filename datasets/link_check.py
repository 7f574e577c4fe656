"""Checking that link resources still answer (for the metadata quality score).

A HEAD request (GET when a server refuses HEAD), redirects followed, a short
timeout, several at a time. Addresses that resolve to private, loopback or
link-local networks are not requested: a publisher's URL must not turn the
portal into a probe of its own network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import Package, Resource, ResourceLinkCheck, utcnow

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Target:
    resource_id: str
    package_id: str
    url: str


@dataclass(frozen=True)
class Result:
    target: Target
    ok: bool | None  # None: not checked (an address that is not public)
    status_code: int | None = None
    error: str | None = None


def link_targets(session: Session) -> list[Target]:
    rows = session.execute(
        select(Resource.id, Resource.package_id, Resource.url)
        .join(Package, Package.id == Resource.package_id)
        .where(
            Resource.state == "active",
            Package.state == "active",
            (Resource.url_type.is_(None)) | (Resource.url_type != "upload"),
        )
    ).all()
    return [
        Target(rid, pid, url)
        for rid, pid, url in rows
        if url and urlparse(url).scheme in ("http", "https")
    ]


def is_public_address(url: str) -> bool:
    host = urlparse(url).hostname
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return True  # unresolvable: the request itself will say so
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return False
    return True


def check(
    targets: Iterable[Target],
    *,
    timeout: float,
    workers: int = 8,
    allow_private: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    items = list(targets)
    with (
        httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS) as http,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        results = []
        for done, result in enumerate(
            pool.map(lambda t: _one(http, t, allow_private=allow_private), items), start=1
        ):
            results.append(result)
            if progress:
                progress(done)
    return results


def _one(http: httpx.Client, target: Target, *, allow_private: bool) -> Result:
    if not allow_private and not is_public_address(target.url):
        return Result(target, None, error="not checked: not a public address")
    try:
        response = http.head(target.url)
        if response.status_code in (405, 501):
            with http.stream("GET", target.url) as streamed:
                response = streamed
        return Result(target, response.status_code < 400, response.status_code)
    except httpx.HTTPError as exc:
        return Result(target, False, error=f"{type(exc).__name__}: {exc}"[:500])


def store(session: Session, results: Iterable[Result]) -> set[str]:
    """Save the results; returns the ids of the datasets whose score may have moved."""
    changed: set[str] = set()
    for result in results:
        if result.ok is None:
            continue
        row = session.get(ResourceLinkCheck, result.target.resource_id)
        if row is None:
            row = ResourceLinkCheck(resource_id=result.target.resource_id)
            session.add(row)
        elif row.ok == result.ok and row.url == result.target.url:
            continue  # nothing new: no write, so caches and the index stay as they are
        row.url = result.target.url
        row.ok = result.ok
        row.status_code = result.status_code
        row.error = result.error
        row.checked_at = utcnow()
        changed.add(result.target.package_id)
    session.flush()
    return changed
