"""Offline verification of licence credentials: the registry's key for the issuer, then the
status lists, fetched once per TTL and cached (in memory, and on disk for the CLI).

A verifier needs only the federation registry and, while its cached lists are
fresh, no network at all. When a list cannot be refreshed, a cached copy is
used until its ``validUntil`` plus a grace period; beyond that the answer is
"cannot tell" (``status-list-stale``), never "valid".
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from interregion.exchange import ExchangeRefused
from interregion.exchange.service import bounded_get
from interregion.licences.credentials import (
    LICENCE_CREDENTIAL_TYPE,
    PURPOSES,
    STATUS_LIST_CREDENTIAL_TYPE,
    VC_TYP,
    VC_V2_CONTEXT,
    status_list_url,
)
from interregion.licences.dates import parse_time
from signing.errors import SigningError
from signing.federation import FederationRegistry, Member
from signing.jws import parse_json_object, verify_jws
from signing.jwt import decode_unverified
from signing.keys import Purpose
from signing.truststore import KeySource
from standards import status_list

MAX_LIST_CHARS = 4 * 1024 * 1024
Fetch = Callable[[str], str]


def refused(reason: str, message: str, status: int = 422) -> ExchangeRefused:
    return ExchangeRefused(reason, message, status)


def http_fetch(timeout: float = 5.0) -> Fetch:
    """Fetch lists with a client of our own (the CLI has no node and so no exchange)."""
    client = httpx.Client(timeout=timeout, follow_redirects=False)
    return lambda url: bounded_get(client, url, max_chars=MAX_LIST_CHARS)


@dataclass(frozen=True)
class CachedList:
    url: str
    token: str
    bits: bytes
    fetched_at: datetime
    valid_until: datetime


class StatusListCache:
    """Verified status lists by URL: fresh for ``ttl``, usable until validUntil + ``grace``."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        ttl: timedelta,
        grace: timedelta,
        directory: Path | None = None,
    ) -> None:
        self._fetch = fetch
        self.ttl, self.grace = ttl, grace
        self._directory = directory
        self._entries: dict[str, CachedList] = {}
        self._lock = threading.Lock()

    def bits(
        self, url: str, *, issuer: Member, purpose: str, trust: KeySource, now: datetime
    ) -> bytes:
        entry = self._entries.get(url) or self._load(url, issuer, purpose, trust, now)
        if entry is not None and now - entry.fetched_at < self.ttl:
            return entry.bits
        try:
            token = self._fetch(url)
        except Exception:  # unreachable issuer: fall back on the cached copy, within grace
            if entry is not None and now <= entry.valid_until + self.grace:
                return entry.bits
            raise refused(
                "status-list-stale" if entry else "status-list-unavailable",
                "the status list cannot be refreshed and no usable copy is cached",
                503,
            ) from None
        fresh = verify_status_list(
            token, url=url, issuer=issuer, purpose=purpose, trust=trust, now=now,
            grace=self.grace,
        )  # fmt: skip
        with self._lock:
            self._entries[url] = fresh
        self._store(fresh)
        return fresh.bits

    def _path(self, url: str) -> Path | None:
        if self._directory is None:
            return None
        return self._directory / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _store(self, entry: CachedList) -> None:
        path = self._path(entry.url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"url": entry.url, "token": entry.token, "fetched_at": entry.fetched_at.isoformat()}
        path.write_text(json.dumps(body), "utf-8")

    def _load(
        self, url: str, issuer: Member, purpose: str, trust: KeySource, now: datetime
    ) -> CachedList | None:
        """A copy cached on disk is verified again before it is believed."""
        path = self._path(url)
        if path is None or not path.exists():
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            entry = verify_status_list(
                data["token"], url=url, issuer=issuer, purpose=purpose, trust=trust, now=now,
                grace=self.grace, fetched_at=datetime.fromisoformat(data["fetched_at"]),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError, ExchangeRefused):
            return None
        self._entries[url] = entry
        return entry


def verify_status_list(
    token: str, *, url: str, issuer: Member, purpose: str, trust: KeySource, now: datetime,
    grace: timedelta, fetched_at: datetime | None = None,
) -> CachedList:  # fmt: skip
    """Signature by the issuer's registry key, the right list and purpose, not stale."""
    try:
        verified = verify_jws(
            token, trust=trust, issuer=issuer.entity_id, purpose=Purpose.JWT, typ=VC_TYP, now=now
        )
        claims = parse_json_object(verified.payload, "status list")
    except SigningError as error:
        raise refused(
            "status-list-signature-invalid", f"the status list is not genuine ({error.reason})"
        ) from None
    subject = claims.get("credentialSubject")
    types = claims.get("type")
    if (
        not isinstance(subject, dict)
        or not isinstance(types, list)
        or STATUS_LIST_CREDENTIAL_TYPE not in types
        or claims.get("id") != url
        or (claims.get("issuer") or {}).get("id") != issuer.entity_id
    ):
        raise refused("status-list-malformed", "not the status list this credential points to")
    if subject.get("statusPurpose") != purpose:
        raise refused("status-list-malformed", "the status list has another purpose")
    try:
        valid_until = parse_time(claims.get("validUntil"))
        bits = status_list.decode(subject.get("encodedList"))  # type: ignore[arg-type]
    except (ValueError, status_list.StatusListError) as error:
        raise refused("status-list-malformed", f"the status list is unreadable: {error}") from None
    if now > valid_until + grace:
        raise refused("status-list-stale", "the status list is older than its validity and grace")
    return CachedList(url, token, bits, fetched_at or now, valid_until)


