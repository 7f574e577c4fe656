"""How a refused signature shaped like other products' is named (signing/xmldsig.py).

Our own signatures use exclusive c14n without InclusiveNamespaces, put nothing around the
Signature and write the certificate in one line. Other SAML products (Shibboleth, ADFS,
pysaml2) write InclusiveNamespaces, pretty-print around the Signature, wrap base64 at 64 or
76 characters, use inclusive c14n, or put an RSAKeyValue into KeyInfo. After xmlsec has
refused such a signature, the digest is recomputed to name the reason: "changed after
signing" (DigestMismatch) versus "signed by a key we do not trust" (UntrustedKey, when
KeyInfo names a stranger; SignatureInvalid otherwise). These signatures are made here with
xmlsec directly, the way those products make them.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import xmlsec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from signing.algorithms import C14N, EXC_C14N
from signing.certificates import issue_member_certificate, issue_root_certificate
from signing.errors import DigestMismatch, SignatureInvalid, UntrustedKey
from signing.keys import SigningKey, Validity, signing_key
from signing.truststore import TrustStore
from signing.xmldsig import verify_xml

NOW = datetime(2026, 3, 1, tzinfo=UTC)
VALIDITY = Validity(NOW - timedelta(days=1), NOW + timedelta(days=2))
ISSUER = "https://idp.test/md"
NS = "urn:test"
ROOT_TAG = f"{{{NS}}}Root"
DS = "http://www.w3.org/2000/09/xmldsig#"
C = xmlsec.constants
# ``x`` is declared but not used inside: exclusive c14n leaves it out unless
# InclusiveNamespaces names it, inclusive c14n keeps it. Either way the digest differs.
DOCUMENT = f"""<r:Root xmlns:r="{NS}" xmlns:x="urn:unused" ID="_root">
  <r:Issuer>{ISSUER}</r:Issuer>
  <r:Body a="1">
    <r:Value>一</r:Value>
  </r:Body>
