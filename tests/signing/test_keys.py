"""Key generation, certificates, JWKs and trust stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing.certificates import (
    certificate_pem,
    issue_member_certificate,
    issue_root_certificate,
    load_certificate_pem,
    verify_issued_by,
)
from signing.errors import (
    ConfigurationError,
    KeyExpired,
    KeyNotYetValid,
    UnknownKeyId,
    UntrustedCertificate,
    UntrustedKey,
)
from signing.jwks import public_jwk, public_key_from_jwk, thumbprint
from signing.keys import (
    Purpose,
    SigningKey,
    Validity,
    generate_private_key,
    generate_signing_key,
    utcnow,
)
from signing.truststore import (
    TrustStore,
    jwks_document,
    key_by_id,
    trusted_keys_from_jwks,
    usable_keys,
)
from tests.signing.conftest import Federation

# RFC 7638 §3.1: the example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
    "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW"
    "2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6"
    "WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_rfc7638_thumbprint_example() -> None:
    assert thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    key = public_key_from_jwk(RFC7638_JWK)
    assert thumbprint(public_jwk(key)) == RFC7638_THUMBPRINT


@pytest.mark.parametrize(
    ("kind", "expected_type", "algorithms"),
    [
        ("rsa", rsa.RSAPrivateKey, ("PS256", "RS256")),
        ("ec-p256", ec.EllipticCurvePrivateKey, ("ES256",)),
        ("ed25519", ed25519.Ed25519PrivateKey, ("EdDSA",)),
    ],
)
def test_generated_keys(kind: str, expected_type: type, algorithms: tuple[str, ...]) -> None:
    key = generate_signing_key(kind, purposes={Purpose.JWT})  # type: ignore[arg-type]
    assert isinstance(key.private_key, expected_type)
    assert key.jws_algorithms == algorithms
    assert key.kid == thumbprint(public_jwk(key.public_key))
    assert key.validity.contains(utcnow())
    assert "private_key" not in repr(key)
    round_trip = public_key_from_jwk(public_jwk(key.public_key))
    assert public_jwk(round_trip) == public_jwk(key.public_key)


def test_rsa_keys_are_3072_bits() -> None:
    key = generate_private_key("rsa")
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 3072


def test_private_members_are_refused_in_jwks() -> None:
    with pytest.raises(ValueError, match="private"):
        public_key_from_jwk({**RFC7638_JWK, "d": "AAAA"})


def test_certificate_chain(federation: Federation) -> None:
    member = federation.member_key
    assert member.certificate is not None
    now = utcnow()
    verify_issued_by(member.certificate, root=federation.root_certificate, at=now)
    assert load_certificate_pem(certificate_pem(member.certificate)) == member.certificate
    with pytest.raises(KeyExpired):
        verify_issued_by(
            member.certificate, root=federation.root_certificate, at=now + timedelta(days=400)
        )
    with pytest.raises(KeyNotYetValid):
        verify_issued_by(
            member.certificate, root=federation.root_certificate, at=now - timedelta(days=1)
        )


def test_certificate_from_another_root_is_untrusted(federation: Federation) -> None:
    other_key = generate_private_key("ec-p256")
    validity = Validity.starting(utcnow() - timedelta(hours=1), timedelta(days=10))
    # Same subject name as the real root, different key: only the signature tells them apart.
    impostor = issue_root_certificate(
        other_key, common_name="Test Root", organization="Test", validity=validity
    )
    certificate = issue_member_certificate(
        ca_key=other_key,
        ca_certificate=impostor,
        public_key=generate_private_key("ec-p256").public_key(),
        region_code="310000",
        common_name="x",
        organization="x",
        validity=validity,
    )
    with pytest.raises(UntrustedCertificate):
        verify_issued_by(certificate, root=federation.root_certificate, at=utcnow())


def test_trust_store_from_certificates_checks_the_chain(federation: Federation) -> None:
    member = federation.member_key
    assert member.certificate is not None
    store = TrustStore.from_certificates(
        [member.certificate],
        issuer="node",
        purposes={Purpose.SAML},
        root=federation.root_certificate,
        at=utcnow(),
    )
    (key,) = store.keys_for(issuer="node", purpose=Purpose.SAML)
    assert key.kid == member.kid
    assert key.validity.not_after == member.certificate.not_valid_after_utc


def test_validity_window_is_half_open() -> None:
    start = utcnow()
    window = Validity.starting(start, timedelta(hours=1))
    assert window.contains(start)
    assert not window.contains(start + timedelta(hours=1))
    with pytest.raises(ConfigurationError):
        Validity(start, start)


def test_usable_keys_explains_why_none_are_usable(rsa_key: SigningKey) -> None:
    store = TrustStore([rsa_key.trusted(issuer="i")])
    assert usable_keys(store, issuer="i", purpose=Purpose.JWT, at=utcnow())
    with pytest.raises(UntrustedKey):
        usable_keys(store, issuer="other", purpose=Purpose.JWT, at=utcnow())
    with pytest.raises(UntrustedKey):
        usable_keys(store, issuer="i", purpose=Purpose.REGISTRY, at=utcnow())
    with pytest.raises(KeyNotYetValid):
        usable_keys(
            store,
            issuer="i",
            purpose=Purpose.JWT,
            at=rsa_key.validity.not_before - timedelta(seconds=1),
        )
    with pytest.raises(KeyExpired):
        usable_keys(store, issuer="i", purpose=Purpose.JWT, at=rsa_key.validity.not_after)
    with pytest.raises(UnknownKeyId):
        key_by_id(store, "../../etc/passwd", issuer="i", purpose=Purpose.JWT, at=utcnow())


def test_one_kid_cannot_belong_to_two_issuers(rsa_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="claimed"):
        TrustStore([rsa_key.trusted(issuer="a"), rsa_key.trusted(issuer="b")])


def test_jwks_round_trip_keeps_validity(ec_key: SigningKey, ed_key: SigningKey) -> None:
    trusted = [ec_key.trusted(issuer="i"), ed_key.trusted(issuer="i")]
    document = jwks_document(trusted)
    assert all("d" not in entry for entry in document["keys"])
    back = trusted_keys_from_jwks(document, issuer="i", purposes={Purpose.JWT})
    assert [key.kid for key in back] == [key.kid for key in trusted]
    assert back[0].validity.not_after.replace(microsecond=0) == ec_key.validity.not_after.replace(
        microsecond=0
    )
    assert back[0].jws_algorithms == frozenset({"ES256"})


def test_jwks_with_a_forged_kid_is_refused(ec_key: SigningKey) -> None:
    document = jwks_document([ec_key.trusted(issuer="i")])
    document["keys"][0]["kid"] = "someone-elses-kid"
    with pytest.raises(ValueError, match="thumbprint"):
        trusted_keys_from_jwks(document, issuer="i", purposes={Purpose.JWT})


def test_every_error_has_its_own_reason() -> None:
    import re

    from signing import errors

    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.SigningError)
    ]
    reasons = [cls.reason for cls in classes]
    assert len(set(reasons)) == len(reasons)
    for cls in classes:
        assert cls.reason == re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()
