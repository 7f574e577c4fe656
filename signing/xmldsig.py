"""Enveloped XML-DSig with xmlsec, and a verifier that is hard to fool.

:func:`verify_xml` answers one question: "is *this* element, the one the
caller is about to consume, signed by a key we trust for this issuer and
purpose?" and returns that very element. The checks, in order, and what each
defeats:

1. hardened parsing (:mod:`signing.xml_parsing`): XXE, entity bombs, size;
2. ID values unique in the whole document: ID confusion between twins;
3. exactly one element of the consumed kind in the document: every signature
   wrapping variant needs a second copy of it (XSW1-XSW8);
4. exactly one ``ds:Signature`` as a direct child of it: unsigned and
   doubly-signed elements, detached signatures elsewhere;
5. a strict ``ds:Signature`` shape (no ``ds:Object``, one ``ds:Reference``):
   hiding wrapped content inside the signature;
6. the Reference URI is ``#`` + the element's own ID: signatures that cover
   something else than what is consumed;
7. allow-listed canonicalization, signature, digest and transforms
   (enveloped + c14n only): XSLT/XPath transform abuse, weak digests;
8. no comments or processing instructions inside the element: the
   CVE-2017-11427 family, where a comment splits signed text invisibly;
9. the key comes from the trust store (issuer, purpose, validity window,
   per-key algorithm allow-list); ``ds:KeyInfo`` is never used to verify;
10. after xmlsec verifies, the referenced ID is resolved again and must be
    the returned element, with the signature as its direct child.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import weakref
from datetime import datetime
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from signing.algorithms import (
    C14N,
    ECDSA_SHA256,
    ECDSA_SHA384,
    ENVELOPED_SIGNATURE,
    EXC_C14N,
    RSA_SHA256,
    RSA_SHA384,
    RSA_SHA512,
    SHA256,
    SHA384,
    SHA512,
    XML_CANONICALIZATIONS,
    XML_DIGEST_METHODS,
    XML_SIGNATURE_METHODS,
    PublicKey,
)
from signing.errors import (
    AmbiguousSignedElement,
    CommentInSignedContent,
    ConfigurationError,
    DigestMismatch,
    DisallowedCanonicalization,
    DisallowedDigestAlgorithm,
    DisallowedSignatureAlgorithm,
    DisallowedTransform,
    DuplicateId,
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
from signing.keys import SigningKey, TrustedKey, as_utc, utcnow
from signing.truststore import KeySource, usable_keys
from signing.xml_parsing import DEFAULT_LIMITS, XmlLimits, parse_xml

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
# The attribute names that act as IDs (SAML uses ID, XML-DSig Id); xml:id joins for uniqueness.
ID_ATTRIBUTES = ("ID", "Id", "id")

_SIGNATURE = f"{{{DS_NS}}}Signature"
_SIGNED_INFO = f"{{{DS_NS}}}SignedInfo"
_SIGNATURE_VALUE = f"{{{DS_NS}}}SignatureValue"
_KEY_INFO = f"{{{DS_NS}}}KeyInfo"
_C14N_METHOD = f"{{{DS_NS}}}CanonicalizationMethod"
_SIGNATURE_METHOD = f"{{{DS_NS}}}SignatureMethod"
_REFERENCE = f"{{{DS_NS}}}Reference"
_TRANSFORMS = f"{{{DS_NS}}}Transforms"
_TRANSFORM = f"{{{DS_NS}}}Transform"
_DIGEST_METHOD = f"{{{DS_NS}}}DigestMethod"
_DIGEST_VALUE = f"{{{DS_NS}}}DigestValue"
_INCLUSIVE_NAMESPACES = f"{{{EXC_C14N_NS}}}InclusiveNamespaces"

_C = xmlsec.constants
_XMLSEC_SIGNATURE_METHODS = {
    RSA_SHA256: _C.TransformRsaSha256,
    RSA_SHA384: _C.TransformRsaSha384,
    RSA_SHA512: _C.TransformRsaSha512,
    ECDSA_SHA256: _C.TransformEcdsaSha256,
    ECDSA_SHA384: _C.TransformEcdsaSha384,
}
_XMLSEC_DIGESTS = {
    SHA256: _C.TransformSha256,
    SHA384: _C.TransformSha384,
    SHA512: _C.TransformSha512,
}
_XMLSEC_C14N = {EXC_C14N: _C.TransformExclC14N, C14N: _C.TransformInclC14N}
_HASHLIB_NAMES = {SHA256: "sha256", SHA384: "sha384", SHA512: "sha512"}
_NAMED_DANGERS = {
    "http://www.w3.org/TR/1999/REC-xslt-19991116": "XSLT",
    "http://www.w3.org/TR/1999/REC-xpath-19991116": "XPath",
    "http://www.w3.org/2002/06/xmldsig-filter2": "XPath Filter 2.0",
    "http://www.w3.org/2000/09/xmldsig#base64": "base64",
}

# xmlsec key objects are costly to build; cache one per key object, dropped with it.
_xmlsec_keys: weakref.WeakKeyDictionary[object, xmlsec.Key] = weakref.WeakKeyDictionary()
_xmlsec_keys_lock = threading.Lock()


# --- signing ---------------------------------------------------------------------------


def _xmlsec_private_key(key: SigningKey) -> xmlsec.Key:
    with _xmlsec_keys_lock:
        cached = _xmlsec_keys.get(key)
    if cached is None:
        cached = xmlsec.Key.from_memory(key.private_pem(), _C.KeyDataFormatPem)
        if key.certificate is not None:
            from signing.certificates import certificate_pem

            cached.load_cert_from_memory(certificate_pem(key.certificate), _C.KeyDataFormatCertPem)
        with _xmlsec_keys_lock:
            _xmlsec_keys[key] = cached
    return cached


def _xmlsec_public_key(key: TrustedKey) -> xmlsec.Key:
    with _xmlsec_keys_lock:
        cached = _xmlsec_keys.get(key)
    if cached is None:
        cached = xmlsec.Key.from_memory(key.public_pem(), _C.KeyDataFormatPem)
        with _xmlsec_keys_lock:
            _xmlsec_keys[key] = cached
    return cached


def element_id(element: Any) -> tuple[str, str]:
    """The (attribute name, value) of an element's one ID attribute."""
    present = [(name, element.get(name)) for name in ID_ATTRIBUTES if element.get(name) is not None]
    if len(present) != 1 or not present[0][1]:
        names = ", ".join(ID_ATTRIBUTES)
        raise SignedElementIdInvalid(f"{element.tag} needs exactly one non-empty ID ({names})")
    return present[0]