</r:Root>"""


def _certified(private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> SigningKey:
    ca = ec.generate_private_key(ec.SECP256R1())
    root = issue_root_certificate(ca, common_name="Root", organization="T", validity=VALIDITY)
    certificate = issue_member_certificate(
        ca_key=ca, ca_certificate=root, public_key=private.public_key(), region_code="310000",
        common_name="node", organization="T", validity=VALIDITY,
    )  # fmt: skip
    return signing_key(private, purposes={"saml"}, validity=VALIDITY, certificate=certificate)


TRUSTED = _certified(ec.generate_private_key(ec.SECP256R1()))
STRANGER = _certified(ec.generate_private_key(ec.SECP256R1()))
RSA_STRANGER = _certified(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def sign_like_others(
    key: SigningKey,
    *,
    c14n: str | None = EXC_C14N,
    prefixes: str = "",
    first: bool = True,
    keyinfo: str = "certificate",
    wrap: int = 0,
) -> bytes:
    """An enveloped signature as another product writes it.

    ``c14n``: the reference's c14n transform (None: only enveloped, which means inclusive
    c14n); ``prefixes``: its InclusiveNamespaces PrefixList; ``first``: the Signature before
    the Issuer (else after it), with pretty-printing whitespace around it either way;
    ``keyinfo``: "certificate", "rsa-key-value" or "none"; ``wrap``: base64 line length
    of KeyInfo's certificate and modulus.
    """
    root = etree.fromstring(DOCUMENT.encode())
    rsa_key = isinstance(key.public_key, rsa.RSAPublicKey)
    method = C.TransformRsaSha256 if rsa_key else C.TransformEcdsaSha256
    signature = xmlsec.template.create(root, C.TransformExclC14N, method, ns="ds")
    issuer = root[0]
    if first:
        root.insert(0, signature)
        root.text, signature.tail = "\n  ", "\n  "
    else:
        issuer.addnext(signature)
        signature.tail = issuer.tail
        issuer.tail = "\n  "
    reference = xmlsec.template.add_reference(signature, C.TransformSha256, uri="#_root")
    xmlsec.template.add_transform(reference, C.TransformEnveloped)
    if c14n is not None:
        transform_id = C.TransformExclC14N if c14n == EXC_C14N else C.TransformInclC14N
        transform = xmlsec.template.add_transform(reference, transform_id)
        if prefixes:
            xmlsec.template.transform_add_c14n_inclusive_namespaces(transform, prefixes)
    if keyinfo == "certificate":
        info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(info))
    context = xmlsec.SignatureContext()
    context.register_id(root, "ID")
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    xmlsec_key = xmlsec.Key.from_memory(pem, C.KeyDataFormatPem)
    assert key.certificate is not None
    certificate = key.certificate.public_bytes(serialization.Encoding.PEM)
    xmlsec_key.load_cert_from_memory(certificate, C.KeyDataFormatPem)
    context.key = xmlsec_key
    context.sign(signature)
    if keyinfo == "rsa-key-value":
        assert isinstance(key.public_key, rsa.RSAPublicKey)
        numbers = key.public_key.public_numbers()
        info = etree.SubElement(signature, f"{{{DS}}}KeyInfo")
        value = etree.SubElement(
            etree.SubElement(info, f"{{{DS}}}KeyValue"), f"{{{DS}}}RSAKeyValue"
        )
        for tag, number in (("Modulus", numbers.n), ("Exponent", numbers.e)):
            raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
            etree.SubElement(value, f"{{{DS}}}{tag}").text = base64.b64encode(raw).decode()
    if wrap:
        for node in signature.iter():
            # KeyInfo is not signed: wrapping it after signing keeps the signature good.
            if node.text and node.tag in (f"{{{DS}}}X509Certificate", f"{{{DS}}}Modulus"):
                text = "".join(node.text.split())
                lines = [text[i : i + wrap] for i in range(0, len(text), wrap)]
                node.text = "\n" + "\n".join(lines) + "\n"
    return etree.tostring(root)


def verify(document: bytes, *trusted: SigningKey) -> object:
    trust = TrustStore([k.trusted(issuer=ISSUER) for k in trusted])
    return verify_xml(
        document, trust=trust, issuer=ISSUER, purpose="saml", element_tag=ROOT_TAG, now=NOW
    )


SHAPES = [
    pytest.param({"c14n": EXC_C14N, "prefixes": "x r"}, id="exc-c14n-with-prefixes"),
    pytest.param({"c14n": EXC_C14N, "prefixes": "x", "first": False}, id="prefixes-after-issuer"),
    pytest.param({"c14n": C14N}, id="inclusive-c14n"),
    pytest.param({"c14n": None}, id="enveloped-only"),
    pytest.param({"c14n": EXC_C14N, "wrap": 64}, id="wrapped-base64"),
    pytest.param({"c14n": C14N, "first": False, "wrap": 76}, id="inclusive-after-issuer"),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_foreign_shape_verifies_with_a_trusted_key(shape: dict[str, object]) -> None:
    document = sign_like_others(TRUSTED, **shape)  # type: ignore[arg-type]
    assert verify(document, TRUSTED).get("ID") == "_root"  # type: ignore[attr-defined]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_stranger_named_in_keyinfo_is_an_untrusted_key_not_a_change(
    shape: dict[str, object],
) -> None:
    document = sign_like_others(STRANGER, **shape)  # type: ignore[arg-type]
    with pytest.raises(UntrustedKey, match="KeyInfo is ignored"):
        verify(document, TRUSTED)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_stranger_without_keyinfo_is_an_invalid_signature(shape: dict[str, object]) -> None:
    document = sign_like_others(STRANGER, keyinfo="none", **shape)  # type: ignore[arg-type]
    with pytest.raises(SignatureInvalid) as refused:
        verify(document, TRUSTED)
    assert type(refused.value) is SignatureInvalid
    assert str(refused.value) == "the signature does not verify with any trusted key"


@pytest.mark.parametrize("shape", SHAPES)
def test_changed_content_in_a_foreign_shape_is_a_digest_mismatch(
    shape: dict[str, object],
) -> None:
    document = sign_like_others(TRUSTED, **shape)  # type: ignore[arg-type]
    changed = document.replace(b'a="1"', b'a="2"')
    assert changed != document
    with pytest.raises(DigestMismatch, match="changed"):
        verify(changed, TRUSTED)


@pytest.mark.parametrize("wrap", [0, 64])
def test_a_stranger_rsa_key_value_is_an_untrusted_key(wrap: int) -> None:
    document = sign_like_others(RSA_STRANGER, keyinfo="rsa-key-value", wrap=wrap)
    assert b"RSAKeyValue" in document and b"X509Certificate" not in document
    with pytest.raises(UntrustedKey):
        verify(document, TRUSTED)


def test_unreadable_keyinfo_is_skipped_not_trusted() -> None:
    document = sign_like_others(STRANGER)
    root = etree.fromstring(document)
    node = root.find(f".//{{{DS}}}X509Certificate")
    node.text = "not base64 !"
    with pytest.raises(SignatureInvalid) as refused:
        verify(etree.tostring(root), TRUSTED)
    assert type(refused.value) is SignatureInvalid
    node.text = base64.b64encode(b"not a certificate").decode()
    with pytest.raises(SignatureInvalid) as refused:
        verify(etree.tostring(root), TRUSTED)
    assert type(refused.value) is SignatureInvalid


def test_an_unreadable_rsa_key_value_is_skipped_and_the_certificate_still_counts() -> None:
    document = sign_like_others(STRANGER)
    root = etree.fromstring(document)
    info = root.find(f".//{{{DS}}}KeyInfo")
    value = etree.SubElement(etree.SubElement(info, f"{{{DS}}}KeyValue"), f"{{{DS}}}RSAKeyValue")
    etree.SubElement(value, f"{{{DS}}}Modulus").text = "AAAA"
    etree.SubElement(value, f"{{{DS}}}Exponent").text = ""
    with pytest.raises(UntrustedKey):
        verify(etree.tostring(root), TRUSTED)


def test_a_digest_value_that_is_not_base64_is_a_digest_mismatch() -> None:
    document = sign_like_others(STRANGER, keyinfo="none")
    root = etree.fromstring(document)
    root.find(f".//{{{DS}}}DigestValue").text = "***"
    with pytest.raises(DigestMismatch):
        verify(etree.tostring(root), TRUSTED)


def test_a_trusted_rsa_key_value_with_a_bad_signature_is_an_invalid_signature() -> None:
    """The RSAKeyValue names a trusted key, so a signature that does not verify is called
    invalid, not signed by a stranger."""
    rsa_trusted = _certified(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    root = etree.fromstring(sign_like_others(rsa_trusted, keyinfo="rsa-key-value"))
    value = root.find(f".//{{{DS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[-1] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureInvalid) as refused:
        verify(etree.tostring(root), rsa_trusted)
    assert type(refused.value) is SignatureInvalid


def test_a_verified_reference_must_resolve_to_the_consumed_element() -> None:
    """The check after xmlsec verified (a second line: verify_xml's earlier checks already
    refuse every document known to reach it), called on its own."""
    from signing.errors import ReferenceMismatch
    from signing.xmldsig import _confirm_reference_target

    root = etree.fromstring(sign_like_others(TRUSTED))
    signature = root.find(f"{{{DS}}}Signature")
    reference = root.find(f".//{{{DS}}}Reference")
    body = root.find(f"{{{NS}}}Body")
    body.set("ID", "_body")
    _confirm_reference_target(root, signature, root, reference)  # the consumed element
    for element, uri in ((body, "#_body"), (root, "#_body")):
        reference.set("URI", uri)
        with pytest.raises(ReferenceMismatch) as refused:
            _confirm_reference_target(root, signature, element, reference)
        assert str(refused.value) == (
            "the verified reference does not resolve to the consumed element"
        )
