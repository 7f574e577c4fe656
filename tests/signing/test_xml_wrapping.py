"""XSW1-XSW8 against a signed Response and a signed Assertion.

Three views of every variant:
* the full verifier rejects it with a specific error;
* the attack is real: for the variants a bare xmlsec verifier accepts, it does;
* defence in depth: even a consumer tricked into pointing at the evil element
  (uniqueness checks switched off) still gets a specific rejection.
"""

from __future__ import annotations

from typing import Any

import pytest

from signing import xmldsig
from signing.errors import (
    AmbiguousSignedElement,
    DigestMismatch,
    DuplicateId,
    MalformedSignature,
    ReferenceMismatch,
    SignatureMissing,
    VerificationError,
)
from signing.keys import SigningKey
from signing.truststore import TrustStore
from tests.signing import saml, xsw

ALL_ATTACKS = {**xsw.RESPONSE_ATTACKS, **xsw.ASSERTION_ATTACKS}
# With a libxmlsec enveloped transform, wrapping the original *inside* the signature
# (XSW1, XSW6, XSW8) already breaks the digest; the others fool a bare xmlsec verifier.
NAIVELY_ACCEPTED = {"XSW2", "XSW3", "XSW4", "XSW5", "XSW7"}

TRICKED_CONSUMER_REJECTION: dict[tuple[str, bool], type[VerificationError]] = {
    ("XSW1", False): MalformedSignature,
    ("XSW1", True): MalformedSignature,
    ("XSW2", False): ReferenceMismatch,
    ("XSW2", True): DigestMismatch,
    ("XSW3", False): SignatureMissing,
    ("XSW3", True): SignatureMissing,
    ("XSW4", False): SignatureMissing,
    ("XSW4", True): SignatureMissing,
    ("XSW5", False): ReferenceMismatch,
    ("XSW5", True): DigestMismatch,
    ("XSW6", False): MalformedSignature,
    ("XSW6", True): MalformedSignature,
    ("XSW7", False): SignatureMissing,
    ("XSW7", True): SignatureMissing,
    ("XSW8", False): MalformedSignature,
    ("XSW8", True): MalformedSignature,
}


@pytest.fixture(scope="module", params=["rsa", "ec"])
def signer(request: pytest.FixtureRequest, rsa_key: SigningKey, ec_key: SigningKey) -> SigningKey:
    return rsa_key if request.param == "rsa" else ec_key


@pytest.fixture(scope="module")
def signed_documents(signer: SigningKey) -> dict[str, bytes]:
    return {
        "response": saml.signed_response(signer),
        "assertion": saml.signed_assertion_response(signer),
    }


def _attack(name: str, same_id: bool, documents: dict[str, bytes]) -> tuple[bytes, Any]:
    if name in xsw.RESPONSE_ATTACKS:
        return xsw.RESPONSE_ATTACKS[name](documents["response"], same_id), saml.verify_response
    return xsw.ASSERTION_ATTACKS[name](documents["assertion"], same_id), saml.verify_assertion


def test_untouched_documents_verify(signed_documents: dict[str, bytes], trust: TrustStore) -> None:
    response = saml.verify_response(signed_documents["response"], trust)
    assertion = saml.verify_assertion(signed_documents["assertion"], trust)
    assert response.get("ID") == saml.RESPONSE_ID
    assert assertion.get("ID") == saml.ASSERTION_ID
    assert saml.name_id_of(assertion) == saml.NAME


@pytest.mark.parametrize("name", sorted(ALL_ATTACKS))
def test_wrapping_with_fresh_ids_is_ambiguous(
    name: str, signed_documents: dict[str, bytes], trust: TrustStore
) -> None:
    document, verify = _attack(name, False, signed_documents)
    with pytest.raises(AmbiguousSignedElement):
        verify(document, trust)


@pytest.mark.parametrize("name", sorted(ALL_ATTACKS))
def test_wrapping_with_copied_ids_is_a_duplicate_id(
    name: str, signed_documents: dict[str, bytes], trust: TrustStore
) -> None:
    document, verify = _attack(name, True, signed_documents)
    with pytest.raises(DuplicateId):
        verify(document, trust)


@pytest.mark.parametrize("name", sorted(NAIVELY_ACCEPTED))
def test_the_attacks_are_real_against_bare_xmlsec(
    name: str, signed_documents: dict[str, bytes], signer: SigningKey
) -> None:
    document, _verify = _attack(name, False, signed_documents)
    assert xsw.EVIL_NAME.encode() in document
    assert saml.naive_xmlsec_accepts(document, signer)


@pytest.mark.parametrize(("name", "same_id"), sorted(TRICKED_CONSUMER_REJECTION))
def test_a_consumer_pointed_at_the_evil_element_is_still_refused(
    name: str,
    same_id: bool,
    signed_documents: dict[str, bytes],
    trust: TrustStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def evil_element(root: Any, tag: str) -> Any:
        return next(node for node in root.iter(tag) if node.get(xsw.EVIL))

    monkeypatch.setattr(xmldsig, "_index_ids", lambda root: {})
    monkeypatch.setattr(xmldsig, "_the_element", evil_element)
    document, verify = _attack(name, same_id, signed_documents)
    with pytest.raises(TRICKED_CONSUMER_REJECTION[(name, same_id)]):
        verify(document, trust)
