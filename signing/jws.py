"""Compact JWS with pyjwt, behind a header policy that leaves the attacker no choices.

The verifier, not the token, decides everything that matters: the key comes
from the trust store by ``kid`` within the expected issuer; the algorithm must
be on that key's allow-list; ``typ`` must be the expected one; headers that
point at keys elsewhere (``jku``, ``x5u``, ``jwk``, ``x5c``) and ``crit``
extensions are refused outright.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from jwt.algorithms import Algorithm

from signing.algorithms import ASYMMETRIC_JWS_ALGORITHMS
from signing.errors import (
    AlgorithmNotAllowed,
    ConfigurationError,
    ForbiddenHeader,
    MalformedToken,
    MissingKeyId,
    SignatureInvalid,
    UnsignedToken,
    WrongTokenType,
)
from signing.jwks import b64url_decode
from signing.keys import SigningKey, TrustedKey, as_utc, utcnow
from signing.truststore import KeySource, key_by_id

MAX_TOKEN_CHARS = 64 * 1024
MAX_KID_CHARS = 256
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})

# Our own PyJWS: registering an algorithm here (SM2, say) never touches pyjwt's globals.
_pyjws = jwt.PyJWS(algorithms=sorted(ASYMMETRIC_JWS_ALGORITHMS))
_supported_algorithms = set(ASYMMETRIC_JWS_ALGORITHMS)


def register_jws_algorithm(name: str, implementation: Algorithm) -> None:
    """Plug in an asymmetric algorithm; keys still have to list it to use it."""
    if name.upper().startswith("HS") or name.lower() == "none":
        raise ConfigurationError("only asymmetric algorithms can be registered")
    _pyjws.register_algorithm(name, implementation)
    _supported_algorithms.add(name)


def normalise_typ(typ: str) -> str:
    """RFC 7515 §4.1.9: ``typ`` compares case-insensitively, ``application/`` optional."""
    lowered = typ.strip().lower()
    return lowered.removeprefix("application/")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise MalformedToken(f"duplicate member {name!r}")
        result[name] = value
    return result


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; NaN compares false with everything,
    # so an "exp": NaN would slip past every time check.
    raise MalformedToken(f"{name} is not JSON")


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            raw, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as error:
        raise MalformedToken(f"{what} is not JSON") from error
    if not isinstance(value, dict):
        raise MalformedToken(f"{what} is not a JSON object")
    return value


@dataclass(frozen=True)
class CompactJws:
    """The parts of a compact JWS, decoded but not verified."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


def parse_compact(token: str) -> CompactJws:
    """Size-capped, strict base64url, JSON objects without duplicate members."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise MalformedToken("token is not a string of acceptable size")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken("a compact JWS has three parts")
    try:
        header_raw, payload, signature = (b64url_decode(part) for part in parts)
    except ValueError as error:
        raise MalformedToken("invalid base64url") from error
    return CompactJws(
        header=parse_json_object(header_raw, "header"),
        payload=payload,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
    )


def check_header(header: Mapping[str, Any], *, typ: str) -> tuple[str, str]:
    """Header policy; returns (alg, kid)."""
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise MalformedToken("header without 'alg'")
    if alg.lower() == "none":
        raise UnsignedToken("unsigned tokens (alg=none) are never accepted")
    if alg not in _supported_algorithms:
        raise AlgorithmNotAllowed(f"algorithm {alg!r} is not accepted")
    forbidden = sorted(FORBIDDEN_HEADERS & set(header))
    if forbidden:
        raise ForbiddenHeader(f"header parameters {forbidden} are not accepted")
    declared = header.get("typ")
    if not isinstance(declared, str) or normalise_typ(declared) != normalise_typ(typ):
        raise WrongTokenType(f"expected typ {typ!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_CHARS:
        raise MissingKeyId("header without a usable 'kid'")
    return alg, kid


def sign_jws(
    payload: bytes,
    *,
    key: SigningKey,
    purpose: str,
    typ: str,
    algorithm: str | None = None,
    now: datetime | None = None,
) -> str:
    key.check_usable(now or utcnow(), purpose=purpose)
    alg = algorithm or key.jws_algorithms[0]
    if alg not in key.jws_algorithms or alg not in _supported_algorithms:
        raise ConfigurationError(f"key {key.kid} may not sign with {alg}")
    headers = {"kid": key.kid, "typ": typ}
    return _pyjws.encode(payload, key.private_key, algorithm=alg, headers=headers)


@dataclass(frozen=True)
class VerifiedJws:
    header: dict[str, Any]
    payload: bytes
    key: TrustedKey


def verify_jws(
    token: str,
    *,
    trust: KeySource,
    issuer: str,
    purpose: str,
    typ: str,
    now: datetime | None = None,
) -> VerifiedJws:
    """Verify a compact JWS signed by ``issuer`` for ``purpose``; returns header and payload."""
    moment = as_utc(now or utcnow())
    jws = parse_compact(token)
    alg, kid = check_header(jws.header, typ=typ)
    key = key_by_id(trust, kid, issuer=issuer, purpose=purpose, at=moment)
    if alg not in key.jws_algorithms:
        raise AlgorithmNotAllowed(f"key {key.kid} does not allow {alg}")
    # pyjwt's algorithm layer does the cryptography; the token was parsed once, above.
    try:
        algorithm = _pyjws.get_algorithm_by_name(alg)
        valid = algorithm.verify(
            jws.signing_input, algorithm.prepare_key(key.public_key), jws.signature
        )
    except NotImplementedError as error:
        raise AlgorithmNotAllowed(f"algorithm {alg!r} is not available") from error
    except (jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise AlgorithmNotAllowed(f"key {key.kid} cannot be used with {alg}") from error
    if not valid:
        raise SignatureInvalid("the signature does not verify with the trusted key")
    return VerifiedJws(header=jws.header, payload=jws.payload, key=key)
