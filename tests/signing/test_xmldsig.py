"""Signing and the happy path of verification."""

from __future__ import annotations

from datetime import timedelta

import pytest
import xmlsec
from lxml import etree

from signing.algorithms import C14N, RSA_SHA512, SHA512
from signing.errors import ConfigurationError
from signing.keys import Purpose, SigningKey
from signing.truststore import TrustStore
from signing.xmldsig import element_id, sign_element, sign_xml, verify_xml
from tests.signing import saml


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_signed_assertion_verifies_and_returns_the_element_itself(
    which: str, rsa_key: SigningKey, ec_key: SigningKey, trust: TrustStore
) -> None:
    key = rsa_key if which == "rsa" else ec_key
    element = saml.verify_assertion(saml.signed_assertion_response(key), trust)
    assert element.tag == saml.ASSERTION
    assert element_id(element) == ("ID", saml.ASSERTION_ID)
    # The signature sits right after Issuer (schema order) and is a direct child.
    assert [child.tag for child in element][:2] == [saml.ISSUER_TAG, saml.SIGNATURE]
    assert saml.name_id_of(element) == saml.NAME


def test_signature_shape_is_enveloped_exc_c14n_sha256(rsa_key: SigningKey) -> None:
    document = saml.signed_assertion_response(rsa_key)
    root = etree.fromstring(document)
    algorithms = [node.get("Algorithm") for node in root.iter() if node.get("Algorithm")]
    assert algorithms == [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ]
    reference = root.find(f".//{{{saml.DS_NS}}}Reference")
    assert reference.get("URI") == f"#{saml.ASSERTION_ID}"
    assert root.find(f".//{{{saml.DS_NS}}}X509Certificate") is not None


def test_both_response_and_assertion_signed(rsa_key: SigningKey, trust: TrustStore) -> None:
    document = saml.sign_response(saml.signed_assertion_response(rsa_key), rsa_key)
    assert saml.verify_response(document, trust).get("ID") == saml.RESPONSE_ID
    assert saml.verify_assertion(document, trust).get("ID") == saml.ASSERTION_ID


def test_sign_xml_signs_the_element_with_that_id(ec_key: SigningKey, trust: TrustStore) -> None:
    signed = sign_xml(
        saml.response_xml(), key=ec_key, purpose=Purpose.SAML, element_id=saml.RESPONSE_ID
    )
    assert signed.startswith(b"<?xml")
    assert saml.verify_response(signed, trust).get("ID") == saml.RESPONSE_ID


def test_other_algorithms_on_the_allow_list_work(rsa_key: SigningKey, trust: TrustStore) -> None:
    document = saml.sign_assertion(
        saml.response_xml(), rsa_key, signature_method=RSA_SHA512, digest_method=SHA512
    )
    assert saml.verify_assertion(document, trust) is not None


def test_inclusive_c14n_signatures_from_other_signers_verify(
    rsa_key: SigningKey, trust: TrustStore
) -> None:
    root = etree.fromstring(saml.response_xml())
    assertion = root.find(saml.ASSERTION)
    signature = xmlsec.template.create(
        assertion, xmlsec.constants.TransformInclC14N, xmlsec.constants.TransformRsaSha256
    )
    assertion.find(saml.ISSUER_TAG).addnext(signature)
    reference = xmlsec.template.add_reference(
        signature, xmlsec.constants.TransformSha256, uri=f"#{saml.ASSERTION_ID}"
    )
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformInclC14N)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(rsa_key.private_pem(), xmlsec.constants.KeyDataFormatPem)
    context.register_id(assertion, "ID")
    context.sign(signature)
    document = etree.tostring(root)
    assert C14N.encode() in document
    assert saml.verify_assertion(document, trust) is not None


def test_signing_refuses_keys_outside_validity_or_purpose(rsa_key: SigningKey) -> None:
    element = etree.fromstring(saml.response_xml()).find(saml.ASSERTION)
    with pytest.raises(ConfigurationError):
        sign_element(
            element,
            key=rsa_key,
            purpose=Purpose.SAML,
            now=rsa_key.validity.not_after + timedelta(seconds=1),
        )
    with pytest.raises(ConfigurationError):
        sign_element(element, key=rsa_key, purpose=Purpose.REGISTRY)


def test_ed25519_keys_do_not_sign_xml(ed_key: SigningKey) -> None:
    element = etree.fromstring(saml.response_xml()).find(saml.ASSERTION)
    with pytest.raises(ConfigurationError):
        sign_element(element, key=ed_key, purpose=Purpose.SAML)


def test_an_element_is_signed_once(rsa_key: SigningKey) -> None:
    element = etree.fromstring(saml.response_xml()).find(saml.ASSERTION)
    sign_element(element, key=rsa_key, purpose=Purpose.SAML)
    with pytest.raises(ConfigurationError):
        sign_element(element, key=rsa_key, purpose=Purpose.SAML)


def test_verify_xml_only_takes_bytes(trust: TrustStore) -> None:
    with pytest.raises(TypeError):
        verify_xml(
            saml.response_xml().decode(),  # type: ignore[arg-type]
            trust=trust,
            issuer=saml.IDP_ENTITY_ID,
            purpose=Purpose.SAML,
            element_tag=saml.ASSERTION,
        )
