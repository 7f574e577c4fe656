"""Where verification keys come from: never from the message, always from here.

A :class:`KeySource` answers "which keys may sign for this issuer and this
purpose?". :class:`TrustStore` is the immutable, in-memory answer; the
federation :class:`~signing.federation.RegistryClient` is the live one that
swaps in a new ``TrustStore`` whenever a newer signed registry arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography import x509

from signing.certificates import verify_issued_by
from signing.errors import (
    ConfigurationError,
    KeyExpired,
    KeyNotYetValid,
    UnknownKeyId,
    UntrustedKey,
)
from signing.jwks import public_key_from_jwk, thumbprint
from signing.keys import TrustedKey, Validity, as_utc, trusted_key


class KeySource(Protocol):
    def keys_for(self, *, issuer: str, purpose: str) -> Sequence[TrustedKey]:
        """All keys for ``issuer`` listing ``purpose``, whatever their validity."""
        ...


class TrustStore:
    """An immutable set of trusted keys indexed by issuer."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        by_issuer: dict[str, list[TrustedKey]] = {}
        seen: dict[str, str] = {}
        for key in keys:
            owner = seen.setdefault(key.kid, key.issuer)
            if owner != key.issuer:
                # One kid, two owners would let one member's key speak for another.
                raise ValueError(f"key {key.kid} is claimed by {owner} and {key.issuer}")
            by_issuer.setdefault(key.issuer, []).append(key)
        self._by_issuer = {issuer: tuple(found) for issuer, found in by_issuer.items()}

    def keys_for(self, *, issuer: str, purpose: str) -> tuple[TrustedKey, ...]:
        return tuple(key for key in self._by_issuer.get(issuer, ()) if purpose in key.purposes)

    def issuers(self) -> frozenset[str]:
        return frozenset(self._by_issuer)

    def all_keys(self) -> tuple[TrustedKey, ...]:
        return tuple(key for keys in self._by_issuer.values() for key in keys)

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._by_issuer.values())

    def with_keys(self, keys: Iterable[TrustedKey]) -> TrustStore:
        return TrustStore([*self.all_keys(), *keys])

    @classmethod
    def from_jwks(
        cls, jwks: Mapping[str, Any], *, issuer: str, purposes: Iterable[str]
    ) -> TrustStore:
        return cls(trusted_keys_from_jwks(jwks, issuer=issuer, purposes=purposes))

    @classmethod
    def from_certificates(
        cls,
        certificates: Iterable[x509.Certificate],
        *,
        issuer: str,
        purposes: Iterable[str],
        root: x509.Certificate | None = None,
        at: datetime | None = None,
    ) -> TrustStore:
        """Trust each certificate's key; with ``root``, only if the root issued it."""
        keys = []
        for certificate in certificates:
            if root is not None:
                if at is None:
                    raise ValueError("checking a chain needs the time 'at'")
                verify_issued_by(certificate, root=root, at=at)
            keys.append(
                trusted_key(
                    certificate.public_key(),  # type: ignore[arg-type]
                    issuer=issuer,
                    purposes=purposes,
                    validity=Validity.unbounded(),
                    certificate=certificate,
                )
            )
        return cls(keys)


def usable_keys(source: KeySource, *, issuer: str, purpose: str, at: datetime) -> list[TrustedKey]:
    """Keys valid at ``at``; says precisely why when there are none."""
    moment = as_utc(at)
    candidates = source.keys_for(issuer=issuer, purpose=purpose)
    if not candidates:
        raise UntrustedKey(f"no key is trusted for issuer {issuer!r} and purpose {purpose!r}")
    usable = [key for key in candidates if key.validity.contains(moment)]
    if not usable:
        if all(moment < key.validity.not_before for key in candidates):
            raise KeyNotYetValid(f"no key of {issuer!r} is valid yet")
        raise KeyExpired(f"every key of {issuer!r} for {purpose!r} has expired")
    return usable


def key_by_id(
    source: KeySource, kid: str, *, issuer: str, purpose: str, at: datetime
) -> TrustedKey:
    """Resolve a JWS ``kid`` within one issuer; anything else is simply unknown."""
    for key in source.keys_for(issuer=issuer, purpose=purpose):
        if key.kid == kid:
            key.validity.check(as_utc(at), kid=key.kid)
            return key
    raise UnknownKeyId(f"no key with this kid is trusted for issuer {issuer!r}")


def _epoch(moment: datetime) -> int | None:
    # The unbounded window's ends are left out rather than written as year 1 / 9999.
    if moment.year in (1, 9999):
        return None
    return int(as_utc(moment).timestamp())


def jwk_with_metadata(key: TrustedKey) -> dict[str, Any]:
    """A public JWK with ``kid``, ``use``, ``alg`` and our ``nbf``/``exp`` validity members."""
    jwk: dict[str, Any] = {**key.public_jwk(), "kid": key.kid, "use": "sig"}
    if len(key.jws_algorithms) == 1:
        jwk["alg"] = next(iter(key.jws_algorithms))
    for member, moment in (("nbf", key.validity.not_before), ("exp", key.validity.not_after)):
        value = _epoch(moment)
        if value is not None:
            jwk[member] = value
    return jwk


def jwks_document(keys: Iterable[TrustedKey]) -> dict[str, Any]:
    return {"keys": [jwk_with_metadata(key) for key in keys]}


def trusted_keys_from_jwks(
    jwks: Mapping[str, Any], *, issuer: str, purposes: Iterable[str]
) -> list[TrustedKey]:
    """Read a JWKS; every ``kid`` must be the key's RFC 7638 thumbprint."""
    found = []
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("JWKS without a 'keys' list")
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ValueError("JWKS entry is not an object")
        if entry.get("use", "sig") != "sig":
            continue
        public_key = public_key_from_jwk(entry)
        expected_kid = thumbprint(entry)
        if entry.get("kid", expected_kid) != expected_kid:
            raise ValueError("JWKS kid is not the RFC 7638 thumbprint of its key")
        unbounded = Validity.unbounded()
        nbf, exp = entry.get("nbf"), entry.get("exp")
        try:
            validity = Validity(
                datetime.fromtimestamp(nbf, UTC) if isinstance(nbf, int) else unbounded.not_before,
                datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else unbounded.not_after,
            )
        except (OverflowError, OSError, ConfigurationError) as error:
            raise ValueError("JWKS key has an unusable nbf/exp window") from error
        alg = entry.get("alg")
        found.append(
            trusted_key(
                public_key,
                issuer=issuer,
                purposes=purposes,
                validity=validity,
                jws_algorithms=[alg] if isinstance(alg, str) else None,
            )
        )
    return found