@dataclass(frozen=True)
class CheckedCredential:
    status: str  # valid | suspended | revoked | expired
    issuer_region: str
    claims: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        subject = self.claims.get("credentialSubject", {})
        licence = subject.get("licence", {})
        return {
            "status": self.status,
            "genuine": True,
            "issuer_region": self.issuer_region,
            "identifier": licence.get("identifier"),
            "type": licence.get("typeCode"),
            "name": self.claims.get("name"),
            "valid_from": self.claims.get("validFrom"),
            "valid_until": self.claims.get("validUntil"),
        }


def _issuer_member(registry: FederationRegistry, token: str) -> Member:
    try:
        claimed = decode_unverified(token).claims.get("iss", "")
    except SigningError:
        raise refused("malformed", "the credential is not a JWT", 400) from None
    try:
        member = registry.member_by_entity_id(claimed if isinstance(claimed, str) else "")
    except KeyError:
        raise refused("unknown-issuer", "the issuer is not a federation member", 403) from None
    if "licence-issuer" not in member.roles:
        raise refused("role-not-allowed", "the registry does not list it as a licence issuer", 403)
    return member


def verify_credential(
    token: str,
    *,
    registry: FederationRegistry,
    trust: KeySource,
    status_lists: StatusListCache,
    now: datetime,
) -> CheckedCredential:
    """Genuine (signature, shape, issuer) first, then current (dates, both status lists)."""
    if not isinstance(token, str) or len(token) > 64 * 1024:
        raise refused("malformed", "the credential is missing or too large", 400)
    member = _issuer_member(registry, token.strip())
    try:
        verified = verify_jws(
            token.strip(), trust=trust, issuer=member.entity_id, purpose=Purpose.JWT,
            typ=VC_TYP, now=now,
        )  # fmt: skip
        claims = parse_json_object(verified.payload, "credential")
    except SigningError as error:
        raise refused(error.reason, "the credential is not genuine", 403) from None
    _check_shape(claims, member)
    valid_from = parse_time(claims["validFrom"])
    if now < valid_from:
        raise refused("not-yet-valid", "the credential is not valid yet", 403)
    status = current_status(
        claims["credentialStatus"], member=member, valid_until=claims.get("validUntil"),
        cache=status_lists, trust=trust, now=now,
    )  # fmt: skip
    return CheckedCredential(status, member.region_code, claims)


def _check_shape(claims: dict[str, Any], member: Member) -> None:
    """Only what the signature covers is read; its shape must be ours exactly."""
    try:
        context, types = claims["@context"], claims["type"]
        ok = (
            isinstance(context, list) and context[:1] == [VC_V2_CONTEXT]
            and isinstance(types, list) and LICENCE_CREDENTIAL_TYPE in types
            and claims["issuer"]["id"] == member.entity_id == claims["iss"]
        )  # fmt: skip
        parse_time(claims["validFrom"])
        if "validUntil" in claims:
            parse_time(claims["validUntil"])
        entries = claims["credentialStatus"]
        purposes = sorted(entry["statusPurpose"] for entry in entries)
        for entry in entries:
            ok = ok and entry["type"] == "BitstringStatusListEntry"
            # The list must be the issuer's own: a credential cannot name a list elsewhere.
            ok = ok and entry["statusListCredential"] == status_list_url(
                member, entry["statusPurpose"]
            )
            index = entry["statusListIndex"]
            ok = ok and isinstance(index, str) and index.isdigit() and len(index) <= 10
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        ok, purposes = False, []
    if not ok or purposes != sorted(PURPOSES):
        raise refused("malformed", "the credential is not a licence credential of ours", 403)


def current_status(
    entries: list[dict[str, Any]], *, member: Member, valid_until: str | None,
    cache: StatusListCache, trust: KeySource, now: datetime,
) -> str:  # fmt: skip
    """Revoked beats expired beats suspended beats valid. Lists must be the issuer's own."""
    marked = set()
    try:
        for entry in entries:
            purpose, index = entry["statusPurpose"], int(entry["statusListIndex"])
            url = entry["statusListCredential"]
            if purpose not in PURPOSES or url != status_list_url(member, purpose):
                raise refused("malformed", "the status entry names another list", 403)
            bits = cache.bits(url, issuer=member, purpose=purpose, trust=trust, now=now)
            if status_list.is_set(bits, index):
                marked.add(purpose)
        expired = valid_until is not None and now > parse_time(valid_until)
    except status_list.StatusListError:  # a ValueError too: catch it first
        raise refused("status-index-out-of-range", "the status index is outside the list") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise refused("malformed", "the status entries are unreadable", 403) from None
    if "revocation" in marked:
        return "revoked"
    if expired:
        return "expired"
    return "suspended" if "suspension" in marked else "valid"
