"""The pure half of the protocol: issue and verify requests and responses (no HTTP, no database).

A request is a JWT from the requester (``iss``) to the responder (``aud``)
with the kind's request ``typ``; a response is a JWT back with the kind's
response ``typ``, ``request_sha256`` (base64url SHA-256 of the exact request
token, as X-Road's responses carry the hash of the request) and
``in_response_to`` (the request's ``jti``). Everything a verifier trusts
comes from the registry: the member by ``entity_id``, its roles, its keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from interregion.exchange.errors import ExchangeRefused
from interregion.exchange.kinds import MessageKind
from signing.errors import MalformedToken, SigningError
from signing.federation import FederationRegistry, Member
from signing.jwt import DEFAULT_LEEWAY, decode_unverified, issue_jwt, verify_jwt
from signing.keys import SigningKey
from signing.replay import ReplayCache
from signing.truststore import KeySource

RESERVED_RESPONSE_CLAIMS = frozenset({"request_sha256", "in_response_to"})
# Where a signature check failed the request is unauthenticated: say why, but as 403.
_BAD_REQUEST_REASONS = frozenset({"malformed-token", "missing-claim", "invalid-claim"})


def request_sha256(token: str) -> str:
    """base64url (no padding) of SHA-256 over the compact request token's ASCII bytes."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Incoming:
    """A request whose signature, header, claims and first use have all been checked."""

    kind: MessageKind
    requester: Member
    claims: dict[str, Any]
    token: str
    sha256: str
    now: datetime

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def peer(self) -> str:
        return self.requester.region_code


@dataclass(frozen=True)
class Exchanged:
    """What the requester holds after a verified round trip."""

    kind: MessageKind
    peer: str
    request: str
    request_sha256: str
    response: str
    claims: dict[str, Any]
    audit_record: int | None = None


def issue_request(
    kind: MessageKind,
    claims: Mapping[str, Any],
    *,
    key: SigningKey,
    requester: Member,
    responder: Member,
    now: datetime,
) -> str:
    return issue_jwt(
        claims,
        key=key,
        issuer=requester.entity_id,
        audience=responder.entity_id,
        typ=kind.request_typ,
        lifetime=kind.request_lifetime,
        now=now,
    )


def _claimed_issuer(token: str) -> str:
    try:
        issuer = decode_unverified(token).claims.get("iss", "")
    except SigningError:
        raise ExchangeRefused("malformed", "the message is not a JWT", 400) from None
    return issuer if isinstance(issuer, str) else ""


def verify_request(
    kind: MessageKind,
    token: str,
    *,
    registry: FederationRegistry,
    trust: KeySource,
    responder: Member,
    replay_cache: ReplayCache,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Incoming:
    """The responder's checks, in the order that never lets a forgery burn a real ``jti``."""
    if not isinstance(token, str) or len(token) > kind.max_request_chars:
        raise ExchangeRefused("too-large", "the request is too large", 413)
    issuer = _claimed_issuer(token)
    try:
        requester = registry.member_by_entity_id(issuer)
    except KeyError:
        raise ExchangeRefused(
            "unknown-issuer", "the requester is not a federation member", 403
        ) from None
    peer = requester.region_code
    if kind.requester_role not in requester.roles:
        raise ExchangeRefused(
            "role-not-allowed", f"the registry does not list {peer} as {kind.requester_role}",
            403, peer,
        )  # fmt: skip
    try:
        claims = verify_jwt(
            token,
            trust=trust,
            issuer=requester.entity_id,
            audience=responder.entity_id,
            typ=kind.request_typ,
            replay_cache=replay_cache,
            leeway=leeway,
            max_lifetime=kind.request_lifetime,
            now=now,
        )
    except SigningError as error:
        status = 400 if error.reason in _BAD_REQUEST_REASONS else 403
        raise ExchangeRefused(error.reason, "the request was refused", status, peer) from None
    return Incoming(kind, requester, claims, token, request_sha256(token), now)


def issue_response(
    kind: MessageKind,
    claims: Mapping[str, Any],
    *,
    key: SigningKey,
    incoming: Incoming,
    responder: Member,
    now: datetime,
) -> str:
    clashing = sorted(RESERVED_RESPONSE_CLAIMS & set(claims))
    if clashing:
        raise ValueError(f"claims {clashing} are set by the exchange itself")
    return issue_jwt(
        {**claims, "request_sha256": incoming.sha256, "in_response_to": incoming.jti},
        key=key,
        issuer=responder.entity_id,
        audience=incoming.requester.entity_id,
        typ=kind.response_typ,
        lifetime=kind.response_lifetime,
        now=now,
    )


def verify_response(
    kind: MessageKind,
    token: str,
    *,
    request: str,
    requester: Member,
    responder: Member,
    trust: KeySource,
    replay_cache: ReplayCache,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> dict[str, Any]:
    """Checked like an assertion: the responder's registry key, audience, time, typ, jti once,
    and the hash of exactly the request we sent."""
    peer = responder.region_code
    if not isinstance(token, str) or len(token) > kind.max_response_chars:
        raise ExchangeRefused("malformed", "the response is missing or too large", 502, peer)
    try:
        claims = verify_jwt(
            token,
            trust=trust,
            issuer=responder.entity_id,
            audience=requester.entity_id,
            typ=kind.response_typ,
            replay_cache=replay_cache,
            leeway=leeway,
            max_lifetime=kind.response_lifetime,
            now=now,
        )
    except MalformedToken:
        raise ExchangeRefused("malformed", "the response is not a JWT", 502, peer) from None
    except SigningError as error:
        raise ExchangeRefused(error.reason, "the response was refused", 502, peer) from None
    expected_hash, expected_jti = request_sha256(request), decode_unverified(request).claims["jti"]
    carried, answered = claims.get("request_sha256"), claims.get("in_response_to")
    if not (
        isinstance(carried, str)
        and hmac.compare_digest(carried.encode(), expected_hash.encode())
        and answered == expected_jti
    ):
        raise ExchangeRefused(
            "request-hash-mismatch", "the response answers another request", 502, peer
        )
    return claims
