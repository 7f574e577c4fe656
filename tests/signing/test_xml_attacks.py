"""Everything else an attacker tries on a signed Assertion, each with its own error."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree

from signing.algorithms import RSA_SHA512
from signing.errors import (
    CommentInSignedContent,
    DigestMismatch,
    DisallowedCanonicalization,
    DisallowedDigestAlgorithm,
    DisallowedSignatureAlgorithm,
    DisallowedTransform,
    DuplicateId,
    KeyExpired,
    KeyNotYetValid,
    MalformedSignature,
    MixedContent,
    MultipleSignatures,
    ProcessingInstructionInSignedContent,
    ReferenceMismatch,
    SignatureInvalid,
    SignatureMissing,
    SignedElementIdInvalid,
    SignedElementMissing,
    UntrustedKey,
)
from signing.keys import Purpose, SigningKey, Validity, trusted_key, utcnow
from signing.truststore import TrustStore
from signing.xmldsig import signed_text
from tests.signing import saml

DS = saml.DS_NS
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


@pytest.fixture(scope="module")
def signed(rsa_key: SigningKey) -> bytes:
    return saml.signed_assertion_response(rsa_key)


def mutate(document: bytes, change: Callable[[Any], None]) -> bytes:
    """Apply an attacker's edit with an unconstrained parser."""
    root = etree.fromstring(document)
    change(root)
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


def _first(root: Any, local: str, ns: str = DS) -> Any:
    return root.find(f".//{{{ns}}}{local}")


def _set_transforms(root: Any, *algorithms: str) -> list[Any]:
    transforms = _first(root, "Transforms")
    for child in list(transforms):
        transforms.remove(child)
    return [
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=algorithm)
        for algorithm in algorithms
    ]


# --- comment and processing-instruction injection (CVE-2017-11427 family) ---------------


def test_comment_injection_into_signed_text_is_refused(
    rsa_key: SigningKey, trust: TrustStore
) -> None:
    # The attacker owns alice@example.com.evil.test and gets it signed, then splits it.
    signed = saml.signed_assertion_response(rsa_key, name_id="alice@example.com.evil.test")
    injected = signed.replace(b"alice@example.com.evil.test", b"alice@example.com<!---->.evil.test")
    # Canonical XML drops comments: the signature still verifies for a bare verifier ...
    assert saml.naive_xmlsec_accepts(injected, rsa_key)
    # ... and a naive .text reader would see "alice@example.com".
    with pytest.raises(CommentInSignedContent):
        saml.verify_assertion(injected, trust)


def test_processing_instruction_injection_is_refused(signed: bytes, trust: TrustStore) -> None:
    injected = signed.replace(b"alice@example.com", b"alice@example.com<?evil .evil.test?>")
    with pytest.raises(ProcessingInstructionInSignedContent):
        saml.verify_assertion(injected, trust)


def test_comments_outside_the_signed_element_do_not_matter(
    signed: bytes, trust: TrustStore
) -> None:
    commented = signed.replace(b"<samlp:Status>", b"<!-- unsigned --><samlp:Status>")
    assert saml.verify_assertion(commented, trust).get("ID") == saml.ASSERTION_ID


def test_signed_text_refuses_mixed_content() -> None:
    element = etree.fromstring(b"<n>alice@example.com<b/>.evil</n>")
    with pytest.raises(MixedContent):
        signed_text(element)
    assert signed_text(etree.fromstring(b"<n>alice</n>")) == "alice"


# --- unsigned, doubly signed, duplicate and missing IDs ---------------------------------


def test_unsigned_assertion_is_refused(trust: TrustStore) -> None:
    with pytest.raises(SignatureMissing):
        saml.verify_assertion(saml.response_xml(), trust)


def test_doubly_signed_assertion_is_refused(signed: bytes, trust: TrustStore) -> None:
    def add_second_signature(root: Any) -> None:
        signature = _first(root, "Signature")
        signature.addnext(deepcopy(signature))

    with pytest.raises(MultipleSignatures):
        saml.verify_assertion(mutate(signed, add_second_signature), trust)


