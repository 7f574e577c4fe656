"""A federation root CA and member certificates issued by it (for the demo).

Real deployments load their own PEM files; the demo needs a complete,
self-consistent chain so that ``xmlsec1 --trusted-pem`` and SAML metadata
consumers see ordinary X.509 certificates.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.algorithms import PrivateKey, PublicKey
from signing.errors import KeyExpired, KeyNotYetValid, UntrustedCertificate
from signing.keys import Validity, as_utc


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    # Ed25519 signs the message itself; every other key type hashes with SHA-256.
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _name(common_name: str, organization: str, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def issue_root_certificate(
    key: PrivateKey, *, common_name: str, organization: str, validity: Validity
) -> x509.Certificate:
    """A self-signed CA certificate that may issue end-entity certificates only."""
    name = _name(common_name, organization)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(as_utc(validity.not_before))
        .not_valid_after(as_utc(validity.not_after))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, _hash_for(key))
    )


def issue_member_certificate(
    *,
    ca_key: PrivateKey,
    ca_certificate: x509.Certificate,
    public_key: PublicKey,
    region_code: str,
    common_name: str,
    organization: str,
    validity: Validity,
) -> x509.Certificate:
    """An end-entity signing certificate for one region (OU carries the region code)."""
    not_before = max(as_utc(validity.not_before), ca_certificate.not_valid_before_utc)
    not_after = min(as_utc(validity.not_after), ca_certificate.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization, region_code))
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, _hash_for(ca_key))
    )


def verify_issued_by(
    certificate: x509.Certificate, *, root: x509.Certificate, at: datetime
) -> None:
    """One-level chain check: signed by ``root``, both within validity, root is a CA."""
    moment = as_utc(at)
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    if not constraints.ca:
        raise UntrustedCertificate("the root certificate is not a CA")
    if certificate.issuer != root.subject:
        raise UntrustedCertificate("certificate was not issued by the federation root")
    try:
        certificate.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError) as error:
        raise UntrustedCertificate("certificate signature does not verify with the root") from error
    for cert in (root, certificate):
        if moment < cert.not_valid_before_utc:
            raise KeyNotYetValid(f"certificate {cert.subject.rfc4514_string()} not yet valid")
        if moment >= cert.not_valid_after_utc:
            raise KeyExpired(f"certificate {cert.subject.rfc4514_string()} expired")


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def load_certificate_pem(data: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(data)


def load_certificates_pem(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)
