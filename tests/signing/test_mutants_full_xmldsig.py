"""signing/xmldsig.py: which keys KeyInfo offers, and the digest recomputed after a failure.

Written for the survivors of the full mutation run (scripts/mutation-run signing). Both
helpers only run after xmlsec has refused a signature, to name the reason; they are
called here on their own so that every layout of text around the Signature, every
wrapping of base64 and every unreadable KeyInfo entry is checked for what it yields.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from lxml import etree

from signing.algorithms import C14N, EXC_C14N, RSA_SHA256, RSA_SHA512, SHA512
from signing.errors import (
    AmbiguousSignedElement,
    CommentInSignedContent,
    ConfigurationError,
    DigestMismatch,
    DisallowedDigestAlgorithm,
    DisallowedSignatureAlgorithm,
    DisallowedTransform,
    MalformedSignature,
    MixedContent,
    MultipleSignatures,
    ProcessingInstructionInSignedContent,
    ReferenceMismatch,
    SignatureInvalid,
    SignatureMissing,
    SignedElementIdInvalid,
    SignedElementMissing,
    SigningError,
    UntrustedKey,
    XmlTooLarge,
)
from signing.keys import SigningKey, signing_key
from signing.truststore import TrustStore
from signing.xml_parsing import XmlLimits
from signing.xmldsig import (
    _check_algorithms,
    _check_c14n_node,
    _check_no_comments_or_pis,
    _digest_matches,
    _explain_failure,
    _keyinfo_public_keys,
    _xmlsec_keys,
    _xmlsec_private_key,
    _xmlsec_public_key,
    sign_element,
    sign_xml,
    signed_text,
    verify_xml,
)
from tests.signing.test_mutants_xmldsig import DOCUMENT, KEY, NOW, OTHER

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
EXC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_NUMBERS = RSA.public_key().public_numbers()
assert KEY.certificate is not None
CERTIFICATE_B64 = base64.b64encode(KEY.certificate.public_bytes(serialization.Encoding.DER))


def _b64(number: int) -> str:
    return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()


def _wrap(text: str, width: int) -> str:
    return "\n" + "\n".join(text[i : i + width] for i in range(0, len(text), width)) + "\n"


def _signature_with(key_info: str) -> Any:
    return etree.fromstring(
        f'<ds:Signature xmlns:ds="{DS_NS}"><ds:SignedInfo/><ds:SignatureValue/>'
        f"{key_info}</ds:Signature>"
    )


def _rsa_key_value(modulus: str | None, exponent: str | None) -> str:
    members = ""
    if modulus is not None:
        members += f"<ds:Modulus>{modulus}</ds:Modulus>"
    if exponent is not None:
        members += f"<ds:Exponent>{exponent}</ds:Exponent>"
    return f"<ds:KeyValue><ds:RSAKeyValue>{members}</ds:RSAKeyValue></ds:KeyValue>"


def _certificate(text: str) -> str:
    return f"<ds:X509Data><ds:X509Certificate>{text}</ds:X509Certificate></ds:X509Data>"


# --- _keyinfo_public_keys --------------------------------------------------------------


def test_no_keyinfo_offers_no_key() -> None:
    assert _keyinfo_public_keys(_signature_with("")) == []


def test_a_certificate_in_keyinfo_offers_its_key_wrapped_or_not() -> None:
    text = CERTIFICATE_B64.decode()
    for written in (text, _wrap(text, 64), _wrap(text, 76)):
        keys = _keyinfo_public_keys(
            _signature_with(f"<ds:KeyInfo>{_certificate(written)}</ds:KeyInfo>")
        )
        assert keys == [KEY.public_key]


def test_a_certificate_with_foreign_characters_is_not_read() -> None:
    # Strict base64: a lenient decoder would skip the "!" and read the certificate.
    text = CERTIFICATE_B64.decode()
    damaged = text[:40] + "!" + text[40:]
    signature = _signature_with(f"<ds:KeyInfo>{_certificate(damaged)}</ds:KeyInfo>")
    assert _keyinfo_public_keys(signature) == []


@pytest.mark.parametrize("unreadable", ["", "not base64 !", base64.b64encode(b"not DER").decode()])
def test_an_unreadable_certificate_is_skipped_and_the_next_one_read(unreadable: str) -> None:
    signature = _signature_with(
        f"<ds:KeyInfo>{_certificate(unreadable)}{_certificate(CERTIFICATE_B64.decode())}</ds:KeyInfo>"
    )
    assert _keyinfo_public_keys(signature) == [KEY.public_key]


def test_only_x509_certificate_elements_are_read_as_certificates() -> None:
    text = CERTIFICATE_B64.decode()
    signature = _signature_with(
        f"<ds:KeyInfo><ds:KeyName>{text}</ds:KeyName><ds:X509Data>"
        f"<ds:X509SubjectName>{text}</ds:X509SubjectName></ds:X509Data></ds:KeyInfo>"
    )
    assert _keyinfo_public_keys(signature) == []


def test_an_rsa_key_value_offers_its_key_wrapped_or_not() -> None:
    modulus, exponent = _b64(RSA_NUMBERS.n), _b64(RSA_NUMBERS.e)
    assert exponent == "AQAB"
    for written, written_exponent in ((modulus, exponent), (_wrap(modulus, 64), " AQ\n AB ")):
        keys = _keyinfo_public_keys(
            _signature_with(f"<ds:KeyInfo>{_rsa_key_value(written, written_exponent)}</ds:KeyInfo>")
        )
        assert [key.public_numbers() for key in keys] == [RSA_NUMBERS]


@pytest.mark.parametrize(
    ("modulus", "exponent"),
    [(None, _b64(RSA_NUMBERS.e)), ("", _b64(RSA_NUMBERS.e)), (_b64(RSA_NUMBERS.n), None),
     ("!!!!", _b64(RSA_NUMBERS.e))],
)  # fmt: skip
def test_an_incomplete_rsa_key_value_is_skipped_and_the_next_one_read(
    modulus: str | None, exponent: str | None
) -> None:
    good = _rsa_key_value(_b64(RSA_NUMBERS.n), _b64(RSA_NUMBERS.e))
    signature = _signature_with(
        f"<ds:KeyInfo>{_rsa_key_value(modulus, exponent)}{good}</ds:KeyInfo>"
    )
    assert [key.public_numbers() for key in _keyinfo_public_keys(signature)] == [RSA_NUMBERS]


def test_modulus_and_exponent_outside_an_rsa_key_value_are_not_read() -> None:
    members = (
        f"<ds:Modulus>{_b64(RSA_NUMBERS.n)}</ds:Modulus>"
        f"<ds:Exponent>{_b64(RSA_NUMBERS.e)}</ds:Exponent>"
    )
    signature = _signature_with(f"<ds:KeyInfo><ds:KeyValue>{members}</ds:KeyValue></ds:KeyInfo>")
    assert _keyinfo_public_keys(signature) == []


def test_certificates_come_before_rsa_key_values() -> None:
    signature = _signature_with(
        f"<ds:KeyInfo>{_rsa_key_value(_b64(RSA_NUMBERS.n), _b64(RSA_NUMBERS.e))}"
        f"{_certificate(CERTIFICATE_B64.decode())}</ds:KeyInfo>"
    )
    keys = _keyinfo_public_keys(signature)
    assert keys[0] == KEY.public_key
    assert keys[1].public_numbers() == RSA_NUMBERS  # type: ignore[union-attr]
    assert len(keys) == 2


# --- _digest_matches -------------------------------------------------------------------

NS = "urn:test"


def _signed(document: str, *, after: bool) -> tuple[Any, Any, Any]:
    """Sign ``document``'s root with our own signer and read it back as verify_xml would.

    Returns (root, signature, reference). Read back: lxml's ``find`` does not see some of
    the nodes xmlsec adds to a tree in place.
    """
    root = etree.fromstring(document.encode())
    sign_element(root, key=KEY, purpose="saml", after=f"{{{NS}}}Issuer" if after else None, now=NOW)
    root = etree.fromstring(etree.tostring(root))
    signature = root.find(f"{DS}Signature")
    return root, signature, signature.find(f"{DS}SignedInfo/{DS}Reference")


def test_the_digest_of_an_untouched_signature_matches() -> None:
    for after in (False, True):
        root, signature, reference = _signed(
            f'<r:Root xmlns:r="{NS}" ID="_r">\n  <r:Issuer>i</r:Issuer>\n  <r:B>b</r:B>\n</r:Root>',
            after=after,
        )
        assert _digest_matches(root, signature, reference)


def test_a_changed_element_does_not_match() -> None:
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer><r:B>b</r:B></r:Root>', after=True
    )
    root.find(f"{{{NS}}}B").text = "c"
    assert not _digest_matches(root, signature, reference)


def test_text_after_a_first_signature_is_kept_where_the_element_had_none() -> None:
    # The element had text "T" before its first child; the text is moved behind the
    # Signature (where a pretty-printer puts it). The signed content is the same, and the
    # recomputed digest must find it so: the element's own text was None.
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r">T<r:Issuer>i</r:Issuer></r:Root>', after=False
    )
    assert root.index(signature) == 0 and root.text == "T"
    root.text, signature.tail = None, "T"
    assert _digest_matches(root, signature, reference)


def test_text_after_a_signature_is_kept_where_the_previous_sibling_had_none() -> None:
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer>T<r:B>b</r:B></r:Root>', after=True
    )
    issuer = root.find(f"{{{NS}}}Issuer")
    assert signature.getprevious() is issuer and issuer.tail == "T"
    issuer.tail, signature.tail = None, "T"
    assert _digest_matches(root, signature, reference)


def test_text_after_a_signature_is_appended_to_what_came_before() -> None:
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r">AB<r:Issuer>i</r:Issuer>CD<r:B>b</r:B></r:Root>',
        after=True,
    )
    issuer = root.find(f"{{{NS}}}Issuer")
    issuer.tail, signature.tail = "C", "D"
    assert _digest_matches(root, signature, reference)
    root2, signature2, reference2 = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r">AB<r:Issuer>i</r:Issuer></r:Root>', after=False
    )
    root2.text, signature2.tail = "A", "B"
    assert _digest_matches(root2, signature2, reference2)


def test_a_wrapped_digest_value_is_read_whole() -> None:
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer></r:Root>', after=True
    )
    value = reference.find(f"{DS}DigestValue")
    value.text = _wrap(value.text, 8)
    assert _digest_matches(root, signature, reference)


@pytest.mark.parametrize("prefix_list", [None, ""])
def test_inclusive_namespaces_without_prefixes_name_no_prefix(prefix_list: str | None) -> None:
    # ``XXXX`` is declared on the element but not used: exclusive c14n leaves it out, so the
    # digest matches only if an InclusiveNamespaces without prefixes adds none.
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" xmlns:XXXX="urn:unused" ID="_r"><r:Issuer>i</r:Issuer></r:Root>',
        after=True,
    )
    transform = reference.findall(f"{DS}Transforms/{DS}Transform")[1]
    inclusive = etree.SubElement(transform, f"{{{EXC_NS}}}InclusiveNamespaces")
    if prefix_list is not None:
        inclusive.set("PrefixList", prefix_list)
    assert _digest_matches(root, signature, reference)


def test_inclusive_namespaces_with_a_prefix_keep_it() -> None:
    root, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" xmlns:u="urn:unused" ID="_r"><r:Issuer>i</r:Issuer></r:Root>',
        after=True,
    )
    transform = reference.findall(f"{DS}Transforms/{DS}Transform")[1]
    etree.SubElement(transform, f"{{{EXC_NS}}}InclusiveNamespaces").set("PrefixList", "u")
    # Signed without ``u``; the diagnosis now includes it, so the digest differs.
    assert not _digest_matches(root, signature, reference)


# --- _explain_failure and signed_text --------------------------------------------------


def test_the_explanations_say_what_went_wrong() -> None:
    document = f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer><r:B>b</r:B></r:Root>'
    trusted = [OTHER.trusted(issuer="x")]
    root, signature, reference = _signed(document, after=True)
    root.find(f"{{{NS}}}B").text = "c"
    changed = _explain_failure(root, signature, reference, trusted)
    assert type(changed) is DigestMismatch
    assert str(changed) == "the signed content or its digest was changed"
    root, signature, reference = _signed(document, after=True)
    stranger = _explain_failure(root, signature, reference, trusted)
    assert type(stranger) is UntrustedKey
    assert str(stranger) == (
        "signed with a key that is not in the trust store (KeyInfo is ignored)"
    )
    root, signature, reference = _signed(document, after=True)
    invalid = _explain_failure(root, signature, reference, [KEY.trusted(issuer="x")])
    assert type(invalid) is SignatureInvalid
    assert str(invalid) == "the signature does not verify with any trusted key"


def test_signed_text_reads_a_leaf_and_refuses_mixed_content() -> None:
    leaf = etree.fromstring(f'<r:V xmlns:r="{NS}">一</r:V>')
    assert signed_text(leaf) == "一"
    assert signed_text(etree.fromstring(f'<r:V xmlns:r="{NS}"/>')) == ""
    mixed = etree.fromstring(f'<r:V xmlns:r="{NS}">a<r:W/>b</r:V>')
    with pytest.raises(MixedContent) as refused:
        signed_text(mixed)
    assert str(refused.value) == f"{{{NS}}}V has child nodes; its text is not one value"


def test_an_ec_key_is_not_an_rsa_key_value() -> None:
    # KEY is an EC key: its certificate's key compares equal to itself and nothing else.
    assert isinstance(KEY.public_key, ec.EllipticCurvePublicKey)
    assert KEY.public_key != OTHER.public_key


def test_one_xmlsec_key_is_built_per_key_object_and_kept() -> None:
    trusted = KEY.trusted(issuer="x")
    public = _xmlsec_public_key(trusted)
    assert _xmlsec_public_key(trusted) is public
    assert _xmlsec_keys[trusted] is public
    # A key object of its own: one cached by another test would hide a cache never written.
    fresh = signing_key(ec.generate_private_key(ec.SECP256R1()), purposes={"saml"},
                        validity=KEY.validity)  # fmt: skip
    private = _xmlsec_private_key(fresh)
    assert _xmlsec_private_key(fresh) is private
    assert _xmlsec_keys[fresh] is private
    # Another key object for the same key gets its own.
    assert _xmlsec_public_key(KEY.trusted(issuer="x")) is not public


# --- sign_element and sign_xml ---------------------------------------------------------

ED = signing_key(ed25519.Ed25519PrivateKey.generate(), purposes={"saml"}, validity=KEY.validity)
RSA_KEY = signing_key(RSA, purposes={"saml"}, validity=KEY.validity)


def _element(id_attribute: str = "ID") -> Any:
    return etree.fromstring(
        f'<r:Root xmlns:r="{NS}" {id_attribute}="_r"><r:Issuer>i</r:Issuer></r:Root>'
    )


def _sign_refusal(key: SigningKey, **options: Any) -> str:
    with pytest.raises(ConfigurationError) as refused:
        sign_element(_element(), key=key, purpose="saml", now=NOW, **options)
    return str(refused.value)


def test_a_key_without_xml_methods_may_not_sign_xml() -> None:
    assert ED.xml_signature_methods == ()
    assert _sign_refusal(ED) == f"key {ED.kid} may not sign XML with any method"


def test_a_method_off_the_keys_list_is_refused_even_if_xmlsec_has_it() -> None:
    assert _sign_refusal(KEY, signature_method=RSA_SHA256) == (
        f"key {KEY.kid} may not sign XML with {RSA_SHA256}"
    )
    assert _sign_refusal(RSA_KEY, signature_method=RSA_SHA512 + "x") == (
        f"key {RSA_KEY.kid} may not sign XML with {RSA_SHA512}x"
    )


def test_a_method_on_the_keys_list_that_xmlsec_lacks_is_refused() -> None:
    listed = dataclasses.replace(KEY, xml_signature_methods=("urn:sm2-sm3",))
    assert _sign_refusal(listed) == f"key {KEY.kid} may not sign XML with urn:sm2-sm3"


def test_a_digest_off_the_allow_list_is_refused() -> None:
    sha1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    assert _sign_refusal(KEY, digest_method=sha1) == f"digest {sha1} is not allowed"


def test_the_signature_is_written_with_the_ds_prefix() -> None:
    element = _element()
    signature = sign_element(element, key=KEY, purpose="saml", now=NOW)
    assert signature.prefix == "ds"
    assert b"<ds:Signature " in etree.tostring(element)


@pytest.mark.parametrize("id_attribute", ["ID", "Id", "id"])
def test_an_element_identified_by_any_id_attribute_is_signed(id_attribute: str) -> None:
    element = _element(id_attribute)
    sign_element(
        element, key=RSA_KEY, purpose="saml", signature_method=RSA_SHA512,
        digest_method=SHA512, now=NOW,
    )  # fmt: skip
    document = etree.tostring(element)
    read = etree.fromstring(document)
    method = read.find(f"{DS}Signature/{DS}SignedInfo/{DS}SignatureMethod")
    digest = read.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}DigestMethod")
    assert (method.get("Algorithm"), digest.get("Algorithm")) == (RSA_SHA512, SHA512)
    trust = TrustStore([RSA_KEY.trusted(issuer="x")])
    verified = verify_xml(
        document, trust=trust, issuer="x", purpose="saml", element_tag=f"{{{NS}}}Root", now=NOW
    )
    assert verified.get(id_attribute) == "_r"


# --- the checks before xmlsec ----------------------------------------------------------


def test_comments_and_processing_instructions_inside_are_named() -> None:
    with pytest.raises(CommentInSignedContent) as comment:
        _check_no_comments_or_pis(etree.fromstring("<r><a>x<!-- c --></a></r>"))
    assert str(comment.value) == "comments are not accepted inside signed content"
    with pytest.raises(ProcessingInstructionInSignedContent) as instruction:
        _check_no_comments_or_pis(etree.fromstring("<r><a>x<?pi data?></a></r>"))
    assert str(instruction.value) == (
        "processing instructions are not accepted inside signed content"
    )
    _check_no_comments_or_pis(etree.fromstring("<r><a>x</a></r>"))


@pytest.mark.parametrize(
    ("algorithm", "named"),
    [
        ("http://www.w3.org/TR/1999/REC-xslt-19991116", "XSLT"),
        ("http://www.w3.org/TR/1999/REC-xpath-19991116", "XPath"),
        ("http://www.w3.org/2002/06/xmldsig-filter2", "XPath Filter 2.0"),
        ("http://www.w3.org/2000/09/xmldsig#base64", "base64"),
        ("urn:other", "urn:other"),
    ],
)
def test_a_dangerous_transform_is_named(algorithm: str, named: str) -> None:
    node = etree.fromstring(f'<ds:Transform xmlns:ds="{DS_NS}" Algorithm="{algorithm}"/>')
    with pytest.raises(DisallowedTransform) as refused:
        _check_c14n_node(node, DisallowedTransform)
    assert str(refused.value) == f"{named} is not allowed"


@pytest.mark.parametrize("algorithm", [EXC_C14N, C14N])
def test_an_allowed_canonicalization_is_returned(algorithm: str) -> None:
    node = etree.fromstring(f'<ds:Transform xmlns:ds="{DS_NS}" Algorithm="{algorithm}"/>')
    assert _check_c14n_node(node, DisallowedTransform) == algorithm


def test_parameters_of_the_enveloped_transform_are_refused_by_name() -> None:
    _, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer></r:Root>', after=True
    )
    signed_info = signature.find(f"{DS}SignedInfo")
    assert _check_algorithms(signed_info, reference) == KEY.xml_signature_methods[0]
    enveloped = reference.findall(f"{DS}Transforms/{DS}Transform")[0]
    etree.SubElement(enveloped, f"{DS}XPath").text = "1"
    with pytest.raises(DisallowedTransform) as refused:
        _check_algorithms(signed_info, reference)
    assert str(refused.value) == "enveloped-signature takes no parameters"


# --- verify_xml's refusals before xmlsec, word for word --------------------------------

ROOT_TAG = f"{{{NS}}}Root"
SIGNED = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", after=None, now=NOW)


def _changed(change: Callable[[Any], None]) -> bytes:
    root = etree.fromstring(SIGNED)
    change(root)
    return etree.tostring(root)


def _refusal(document: bytes, **options: Any) -> tuple[type[Exception], str]:
    trust = TrustStore([KEY.trusted(issuer="https://idp.test/md")])
    settings: dict[str, Any] = {"element_tag": ROOT_TAG, **options}
    with pytest.raises(SigningError) as refused:
        verify_xml(document, trust=trust, issuer="https://idp.test/md", purpose="saml",
                   now=NOW, **settings)  # fmt: skip
    return type(refused.value), str(refused.value)


def test_the_signed_document_itself_verifies() -> None:
    trust = TrustStore([KEY.trusted(issuer="https://idp.test/md")])
    element = verify_xml(SIGNED, trust=trust, issuer="https://idp.test/md", purpose="saml",
                         element_tag=ROOT_TAG, now=NOW)  # fmt: skip
    assert element.get("ID") == "_root"


def test_verify_xml_uses_the_limits_given() -> None:
    assert _refusal(SIGNED, limits=XmlLimits(max_bytes=100)) == (
        XmlTooLarge, f"document is {len(SIGNED)} bytes; the limit is 100",
    )  # fmt: skip


def test_a_missing_or_doubled_element_is_named() -> None:
    other = f"{{{NS}}}Other"
    assert _refusal(SIGNED, element_tag=other) == (SignedElementMissing, f"no {other} element")
    doubled = b"<w>" + SIGNED.split(b"?>", 1)[1] + SIGNED.split(b"?>", 1)[1].replace(
        b'ID="_root"', b'ID="_twin"', 1
    ) + b"</w>"  # fmt: skip
    assert _refusal(doubled) == (
        AmbiguousSignedElement,
        f"2 {ROOT_TAG} elements; exactly one is accepted (signature wrapping?)",
    )


def test_an_element_without_exactly_one_id_is_named() -> None:
    def two_ids(root: Any) -> None:
        root.set("Id", "_other")

    assert _refusal(_changed(two_ids)) == (
        SignedElementIdInvalid, f"{ROOT_TAG} needs exactly one non-empty ID (ID, Id, id)",
    )  # fmt: skip


def test_a_missing_or_doubled_signature_is_named() -> None:
    def unsigned(root: Any) -> None:
        root.remove(root.find(f"{DS}Signature"))

    def doubled(root: Any) -> None:
        root.append(copy.deepcopy(root.find(f"{DS}Signature")))

    assert _refusal(_changed(unsigned)) == (
        SignatureMissing, f"{ROOT_TAG} has no ds:Signature child",
    )  # fmt: skip
    assert _refusal(_changed(doubled)) == (
        MultipleSignatures, f"{ROOT_TAG} has 2 ds:Signature children",
    )  # fmt: skip


def test_a_signature_of_the_wrong_shape_is_named() -> None:
    def with_object(root: Any) -> None:
        etree.SubElement(root.find(f"{DS}Signature"), f"{DS}Object")

    def without_value(root: Any) -> None:
        signature = root.find(f"{DS}Signature")
        signature.remove(signature.find(f"{DS}SignatureValue"))

    def two_key_infos(root: Any) -> None:
        signature = root.find(f"{DS}Signature")
        signature.append(copy.deepcopy(signature.find(f"{DS}KeyInfo")))

    def two_references(root: Any) -> None:
        signed_info = root.find(f"{DS}Signature/{DS}SignedInfo")
        signed_info.append(copy.deepcopy(signed_info.find(f"{DS}Reference")))

    def elsewhere(root: Any) -> None:
        root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference").set("URI", "#_other")

    assert _refusal(_changed(with_object)) == (
        MalformedSignature, f"unexpected content in {DS}Signature",
    )  # fmt: skip
    assert _refusal(_changed(without_value)) == (
        MalformedSignature, f"{DS}Signature needs exactly one {DS}SignatureValue",
    )  # fmt: skip
    assert _refusal(_changed(two_key_infos)) == (MalformedSignature, "more than one ds:KeyInfo")
    assert _refusal(_changed(two_references)) == (
        ReferenceMismatch, "exactly one ds:Reference expected, found 2",
    )  # fmt: skip
    assert _refusal(_changed(elsewhere)) == (
        ReferenceMismatch, "the signature's Reference does not point at the consumed element",
    )  # fmt: skip


def test_transform_lists_out_of_order_or_doubled_are_refused_by_name() -> None:
    _, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer></r:Root>', after=True
    )
    signed_info = signature.find(f"{DS}SignedInfo")
    enveloped, c14n = reference.findall(f"{DS}Transforms/{DS}Transform")
    transforms = reference.find(f"{DS}Transforms")
    transforms.remove(enveloped)
    transforms.append(enveloped)  # c14n first, then enveloped
    with pytest.raises(DisallowedTransform) as order:
        _check_algorithms(signed_info, reference)
    assert str(order.value) == "transforms must be enveloped-signature, then at most one c14n"
    transforms.remove(c14n)
    transforms.append(copy.deepcopy(enveloped))  # enveloped twice
    with pytest.raises(DisallowedTransform) as twice:
        _check_algorithms(signed_info, reference)
    assert str(twice.value) == "enveloped-signature must occur once"


def test_a_digest_method_off_the_list_is_refused_by_name() -> None:
    _, signature, reference = _signed(
        f'<r:Root xmlns:r="{NS}" ID="_r"><r:Issuer>i</r:Issuer></r:Root>', after=True
    )
    sha1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    reference.find(f"{DS}DigestMethod").set("Algorithm", sha1)
    with pytest.raises(DisallowedDigestAlgorithm) as refused:
        _check_algorithms(signature.find(f"{DS}SignedInfo"), reference)
    assert str(refused.value) == f"digest method {sha1} is not allowed"


def test_a_trusted_key_not_allowed_the_method_is_named() -> None:
    narrow = dataclasses.replace(
        KEY.trusted(issuer="https://idp.test/md"), xml_signature_methods=frozenset()
    )
    with pytest.raises(DisallowedSignatureAlgorithm) as refused:
        verify_xml(SIGNED, trust=TrustStore([narrow]), issuer="https://idp.test/md",
                   purpose="saml", element_tag=ROOT_TAG, now=NOW)  # fmt: skip
    assert str(refused.value) == (
        f"no trusted key of 'https://idp.test/md' may use {KEY.xml_signature_methods[0]}"
    )


def test_the_signer_is_found_among_several_trusted_keys() -> None:
    # The ID is registered once for the document, before the first key is tried.
    others = [
        signing_key(ec.generate_private_key(ec.SECP256R1()), purposes={"saml"},
                    validity=KEY.validity).trusted(issuer="https://idp.test/md")
        for _ in range(2)
    ]  # fmt: skip
    trust = TrustStore([*others, KEY.trusted(issuer="https://idp.test/md")])
    element = verify_xml(SIGNED, trust=trust, issuer="https://idp.test/md", purpose="saml",
                         element_tag=ROOT_TAG, now=NOW)  # fmt: skip
    assert element.get("ID") == "_root"