def _direct_signatures(element: Any) -> list[Any]:
    return [child for child in element if child.tag == _SIGNATURE]


def sign_element(
    element: Any,
    *,
    key: SigningKey,
    purpose: str,
    signature_method: str | None = None,
    digest_method: str = SHA256,
    after: str | None = None,
    include_certificate: bool = True,
    now: datetime | None = None,
) -> Any:
    """Sign ``element`` in place (enveloped, exclusive c14n); returns the new ``ds:Signature``.

    ``after`` is the Clark-notation tag of the child the signature follows
    (``saml:Issuer`` for SAML); without it the signature becomes the first child.
    """
    key.check_usable(now or utcnow(), purpose=purpose)
    method = signature_method or (key.xml_signature_methods[0] if key.xml_signature_methods else "")
    if method not in key.xml_signature_methods or method not in _XMLSEC_SIGNATURE_METHODS:
        raise ConfigurationError(f"key {key.kid} may not sign XML with {method or 'any method'}")
    if digest_method not in _XMLSEC_DIGESTS:
        raise ConfigurationError(f"digest {digest_method} is not allowed")
    if _direct_signatures(element):
        raise ConfigurationError("element is already signed")
    id_name, id_value = element_id(element)

    signature = xmlsec.template.create(
        element, _C.TransformExclC14N, _XMLSEC_SIGNATURE_METHODS[method], ns="ds"
    )
    anchor = element.find(after) if after else None
    if anchor is not None:
        anchor.addnext(signature)
    else:
        element.insert(0, signature)
    reference = xmlsec.template.add_reference(
        signature, _XMLSEC_DIGESTS[digest_method], uri=f"#{id_value}"
    )
    xmlsec.template.add_transform(reference, _C.TransformEnveloped)
    xmlsec.template.add_transform(reference, _C.TransformExclC14N)
    if include_certificate and key.certificate is not None:
        key_info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(key_info))

    context = xmlsec.SignatureContext()
    context.register_id(element, id_name)
    context.key = _xmlsec_private_key(key)
    context.sign(signature)
    return signature


