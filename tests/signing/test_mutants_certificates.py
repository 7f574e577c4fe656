"""The demo federation's certificates (signing/certificates.py), field by field.

Written for the mutation run (scripts/mutation-run signing): what a SAML metadata
consumer or ``xmlsec1 --trusted-pem`` relies on is pinned here -- the root may issue
end-entity certificates only, a member certificate names its region and may sign but
not issue, validity is clipped to the root's, and the one-level chain check refuses
every way a certificate can fail to belong.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.algorithms import PrivateKey
from signing.certificates import (
    certificate_pem,
    issue_member_certificate,
    issue_root_certificate,
    load_certificate_pem,
    load_certificates_pem,
    verify_issued_by,
)
from signing.errors import KeyExpired, KeyNotYetValid, UntrustedCertificate
from signing.keys import Validity
from signing.truststore import TrustStore

START = datetime(2026, 1, 1, tzinfo=UTC)
ROOT_VALIDITY = Validity(START, START + timedelta(days=100))


def _root(key: PrivateKey | None = None) -> tuple[PrivateKey, x509.Certificate]:
    private: PrivateKey = key or ec.generate_private_key(ec.SECP256R1())
    return private, issue_root_certificate(
        private,
        common_name="Delta Root",
        organization="Delta",
        validity=ROOT_VALIDITY,
    )


def _member(ca_key: PrivateKey, root: x509.Certificate, validity: Validity) -> x509.Certificate:
    return issue_member_certificate(
        ca_key=ca_key,
        ca_certificate=root,
        public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        region_code="310000",
        common_name="Shanghai node",
        organization="Delta",
        validity=validity,
    )


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def test_the_root_is_a_ca_for_end_entities_only() -> None:
    key, root = _root()
    assert root.subject == root.issuer
    assert _values(root.subject, NameOID.COMMON_NAME) == ["Delta Root"]
    assert _values(root.subject, NameOID.ORGANIZATION_NAME) == ["Delta"]
    assert _values(root.subject, NameOID.COUNTRY_NAME) == ["CN"]
    assert _values(root.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == []
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign and usage.value.digital_signature
    assert not (usage.value.key_encipherment or usage.value.content_commitment)
    assert not (usage.value.data_encipherment or usage.value.key_agreement)
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert not ski.critical
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    assert root.not_valid_before_utc == START
    assert root.not_valid_after_utc == START + timedelta(days=100)
    assert isinstance(root.signature_hash_algorithm, hashes.SHA256)
    root.verify_directly_issued_by(root)


def test_a_member_certificate_names_its_region_and_may_only_sign() -> None:
    ca_key, root = _root()
    member = _member(ca_key, root, Validity(START + timedelta(days=1), START + timedelta(days=10)))
    assert member.issuer == root.subject
    assert _values(member.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["310000"]
    assert _values(member.subject, NameOID.COMMON_NAME) == ["Shanghai node"]
    assert [a.oid for a in member.subject][-1] == NameOID.COMMON_NAME
    constraints = member.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = member.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not (usage.value.key_cert_sign or usage.value.crl_sign or usage.value.key_encipherment)
    assert not (usage.value.data_encipherment or usage.value.key_agreement)
    extended = member.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert not extended.critical and list(extended.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    aki = member.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert not aki.critical
    assert aki.value.key_identifier == (
        root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )
    ski = member.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert not ski.critical
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(member.public_key())
    assert member.not_valid_before_utc == START + timedelta(days=1)
    assert member.not_valid_after_utc == START + timedelta(days=10)
    assert isinstance(member.signature_hash_algorithm, hashes.SHA256)
    verify_issued_by(member, root=root, at=START + timedelta(days=2))


def test_member_validity_is_clipped_to_the_roots() -> None:
    ca_key, root = _root()
    wide = Validity(START - timedelta(days=5), START + timedelta(days=500))
    member = _member(ca_key, root, wide)
    assert member.not_valid_before_utc == START
    assert member.not_valid_after_utc == START + timedelta(days=100)


def test_ed25519_roots_sign_without_a_separate_hash() -> None:
    key, root = _root(ed25519.Ed25519PrivateKey.generate())
    assert root.signature_hash_algorithm is None
    member = _member(key, root, ROOT_VALIDITY)
    verify_issued_by(member, root=root, at=START + timedelta(days=1))


def test_the_chain_check_refuses_what_does_not_belong() -> None:
    ca_key, root = _root()
    member = _member(ca_key, root, Validity(START + timedelta(days=1), START + timedelta(days=10)))
    at = START + timedelta(days=2)
    # Another root with the same name: the names match, the signature does not.
    _, impostor = _root()
    with pytest.raises(UntrustedCertificate, match="does not verify"):
        verify_issued_by(member, root=impostor, at=at)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_root = issue_root_certificate(
        other_key, common_name="Other Root", organization="Other", validity=ROOT_VALIDITY
    )
    with pytest.raises(UntrustedCertificate, match="not issued by the federation root"):
        verify_issued_by(member, root=other_root, at=at)
    with pytest.raises(UntrustedCertificate, match="not a CA"):
        verify_issued_by(member, root=member, at=at)
    with pytest.raises(KeyNotYetValid, match="Shanghai"):
        verify_issued_by(member, root=root, at=START)
    with pytest.raises(KeyExpired, match="Shanghai"):
        verify_issued_by(member, root=root, at=START + timedelta(days=10))
    verify_issued_by(member, root=root, at=START + timedelta(days=10) - timedelta(seconds=1))
    verify_issued_by(member, root=root, at=START + timedelta(days=1))
    long_member = _member(ca_key, root, ROOT_VALIDITY)
    with pytest.raises(KeyNotYetValid, match="Delta Root"):
        verify_issued_by(long_member, root=root, at=START - timedelta(seconds=1))
    with pytest.raises(KeyExpired, match="Delta Root"):
        verify_issued_by(long_member, root=root, at=START + timedelta(days=100))


def test_pem_round_trip_and_trust_from_certificates() -> None:
    ca_key, root = _root()
    member = _member(ca_key, root, ROOT_VALIDITY)
    assert load_certificate_pem(certificate_pem(member)) == member
    assert load_certificates_pem(certificate_pem(root) + certificate_pem(member)) == [root, member]
    store = TrustStore.from_certificates(
        [member], issuer="https://a.test/md", purposes={"saml"}, root=root,
        at=START + timedelta(days=1),
    )  # fmt: skip
    (key,) = store.keys_for(issuer="https://a.test/md", purpose="saml")
    assert key.certificate == member and key.validity == ROOT_VALIDITY
    with pytest.raises(ValueError, match="needs the time"):
        TrustStore.from_certificates([member], issuer="x", purposes={"saml"}, root=root)
    _, impostor = _root()
    with pytest.raises(UntrustedCertificate):
        TrustStore.from_certificates(
            [member], issuer="x", purposes={"saml"}, root=impostor, at=START + timedelta(days=1)
        )
    unchecked = TrustStore.from_certificates([member], issuer="x", purposes={"saml"})
    assert len(unchecked) == 1