def test_signature_elsewhere_does_not_sign_the_assertion(signed: bytes, trust: TrustStore) -> None:
    def move_signature_to_response(root: Any) -> None:
        signature = _first(root, "Signature")
        root.insert(1, signature)

    with pytest.raises(SignatureMissing):
        saml.verify_assertion(mutate(signed, move_signature_to_response), trust)


def test_response_signature_pointing_at_the_assertion_is_refused(
    rsa_key: SigningKey, trust: TrustStore
) -> None:
    def point_at_assertion(root: Any) -> None:
        _first(root, "Reference").set("URI", f"#{saml.ASSERTION_ID}")

    document = mutate(saml.signed_response(rsa_key), point_at_assertion)
    with pytest.raises(ReferenceMismatch):
        saml.verify_response(document, trust)


@pytest.mark.parametrize("uri", ["", "#xpointer(/)", f"#xpointer(id('{saml.ASSERTION_ID}'))"])
def test_reference_must_be_the_elements_own_id(signed: bytes, trust: TrustStore, uri: str) -> None:
    document = mutate(signed, lambda root: _first(root, "Reference").set("URI", uri))
    with pytest.raises(ReferenceMismatch):
        saml.verify_assertion(document, trust)


def test_two_references_are_refused(signed: bytes, trust: TrustStore) -> None:
    def duplicate_reference(root: Any) -> None:
        reference = _first(root, "Reference")
        reference.addnext(deepcopy(reference))

    with pytest.raises(ReferenceMismatch):
        saml.verify_assertion(mutate(signed, duplicate_reference), trust)


def test_duplicate_ids_are_refused(signed: bytes, trust: TrustStore) -> None:
    document = signed.replace(
        f'ID="{saml.RESPONSE_ID}"'.encode(), f'ID="{saml.ASSERTION_ID}"'.encode()
    )
    with pytest.raises(DuplicateId):
        saml.verify_assertion(document, trust)


@pytest.mark.parametrize("attribute", ["Id", "id", "xml:id"])
def test_ids_are_unique_across_id_attribute_names(
    signed: bytes, trust: TrustStore, attribute: str
) -> None:
    twin = f'<saml:Attribute {attribute}="{saml.ASSERTION_ID}" Name="x"/>'.encode()
    document = signed.replace(b"<samlp:Status>", twin + b"<samlp:Status>")
    with pytest.raises(DuplicateId):
        saml.verify_assertion(document, trust)


def test_assertion_without_id_is_refused(signed: bytes, trust: TrustStore) -> None:
    document = mutate(signed, lambda root: root.find(saml.ASSERTION).attrib.pop("ID"))
    with pytest.raises(SignedElementIdInvalid):
        saml.verify_assertion(document, trust)


def test_missing_element_is_refused(trust: TrustStore) -> None:
    with pytest.raises(SignedElementMissing):
        saml.verify_assertion(b"<r/>", trust)


# --- keys: untrusted, only in KeyInfo, outside validity, wrong purpose -------------------


def test_key_that_is_not_trusted_is_refused(attacker_key: SigningKey, trust: TrustStore) -> None:
    document = saml.signed_assertion_response(attacker_key)
    with pytest.raises(UntrustedKey):
        saml.verify_assertion(document, trust)


def test_key_supplied_only_in_keyinfo_is_refused(attacker_key: SigningKey) -> None:
    # The document carries the attacker's certificate; nobody trusts anything for the issuer.
    document = saml.signed_assertion_response(attacker_key)
    assert b"X509Certificate" in document
    with pytest.raises(UntrustedKey):
        saml.verify_assertion(document, TrustStore())


def test_keyinfo_keyvalue_is_ignored(attacker_key: SigningKey, trust: TrustStore) -> None:
    def replace_keyinfo_with_key_value(root: Any) -> None:
        key_info = _first(root, "KeyInfo")
        for child in list(key_info):
            key_info.remove(child)
        numbers = attacker_key.public_key.public_numbers()  # type: ignore[union-attr]
        value = etree.SubElement(key_info, f"{{{DS}}}KeyValue")
        rsa_value = etree.SubElement(value, f"{{{DS}}}RSAKeyValue")
        import base64

        etree.SubElement(rsa_value, f"{{{DS}}}Modulus").text = base64.b64encode(
            numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        ).decode()
        etree.SubElement(rsa_value, f"{{{DS}}}Exponent").text = "AQAB"

    document = mutate(saml.signed_assertion_response(attacker_key), replace_keyinfo_with_key_value)
    with pytest.raises(UntrustedKey):
        saml.verify_assertion(document, trust)