def sign_xml(
    data: bytes,
    *,
    key: SigningKey,
    purpose: str,
    element_id: str,
    after: str | None = None,
    include_certificate: bool = True,
    limits: XmlLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> bytes:
    """Parse ``data``, sign the element whose ID is ``element_id``, return the document."""
    root = parse_xml(data, limits=limits)
    holders = _index_ids(root)
    target = holders.get(element_id)
    if target is None:
        raise ConfigurationError(f"no element with ID {element_id!r}")
    sign_element(
        target,
        key=key,
        purpose=purpose,
        after=after,
        include_certificate=include_certificate,
        now=now,
    )
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


# --- verification ----------------------------------------------------------------------


_ID_VALUES = etree.XPath(" | ".join([*(f"//@{name}" for name in ID_ATTRIBUTES), "//@xml:id"]))


def _index_ids(root: Any) -> dict[str, Any]:
    """Every ID-like attribute value in the document, which must all be distinct."""
    seen: dict[str, Any] = {}
    for value in _ID_VALUES(root):
        if value in seen:
            raise DuplicateId(f"ID {str(value)!r} occurs more than once")
        seen[str(value)] = value.getparent()
    return seen


def _the_element(root: Any, tag: str) -> Any:
    matches = list(root.iter(tag))
    if not matches:
        raise SignedElementMissing(f"no {tag} element")
    if len(matches) > 1:
        raise AmbiguousSignedElement(
            f"{len(matches)} {tag} elements; exactly one is accepted (signature wrapping?)"
        )
    return matches[0]


def _the_signature(element: Any) -> Any:
    signatures = _direct_signatures(element)
    if not signatures:
        raise SignatureMissing(f"{element.tag} has no ds:Signature child")
    if len(signatures) > 1:
        raise MultipleSignatures(f"{element.tag} has {len(signatures)} ds:Signature children")
    return signatures[0]


def _element_children(node: Any) -> list[Any]:
    return [child for child in node if isinstance(child.tag, str)]


def _expect_shape(node: Any, allowed: tuple[str, ...], required: tuple[str, ...]) -> list[Any]:
    children = _element_children(node)
    tags = [child.tag for child in children]
    if any(tag not in allowed for tag in tags) or tags != sorted(tags, key=allowed.index):
        raise MalformedSignature(f"unexpected content in {node.tag}")
    for tag in required:
        if tags.count(tag) != 1:
            raise MalformedSignature(f"{node.tag} needs exactly one {tag}")
    return children


def _check_signature_shape(signature: Any) -> tuple[Any, Any]:
    """SignedInfo, SignatureValue, optional KeyInfo -- nothing else (no ds:Object)."""
    _expect_shape(
        signature, (_SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO), (_SIGNED_INFO, _SIGNATURE_VALUE)
    )
    if len(signature.findall(_KEY_INFO)) > 1:
        raise MalformedSignature("more than one ds:KeyInfo")
    signed_info = signature.find(_SIGNED_INFO)
    children = _expect_shape(
        signed_info,
        (_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE),
        (_C14N_METHOD, _SIGNATURE_METHOD),
    )
    references = [child for child in children if child.tag == _REFERENCE]
    if len(references) != 1:
        raise ReferenceMismatch(f"exactly one ds:Reference expected, found {len(references)}")
    reference = references[0]
    _expect_shape(
        reference, (_TRANSFORMS, _DIGEST_METHOD, _DIGEST_VALUE), (_DIGEST_METHOD, _DIGEST_VALUE)
    )
    if _element_children(signed_info.find(_SIGNATURE_METHOD)):
        raise MalformedSignature("ds:SignatureMethod parameters are not accepted")
    return signed_info, reference


def _check_reference(reference: Any, id_value: str) -> None:
    if reference.get("URI") != f"#{id_value}":
        raise ReferenceMismatch("the signature's Reference does not point at the consumed element")


def _check_c14n_node(node: Any, error: type[Exception]) -> str:
    algorithm = node.get("Algorithm")
    children = _element_children(node)
    if algorithm not in XML_CANONICALIZATIONS:
        raise error(f"{_NAMED_DANGERS.get(algorithm, algorithm)} is not allowed")
    if children and not (
        algorithm == EXC_C14N and [child.tag for child in children] == [_INCLUSIVE_NAMESPACES]
    ):
        raise error("unexpected canonicalization parameters")
    return str(algorithm)


def _check_algorithms(signed_info: Any, reference: Any) -> str:
    """Allow-listed algorithms only; returns the SignatureMethod URI."""
    _check_c14n_node(signed_info.find(_C14N_METHOD), DisallowedCanonicalization)
    method = signed_info.find(_SIGNATURE_METHOD).get("Algorithm")
    if method not in XML_SIGNATURE_METHODS:
        raise DisallowedSignatureAlgorithm(f"signature method {method} is not allowed")

    transforms = reference.findall(f"{_TRANSFORMS}/{_TRANSFORM}")
    transform_lists = reference.findall(_TRANSFORMS)
    if len(transform_lists) != 1 or len(_element_children(transform_lists[0])) != len(transforms):
        raise DisallowedTransform("expected one ds:Transforms holding ds:Transform elements")
    algorithms = [transform.get("Algorithm") for transform in transforms]
    for transform, algorithm in zip(transforms, algorithms, strict=True):
        if algorithm == ENVELOPED_SIGNATURE:
            if _element_children(transform):
                raise DisallowedTransform("enveloped-signature takes no parameters")
        else:
            _check_c14n_node(transform, DisallowedTransform)
    if not algorithms or algorithms[0] != ENVELOPED_SIGNATURE or len(algorithms) > 2:
        raise DisallowedTransform("transforms must be enveloped-signature, then at most one c14n")
    if algorithms.count(ENVELOPED_SIGNATURE) != 1:
        raise DisallowedTransform("enveloped-signature must occur once")

    digest = reference.find(_DIGEST_METHOD).get("Algorithm")
    if digest not in XML_DIGEST_METHODS:
        raise DisallowedDigestAlgorithm(f"digest method {digest} is not allowed")
    return str(method)


def _check_no_comments_or_pis(element: Any) -> None:
    # Canonical XML drops comments, so "alice@x<!---->.evil" signs as "alice@x.evil" but reads
    # as "alice@x" through .text; we refuse the shape instead of hoping every reader copes.
    for node in element.iter(etree.Comment, etree.ProcessingInstruction):
        if node.tag is etree.Comment:
            raise CommentInSignedContent("comments are not accepted inside signed content")
        raise ProcessingInstructionInSignedContent(
            "processing instructions are not accepted inside signed content"
        )


def _restricted_context(key: TrustedKey) -> xmlsec.SignatureContext:
    # Defence in depth: xmlsec itself refuses anything outside the allow-lists.
    context = xmlsec.SignatureContext()
    for transform in (_C.TransformEnveloped, *_XMLSEC_C14N.values(), *_XMLSEC_DIGESTS.values()):
        context.enable_reference_transform(transform)
    for transform in (*_XMLSEC_C14N.values(), *_XMLSEC_SIGNATURE_METHODS.values()):
        context.enable_signature_transform(transform)
    context.key = _xmlsec_public_key(key)
    return context


def _keyinfo_public_keys(signature: Any) -> list[PublicKey]:
    """Keys an attacker may have put into KeyInfo -- read only to explain a failure."""
    found: list[Any] = []
    key_info = signature.find(_KEY_INFO)
    if key_info is None:
        return found
    for node in key_info.iter(f"{{{DS_NS}}}X509Certificate"):
        try:
            der = base64.b64decode("".join((node.text or "").split()), validate=True)
            found.append(x509.load_der_x509_certificate(der).public_key())
        except (ValueError, binascii.Error):
            continue
    for node in key_info.iter(f"{{{DS_NS}}}RSAKeyValue"):
        try:
            modulus = base64.b64decode("".join(node.findtext(f"{{{DS_NS}}}Modulus", "").split()))
            exponent = base64.b64decode("".join(node.findtext(f"{{{DS_NS}}}Exponent", "").split()))
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")
            )
            found.append(numbers.public_key())
        except (ValueError, binascii.Error):
            continue
    return found


