"""XML signatures (signing/xmldsig.py): what ``sign_xml`` writes, and how a refusal is named.

Written for the mutation run (scripts/mutation-run signing). After xmlsec refuses a
signature, the digest is recomputed only to name the reason: "changed after signing"
(DigestMismatch) and "signed by a key we do not trust" (UntrustedKey/SignatureInvalid)
lead to different refusals and audit reasons, so both must come out right for
pretty-printed documents, with the signature first or after the Issuer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from signing.certificates import issue_member_certificate, issue_root_certificate
from signing.errors import (
    ConfigurationError,
    DigestMismatch,
    SignatureInvalid,
    UntrustedKey,
    XmlRejected,
)
from signing.keys import SigningKey, Validity, generate_signing_key, signing_key
from signing.truststore import TrustStore
from signing.xml_parsing import XmlLimits
from signing.xmldsig import sign_xml, verify_xml

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ISSUER = "https://idp.test/md"
NS = "urn:test"
DOCUMENT = f"""<r:Root xmlns:r="{NS}" ID="_root">
  <r:Issuer>{ISSUER}</r:Issuer>
  <r:Body>
    <r:Value>一</r:Value>
  </r:Body>
</r:Root>""".encode()
ISSUER_TAG = f"{{{NS}}}Issuer"
ROOT_TAG = f"{{{NS}}}Root"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
# Valid only around NOW: signing on the wall clock instead of ``now`` fails.
VALIDITY = Validity(NOW - timedelta(days=1), NOW + timedelta(days=2))


def _certified_key() -> SigningKey:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    root = issue_root_certificate(ca_key, common_name="Root", organization="T", validity=VALIDITY)
    private = ec.generate_private_key(ec.SECP256R1())
    certificate = issue_member_certificate(
        ca_key=ca_key, ca_certificate=root, public_key=private.public_key(),
        region_code="310000", common_name="node", organization="T", validity=VALIDITY,
    )  # fmt: skip
    return signing_key(private, purposes={"saml"}, validity=VALIDITY, certificate=certificate)


KEY = _certified_key()
OTHER = generate_signing_key("ec-p256", purposes={"saml"}, now=NOW - timedelta(days=1))


def verify(document: bytes, *trusted: SigningKey) -> object:
    trust = TrustStore([k.trusted(issuer=ISSUER) for k in trusted])
    return verify_xml(
        document, trust=trust, issuer=ISSUER, purpose="saml", element_tag=ROOT_TAG, now=NOW
    )


@pytest.mark.parametrize("after", [ISSUER_TAG, None])
def test_a_signed_document_verifies_and_an_untrusted_signer_is_named(after: str | None) -> None:
    document = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", after=after, now=NOW)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(document)
    signature = root.find(f"{DS}Signature")
    assert signature is not None
    expected_index = 1 if after else 0
    assert list(root).index(signature) == expected_index
    assert root.find(f".//{DS}X509Certificate") is not None
    assert verify(document, KEY).get("ID") == "_root"  # type: ignore[attr-defined]
    # The digest still matches: the refusal is about the key, and KeyInfo names a stranger.
    with pytest.raises(UntrustedKey):
        verify(document, OTHER)


@pytest.mark.parametrize("after", [ISSUER_TAG, None])
def test_without_a_certificate_a_foreign_signature_is_simply_invalid(after: str | None) -> None:
    document = sign_xml(
        DOCUMENT, key=KEY, purpose="saml", element_id="_root", after=after,
        include_certificate=False, now=NOW,
    )  # fmt: skip
    assert etree.fromstring(document).find(f".//{DS}X509Certificate") is None
    with pytest.raises(SignatureInvalid) as refused:
        verify(document, OTHER)
    assert not isinstance(refused.value, DigestMismatch | UntrustedKey)
    assert verify(document, KEY) is not None


@pytest.mark.parametrize("after", [ISSUER_TAG, None])
def test_changed_content_is_named_as_such(after: str | None) -> None:
    document = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", after=after, now=NOW)
    changed = document.replace("一".encode(), "二".encode())
    with pytest.raises(DigestMismatch):
        verify(changed, KEY)
    with pytest.raises(DigestMismatch):
        verify(changed, OTHER)


def test_sign_xml_honours_its_clock_limits_and_target() -> None:
    with pytest.raises(ConfigurationError, match="expired"):
        sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root",
                 now=NOW + timedelta(days=3))  # fmt: skip
    with pytest.raises(XmlRejected):
        sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root",
                 limits=XmlLimits(max_bytes=50), now=NOW)  # fmt: skip
    with pytest.raises(ConfigurationError, match="_nothing"):
        sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_nothing", now=NOW)
