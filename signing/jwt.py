"""JWTs between federation nodes (RFC 7519, RFC 8725 practice).

:func:`issue_jwt` and :func:`verify_jwt` take the issuer, audience and
``typ`` as required keyword arguments: a token made for one message kind,
one recipient and one sender is useless anywhere else. Times are checked
here (not by pyjwt) so every check uses the same injectable clock and raises
its own error.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from signing.errors import (
    ConfigurationError,
    InvalidClaim,
    IssuedInFuture,
    LifetimeTooLong,
    MissingClaim,
    ReplayedToken,
    TokenExpired,
    TokenNotYetValid,
    WrongAudience,
    WrongIssuer,
)
from signing.jws import parse_compact, parse_json_object, sign_jws, verify_jws
from signing.keys import Purpose, SigningKey, as_utc, utcnow
from signing.replay import MemoryReplayCache, ReplayCache, replay_key
from signing.truststore import KeySource

# The message kinds of the federation; each is its own ``typ`` (RFC 8725 §3.11).
LICENCE_VERIFICATION_REQUEST = "licence-verification-request+jwt"
LICENCE_VERIFICATION_RESPONSE = "licence-verification-response+jwt"
IDENTITY_ASSERTION = "identity-assertion+jwt"
WINDOW_CASE = "window-case+jwt"

REQUIRED_CLAIMS = ("iss", "aud", "exp", "nbf", "iat", "jti")
DEFAULT_LIFETIME = timedelta(minutes=5)
DEFAULT_LEEWAY = timedelta(seconds=30)
MAX_LIFETIME = timedelta(hours=1)
MAX_JTI_CHARS = 256

_default_replay_cache = MemoryReplayCache()


def default_replay_cache() -> MemoryReplayCache:
    """The process-wide in-memory cache used when no other is passed."""
    return _default_replay_cache


def issue_jwt(
    claims: Mapping[str, Any],
    *,
    key: SigningKey,
    issuer: str,
    audience: str | Sequence[str],
    typ: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
    purpose: str = Purpose.JWT,
    jti: str | None = None,
    algorithm: str | None = None,
    now: datetime | None = None,
) -> str:
    """Sign ``claims`` plus the registered claims we set ourselves."""
    moment = as_utc(now or utcnow())
    if lifetime <= timedelta(0):
        raise ConfigurationError("lifetime must be positive")
    clashing = sorted(set(claims) & set(REQUIRED_CLAIMS))
    if clashing:
        raise ConfigurationError(f"registered claims {clashing} are set by issue_jwt itself")
    issued = int(moment.timestamp())
    payload = {
        **claims,
        "iss": issuer,
        "aud": audience if isinstance(audience, str) else list(audience),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "jti": jti or secrets.token_urlsafe(18),
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return sign_jws(body, key=key, purpose=purpose, typ=typ, algorithm=algorithm, now=moment)


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidClaim(f"{name} must be a NumericDate")
    return float(value)


def _check_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    audience: str,
    now: datetime,
    leeway: timedelta,
    max_lifetime: timedelta,
) -> None:
    for name in REQUIRED_CLAIMS:
        if claims.get(name) is None:
            raise MissingClaim(f"claim {name!r} is required")
    if claims["iss"] != issuer:
        raise WrongIssuer(f"token is not from {issuer!r}")
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise InvalidClaim("aud must be a string or a list of strings")
    if audience not in audiences:
        raise WrongAudience(f"token is not for {audience!r}")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
        raise InvalidClaim("jti must be a non-empty string")
    moment, slack = now.timestamp(), leeway.total_seconds()
    exp, nbf, iat = (_numeric_date(claims, name) for name in ("exp", "nbf", "iat"))
    if exp <= moment - slack:
        raise TokenExpired("token has expired")
    if nbf > moment + slack:
        raise TokenNotYetValid("token is not valid yet")
    if iat > moment + slack:
        raise IssuedInFuture("token claims to be issued in the future")
    if exp - iat > max_lifetime.total_seconds():
        raise LifetimeTooLong(f"token lives longer than {max_lifetime}")


def verify_jwt(
    token: str,
    *,
    trust: KeySource,
    issuer: str,
    audience: str,
    typ: str,
    purpose: str = Purpose.JWT,
    replay_cache: ReplayCache | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
    max_lifetime: timedelta = MAX_LIFETIME,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Verify signature, header policy, claims and first use; returns the claims."""
    moment = as_utc(now or utcnow())
    verified = verify_jws(token, trust=trust, issuer=issuer, purpose=purpose, typ=typ, now=moment)
    claims = parse_json_object(verified.payload, "claims")
    _check_claims(
        claims,
        issuer=issuer,
        audience=audience,
        now=moment,
        leeway=leeway,
        max_lifetime=max_lifetime,
    )
    # Only after the signature: forged tokens must not be able to burn real jtis.
    cache = replay_cache if replay_cache is not None else _default_replay_cache
    expires_at = datetime.fromtimestamp(_numeric_date(claims, "exp"), moment.tzinfo) + leeway
    if not cache.first_use(replay_key(issuer, claims["jti"]), expires_at=expires_at, now=moment):
        raise ReplayedToken("this token (jti) has been used before")
    return claims


@dataclass(frozen=True)
class UnverifiedJwt:
    """Header and claims read WITHOUT any check: for routing and diagnostics only."""

    header: dict[str, Any]
    claims: dict[str, Any]


def decode_unverified(token: str) -> UnverifiedJwt:
    jws = parse_compact(token)
    return UnverifiedJwt(header=jws.header, claims=parse_json_object(jws.payload, "claims"))