def _digest_matches(element: Any, signature: Any, reference: Any) -> bool:
    """Recompute the reference digest (after a failure only, to name the reason)."""
    algorithms = [t.get("Algorithm") for t in reference.iter(_TRANSFORM)]
    c14n = next((a for a in algorithms if a in XML_CANONICALIZATIONS), C14N)
    prefixes_node = reference.find(f".//{_INCLUSIVE_NAMESPACES}")
    prefixes = (prefixes_node.get("PrefixList") or "").split() if prefixes_node is not None else []
    # The enveloped transform removes the signature element but not the text around it.
    previous, tail = signature.getprevious(), signature.tail
    element.remove(signature)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            element.text = (element.text or "") + tail
    canonical = etree.tostring(
        element,
        method="c14n",
        exclusive=c14n == EXC_C14N,
        with_comments=False,
        inclusive_ns_prefixes=prefixes or None,
    )
    digest_name = _HASHLIB_NAMES[reference.find(_DIGEST_METHOD).get("Algorithm")]
    try:
        recorded = base64.b64decode("".join(reference.findtext(_DIGEST_VALUE, "").split()))
    except (ValueError, binascii.Error):
        return False
    return hashlib.new(digest_name, canonical).digest() == recorded


def _explain_failure(
    element: Any, signature: Any, reference: Any, keys: list[TrustedKey]
) -> Exception:
    offered = _keyinfo_public_keys(signature)
    trusted = [key.public_key for key in keys]
    if not _digest_matches(element, signature, reference):
        return DigestMismatch("the signed content or its digest was changed")
    if offered and not any(key in trusted for key in offered):
        return UntrustedKey("signed with a key that is not in the trust store (KeyInfo is ignored)")
    return SignatureInvalid("the signature does not verify with any trusted key")


