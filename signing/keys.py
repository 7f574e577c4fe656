"""Key pairs with identities, purposes, validity windows and algorithm allow-lists.

A :class:`SigningKey` is what a node signs with (it holds the private key);
a :class:`TrustedKey` is what a verifier accepts (public key, the issuer it
belongs to, what it may be used for, when, and with which algorithms). Both
carry an RFC 7638 thumbprint as ``kid``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing.algorithms import (
    PrivateKey,
    PublicKey,
    default_jws_algorithms,
    default_xml_signature_methods,
)
from signing.errors import ConfigurationError, KeyExpired, KeyNotYetValid
from signing.jwks import public_jwk, thumbprint

KeyKind = Literal["rsa", "ec-p256", "ed25519"]
KEY_KINDS: tuple[KeyKind, ...] = ("rsa", "ec-p256", "ed25519")
RSA_KEY_BITS = 3072
DEFAULT_KEY_LIFETIME = timedelta(days=730)


class Purpose(StrEnum):
    """What a key may sign. Verifiers ask for one purpose; a key lists all of its own."""

    SAML = "saml"  # SAML messages and metadata (XML-DSig)
    XML = "xml"  # other XML documents (XML-DSig)
    JWT = "jwt"  # JWS/JWT messages between nodes
    REGISTRY = "registry"  # the federation registry (authority only)


ALL_MEMBER_PURPOSES = frozenset({Purpose.SAML, Purpose.XML, Purpose.JWT})


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ConfigurationError("naive datetime: pass timezone-aware times")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Validity:
    """``not_before <= t < not_after``; enforced whenever a key is used."""

    not_before: datetime
    not_after: datetime

    def __post_init__(self) -> None:
        if as_utc(self.not_after) <= as_utc(self.not_before):
            raise ConfigurationError("validity window is empty")

    @classmethod
    def starting(cls, start: datetime, lifetime: timedelta = DEFAULT_KEY_LIFETIME) -> Validity:
        return cls(start, start + lifetime)

    @classmethod
    def unbounded(cls) -> Validity:
        return cls(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))

    def contains(self, moment: datetime) -> bool:
        return self.not_before <= moment < self.not_after

    def check(self, moment: datetime, *, kid: str) -> None:
        if moment < self.not_before:
            raise KeyNotYetValid(f"key {kid} is valid from {self.not_before.isoformat()}")
        if moment >= self.not_after:
            raise KeyExpired(f"key {kid} expired at {self.not_after.isoformat()}")

    def intersect(self, other: Validity) -> Validity:
        return Validity(
            max(self.not_before, other.not_before), min(self.not_after, other.not_after)
        )


def certificate_validity(certificate: x509.Certificate) -> Validity:
    return Validity(certificate.not_valid_before_utc, certificate.not_valid_after_utc)


@dataclass(frozen=True, eq=False)
class TrustedKey:
    """A public key we accept, for one issuer, some purposes, a time window and algorithms."""

    kid: str
    public_key: PublicKey = field(repr=False)
    issuer: str
    purposes: frozenset[str]
    validity: Validity
    jws_algorithms: frozenset[str]
    xml_signature_methods: frozenset[str]
    certificate: x509.Certificate | None = field(default=None, repr=False)

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key)

    def public_pem(self) -> bytes:
        return public_key_pem(self.public_key)


@dataclass(frozen=True, eq=False)
class SigningKey:
    """A private key with the same metadata; ``repr`` never shows key material."""

    kid: str
    private_key: PrivateKey = field(repr=False)
    purposes: frozenset[str]
    validity: Validity
    jws_algorithms: tuple[str, ...]
    xml_signature_methods: tuple[str, ...]
    certificate: x509.Certificate | None = field(default=None, repr=False)

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def trusted(self, *, issuer: str) -> TrustedKey:
        """The verifier's view of this key, as published for ``issuer``."""
        return TrustedKey(
            kid=self.kid,
            public_key=self.public_key,
            issuer=issuer,
            purposes=self.purposes,
            validity=self.validity,
            jws_algorithms=frozenset(self.jws_algorithms),
            xml_signature_methods=frozenset(self.xml_signature_methods),
            certificate=self.certificate,
        )

    def check_usable(self, moment: datetime, *, purpose: str) -> None:
        """Refuse to sign outside the window or for another purpose (a caller bug)."""
        if purpose not in self.purposes:
            raise ConfigurationError(f"key {self.kid} is not for {purpose!r}")
        try:
            self.validity.check(as_utc(moment), kid=self.kid)
        except (KeyExpired, KeyNotYetValid) as error:
            raise ConfigurationError(str(error)) from error

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def kid_of(public_key: PublicKey) -> str:
    return thumbprint(public_jwk(public_key))


def generate_private_key(kind: KeyKind) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ConfigurationError(f"unknown key kind {kind!r}")


def kind_of(public_key: PublicKey) -> KeyKind:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ec-p256"
    return "ed25519"


def signing_key(
    private_key: PrivateKey,
    *,
    purposes: Iterable[str],
    validity: Validity,
    certificate: x509.Certificate | None = None,
    jws_algorithms: Iterable[str] | None = None,
    xml_signature_methods: Iterable[str] | None = None,
) -> SigningKey:
    """Wrap a private key; the allow-lists default to what its type supports."""
    public_key = private_key.public_key()
    if certificate is not None:
        if certificate.public_key() != public_key:
            raise ConfigurationError("certificate does not match the private key")
        validity = validity.intersect(certificate_validity(certificate))
    return SigningKey(
        kid=kid_of(public_key),
        private_key=private_key,
        purposes=frozenset(purposes),
        validity=validity,
        jws_algorithms=tuple(jws_algorithms or default_jws_algorithms(public_key)),
        xml_signature_methods=tuple(
            default_xml_signature_methods(public_key)
            if xml_signature_methods is None
            else xml_signature_methods
        ),
        certificate=certificate,
    )


def generate_signing_key(
    kind: KeyKind,
    *,
    purposes: Iterable[str],
    now: datetime | None = None,
    lifetime: timedelta = DEFAULT_KEY_LIFETIME,
) -> SigningKey:
    """A new RSA-3072, ECDSA P-256 or Ed25519 key valid from ``now`` for ``lifetime``."""
    start = as_utc(now or utcnow())
    return signing_key(
        generate_private_key(kind), purposes=purposes, validity=Validity.starting(start, lifetime)
    )


def trusted_key(
    public_key: PublicKey,
    *,
    issuer: str,
    purposes: Iterable[str],
    validity: Validity,
    jws_algorithms: Iterable[str] | None = None,
    xml_signature_methods: Iterable[str] | None = None,
    certificate: x509.Certificate | None = None,
) -> TrustedKey:
    if certificate is not None:
        validity = validity.intersect(certificate_validity(certificate))
    return TrustedKey(
        kid=kid_of(public_key),
        public_key=public_key,
        issuer=issuer,
        purposes=frozenset(purposes),
        validity=validity,
        jws_algorithms=frozenset(jws_algorithms or default_jws_algorithms(public_key)),
        xml_signature_methods=frozenset(
            default_xml_signature_methods(public_key)
            if xml_signature_methods is None
            else xml_signature_methods
        ),
        certificate=certificate,
    )


def public_key_pem(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key_pem(data: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ConfigurationError(f"unsupported private key type {type(key).__name__}")
    return key


def load_public_key_pem(data: bytes) -> PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ConfigurationError(f"unsupported public key type {type(key).__name__}")
    return key
