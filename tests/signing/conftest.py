"""Shared keys, trust stores and SAML-shaped documents for the signing tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from signing.certificates import (
    certificate_pem,
    issue_member_certificate,
    issue_root_certificate,
)
from signing.keys import (
    ALL_MEMBER_PURPOSES,
    SigningKey,
    Validity,
    generate_private_key,
    generate_signing_key,
    signing_key,
    utcnow,
)
from signing.truststore import TrustStore
from tests.signing import saml

ISSUER = saml.IDP_ENTITY_ID


@dataclass(frozen=True)
class Federation:
    root_key: SigningKey
    root_certificate: x509.Certificate
    member_key: SigningKey  # RSA-3072 with a certificate issued by the root


@pytest.fixture(scope="session")
def federation() -> Federation:
    now = utcnow()
    root_private = generate_private_key("ec-p256")
    root_validity = Validity.starting(now - timedelta(hours=1), timedelta(days=365))
    root_certificate = issue_root_certificate(
        root_private, common_name="Test Root", organization="Test", validity=root_validity
    )
    root_key = signing_key(
        root_private,
        purposes={"registry"},
        validity=root_validity,
        certificate=root_certificate,
    )
    member_private = generate_private_key("rsa")
    member_certificate = issue_member_certificate(
        ca_key=root_private,
        ca_certificate=root_certificate,
        public_key=member_private.public_key(),
        region_code="310000",
        common_name="Test node 310000",
        organization="上海市",
        validity=root_validity,
    )
    member_key = signing_key(
        member_private,
        purposes=ALL_MEMBER_PURPOSES,
        validity=root_validity,
        certificate=member_certificate,
    )
    return Federation(root_key, root_certificate, member_key)


@pytest.fixture(scope="session")
def rsa_key(federation: Federation) -> SigningKey:
    return federation.member_key


@pytest.fixture(scope="session")
def ec_key() -> SigningKey:
    return generate_signing_key(
        "ec-p256", purposes=ALL_MEMBER_PURPOSES, now=utcnow() - timedelta(hours=1)
    )


@pytest.fixture(scope="session")
def ed_key() -> SigningKey:
    return generate_signing_key(
        "ed25519", purposes=ALL_MEMBER_PURPOSES, now=utcnow() - timedelta(hours=1)
    )


@pytest.fixture(scope="session")
def attacker_key() -> SigningKey:
    """An RSA key with a self-issued certificate: what an attacker puts into KeyInfo."""
    now = utcnow()
    private = generate_private_key("rsa")
    validity = Validity.starting(now - timedelta(hours=1), timedelta(days=30))
    certificate = issue_root_certificate(
        private, common_name="Attacker", organization="Evil", validity=validity
    )
    return signing_key(
        private, purposes=ALL_MEMBER_PURPOSES, validity=validity, certificate=certificate
    )


@pytest.fixture(scope="session")
def trust(rsa_key: SigningKey, ec_key: SigningKey, ed_key: SigningKey) -> TrustStore:
    return TrustStore(key.trusted(issuer=ISSUER) for key in (rsa_key, ec_key, ed_key))


@pytest.fixture
def pem_files(tmp_path: Path, federation: Federation) -> dict[str, Path]:
    """The member key, its certificate and the root certificate as files."""
    paths = {
        "key": tmp_path / "member.key.pem",
        "cert": tmp_path / "member.cert.pem",
        "root": tmp_path / "root.cert.pem",
    }
    paths["key"].write_bytes(federation.member_key.private_pem())
    assert federation.member_key.certificate is not None
    paths["cert"].write_bytes(certificate_pem(federation.member_key.certificate))
    paths["root"].write_bytes(certificate_pem(federation.root_certificate))
    return paths