def test_trusted_key_for_another_purpose_is_not_used(rsa_key: SigningKey, signed: bytes) -> None:
    jwt_only = TrustStore(
        [
            trusted_key(
                rsa_key.public_key,
                issuer=saml.IDP_ENTITY_ID,
                purposes={Purpose.JWT},
                validity=rsa_key.validity,
            )
        ]
    )
    with pytest.raises(UntrustedKey):
        saml.verify_assertion(signed, jwt_only)


def test_trusted_key_for_another_issuer_is_not_used(rsa_key: SigningKey, signed: bytes) -> None:
    other = TrustStore([rsa_key.trusted(issuer="https://someone-else.test")])
    with pytest.raises(UntrustedKey):
        saml.verify_assertion(signed, other)


def _trust_with_validity(key: SigningKey, validity: Validity) -> TrustStore:
    return TrustStore(
        [
            trusted_key(
                key.public_key,
                issuer=saml.IDP_ENTITY_ID,
                purposes={Purpose.SAML},
                validity=validity,
            )
        ]
    )


def test_expired_key_is_refused(rsa_key: SigningKey, signed: bytes) -> None:
    now = utcnow()
    store = _trust_with_validity(
        rsa_key, Validity(now - timedelta(days=2), now - timedelta(days=1))
    )
    with pytest.raises(KeyExpired):
        saml.verify_assertion(signed, store)


def test_key_not_yet_valid_is_refused(rsa_key: SigningKey, signed: bytes) -> None:
    now = utcnow()
    store = _trust_with_validity(
        rsa_key, Validity(now + timedelta(days=1), now + timedelta(days=2))
    )
    with pytest.raises(KeyNotYetValid):
        saml.verify_assertion(signed, store)


def test_validity_is_checked_at_the_given_time(rsa_key: SigningKey, signed: bytes) -> None:
    store = TrustStore([rsa_key.trusted(issuer=saml.IDP_ENTITY_ID)])
    assert saml.verify_assertion(signed, store, now=rsa_key.validity.not_before) is not None
    with pytest.raises(KeyExpired):
        saml.verify_assertion(signed, store, now=rsa_key.validity.not_after)


def test_algorithm_must_be_on_the_keys_allow_list(rsa_key: SigningKey, signed: bytes) -> None:
    only_sha512 = TrustStore(
        [
            trusted_key(
                rsa_key.public_key,
                issuer=saml.IDP_ENTITY_ID,
                purposes={Purpose.SAML},
                validity=rsa_key.validity,
                xml_signature_methods=[RSA_SHA512],
            )
        ]
    )
    with pytest.raises(DisallowedSignatureAlgorithm):
        saml.verify_assertion(signed, only_sha512)


# --- tampering -------------------------------------------------------------------------


def test_changed_digest_is_refused(signed: bytes, trust: TrustStore) -> None:
    def change_digest(root: Any) -> None:
        _first(root, "DigestValue").text = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    with pytest.raises(DigestMismatch):
        saml.verify_assertion(mutate(signed, change_digest), trust)


def test_changed_content_is_refused(signed: bytes, trust: TrustStore) -> None:
    with pytest.raises(DigestMismatch):
        saml.verify_assertion(signed.replace(b"substantial", b"high"), trust)


def test_changed_signature_value_is_refused(signed: bytes, trust: TrustStore) -> None:
    def flip(root: Any) -> None:
        node = _first(root, "SignatureValue")
        text = "".join(node.text.split())
        node.text = ("B" if text[0] == "A" else "A") + text[1:]

    with pytest.raises(SignatureInvalid):
        saml.verify_assertion(mutate(signed, flip), trust)


# --- algorithms and transforms ---------------------------------------------------------

XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH2 = "http://www.w3.org/2002/06/xmldsig-filter2"
BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