def _confirm_reference_target(root: Any, signature: Any, element: Any, reference: Any) -> None:
    """Re-derive the signed element from the verified Reference; it must be ours."""
    target = _index_ids(root).get(str(reference.get("URI"))[1:])
    if target is not element or signature.getparent() is not element:
        raise ReferenceMismatch("the verified reference does not resolve to the consumed element")


def verify_xml(
    data: bytes,
    *,
    trust: KeySource,
    issuer: str,
    purpose: str,
    element_tag: str,
    now: datetime | None = None,
    limits: XmlLimits = DEFAULT_LIMITS,
) -> Any:
    """Verify the one ``element_tag`` element of ``data`` and return it (an lxml element).

    ``element_tag`` is Clark notation, e.g.
    ``{urn:oasis:names:tc:SAML:2.0:assertion}Assertion``. Read only from the
    returned element: everything outside it is unsigned.
    """
    moment = as_utc(now or utcnow())
    root = parse_xml(data, limits=limits)
    _index_ids(root)
    element = _the_element(root, element_tag)
    id_name, id_value = element_id(element)
    signature = _the_signature(element)
    signed_info, reference = _check_signature_shape(signature)
    _check_reference(reference, id_value)
    method = _check_algorithms(signed_info, reference)
    _check_no_comments_or_pis(element)

    trusted = usable_keys(trust, issuer=issuer, purpose=purpose, at=moment)
    keys = [key for key in trusted if method in key.xml_signature_methods]
    if not keys:
        offered = _keyinfo_public_keys(signature)
        if offered and not any(key.public_key in offered for key in trusted):
            raise UntrustedKey("signed with a key that is not in the trust store")
        raise DisallowedSignatureAlgorithm(f"no trusted key of {issuer!r} may use {method}")

    registered = False
    for key in keys:
        context = _restricted_context(key)
        if not registered:
            context.register_id(element, id_name)
            registered = True
        try:
            context.verify(signature)
        except xmlsec.Error:
            continue
        _confirm_reference_target(root, signature, element, reference)
        return element
    raise _explain_failure(element, signature, reference, keys)


def signed_text(element: Any) -> str:
    """Text of a leaf element; refuses mixed content rather than returning a fragment."""
    if len(element):
        raise MixedContent(f"{element.tag} has child nodes; its text is not one value")
    return str(element.text or "")