def _with_xslt(root: Any) -> None:
    _env, xslt = _set_transforms(root, ENVELOPED, XSLT)
    stylesheet = etree.SubElement(
        xslt, "{http://www.w3.org/1999/XSL/Transform}stylesheet", version="1.0"
    )
    etree.SubElement(stylesheet, "{http://www.w3.org/1999/XSL/Transform}template", match="/")


def _with_xpath(root: Any) -> None:
    _env, xpath = _set_transforms(root, ENVELOPED, XPATH)
    etree.SubElement(xpath, f"{{{DS}}}XPath").text = "not(ancestor-or-self::ds:Signature)"


def _with_xpath2(root: Any) -> None:
    _env, xpath = _set_transforms(root, ENVELOPED, XPATH2)
    etree.SubElement(xpath, f"{{{XPATH2}}}XPath", Filter="subtract").text = "//saml:Subject"


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(_with_xslt, id="xslt"),
        pytest.param(_with_xpath, id="xpath"),
        pytest.param(_with_xpath2, id="xpath-filter2"),
        pytest.param(lambda root: _set_transforms(root, ENVELOPED, BASE64), id="base64"),
        pytest.param(
            lambda root: _set_transforms(root, ENVELOPED, EXC_C14N + "WithComments"),
            id="c14n-with-comments",
        ),
        pytest.param(lambda root: _set_transforms(root, EXC_C14N), id="no-enveloped"),
        pytest.param(lambda root: _set_transforms(root, ENVELOPED, EXC_C14N, EXC_C14N), id="three"),
        pytest.param(lambda root: _set_transforms(root, EXC_C14N, ENVELOPED), id="reordered"),
    ],
)
def test_disallowed_transforms_are_refused(
    signed: bytes, trust: TrustStore, attack: Callable[[Any], None]
) -> None:
    with pytest.raises(DisallowedTransform):
        saml.verify_assertion(mutate(signed, attack), trust)


@pytest.mark.parametrize(
    "algorithm",
    [
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    ],
)
def test_disallowed_signature_methods_are_refused(
    signed: bytes, trust: TrustStore, algorithm: str
) -> None:
    document = mutate(
        signed, lambda root: _first(root, "SignatureMethod").set("Algorithm", algorithm)
    )
    with pytest.raises(DisallowedSignatureAlgorithm):
        saml.verify_assertion(document, trust)


@pytest.mark.parametrize(
    "algorithm",
    ["http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmldsig-more#md5"],
)
def test_disallowed_digests_are_refused(signed: bytes, trust: TrustStore, algorithm: str) -> None:
    document = mutate(signed, lambda root: _first(root, "DigestMethod").set("Algorithm", algorithm))
    with pytest.raises(DisallowedDigestAlgorithm):
        saml.verify_assertion(document, trust)


@pytest.mark.parametrize(
    "algorithm", [EXC_C14N + "WithComments", XSLT, "http://www.w3.org/2006/12/xml-c14n11"]
)
def test_disallowed_canonicalization_is_refused(
    signed: bytes, trust: TrustStore, algorithm: str
) -> None:
    document = mutate(
        signed, lambda root: _first(root, "CanonicalizationMethod").set("Algorithm", algorithm)
    )
    with pytest.raises(DisallowedCanonicalization):
        saml.verify_assertion(document, trust)


def test_hmac_output_length_parameter_is_refused(signed: bytes, trust: TrustStore) -> None:
    def truncate(root: Any) -> None:
        etree.SubElement(_first(root, "SignatureMethod"), f"{{{DS}}}HMACOutputLength").text = "0"

    with pytest.raises(MalformedSignature):
        saml.verify_assertion(mutate(signed, truncate), trust)


def test_object_inside_the_signature_is_refused(signed: bytes, trust: TrustStore) -> None:
    document = mutate(
        signed, lambda root: etree.SubElement(_first(root, "Signature"), f"{{{DS}}}Object")
    )
    with pytest.raises(MalformedSignature):
        saml.verify_assertion(document, trust)


def test_signature_without_signed_info_is_refused(signed: bytes, trust: TrustStore) -> None:
    def drop_signed_info(root: Any) -> None:
        signature = _first(root, "Signature")
        signature.remove(_first(root, "SignedInfo"))

    with pytest.raises(MalformedSignature):
        saml.verify_assertion(mutate(signed, drop_signed_info), trust)
