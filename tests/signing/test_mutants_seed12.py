"""Survivors of the fresh sampled mutation run (scripts/mutation-run signing --sample 100
--seed 12), written after that run: a document of exactly the byte limit, an algorithm
plugged in with register_jws_algorithm and then used, the words of two refusals, and
which canonicalization the diagnosis after a failed signature uses.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from jwt.algorithms import RSAPSSAlgorithm
from lxml import etree

from signing.algorithms import ENVELOPED_SIGNATURE, EXC_C14N
from signing.errors import (
    DigestMismatch,
    DisallowedCanonicalization,
    SignatureInvalid,
    UnsignedToken,
    XmlTooLarge,
)
from signing.jws import parse_compact, register_jws_algorithm, sign_jws, verify_jws
from signing.jwt import verify_jwt
from signing.keys import Purpose, SigningKey, generate_signing_key
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from signing.xml_parsing import XmlLimits, parse_xml
from signing.xmldsig import sign_xml
from tests.signing.test_mutants_xmldsig import DOCUMENT, KEY, NOW, verify

DS = "{http://www.w3.org/2000/09/xmldsig#}"
A = "https://a.test"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_document_of_exactly_the_byte_limit_is_accepted() -> None:
    document = b"<r><a>one</a></r>"
    assert parse_xml(document, limits=XmlLimits(max_bytes=len(document))).tag == "r"
    with pytest.raises(XmlTooLarge) as refused:
        parse_xml(document, limits=XmlLimits(max_bytes=len(document) - 1))
    assert str(refused.value) == f"document is {len(document)} bytes; the limit is 16"


def test_a_registered_algorithm_signs_and_verifies() -> None:
    # A fresh name each time: registrations are process-wide and cannot be undone.
    name = f"X-PS256-{uuid.uuid4().hex[:8]}"
    register_jws_algorithm(name, RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256))
    base = generate_signing_key("rsa", purposes={Purpose.JWT}, now=T0 - timedelta(days=1))
    key: SigningKey = dataclasses.replace(base, jws_algorithms=(name,))
    token = sign_jws(b'{"x":1}', key=key, purpose="jwt", typ="test+jwt", algorithm=name, now=T0)
    assert parse_compact(token).header["alg"] == name
    trust = TrustStore([key.trusted(issuer=A)])
    verified = verify_jws(token, trust=trust, issuer=A, purpose="jwt", typ="test+jwt", now=T0)
    assert verified.payload == b'{"x":1}'


def test_an_unsigned_token_is_refused_by_name() -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "test+jwt", "kid": "k"}).encode())
    now = int(T0.timestamp())
    claims = {"iss": A, "aud": A, "jti": "u", "iat": now, "nbf": now, "exp": now + 60}
    token = f"{header}.{_b64(json.dumps(claims).encode())}."
    key = generate_signing_key("ec-p256", purposes={Purpose.JWT}, now=T0 - timedelta(days=1))
    with pytest.raises(UnsignedToken) as refused:
        verify_jwt(token, trust=TrustStore([key.trusted(issuer=A)]), issuer=A, audience=A,
                   typ="test+jwt", replay_cache=MemoryReplayCache(), now=T0)  # fmt: skip
    assert str(refused.value) == "unsigned tokens (alg=none) are never accepted"


def test_canonicalization_parameters_are_refused_by_name() -> None:
    root = etree.fromstring(
        sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", now=NOW)
    )
    etree.SubElement(root.find(f".//{DS}CanonicalizationMethod"), f"{DS}Extra")
    with pytest.raises(DisallowedCanonicalization) as refused:
        verify(etree.tostring(root), KEY)
    assert str(refused.value) == "unexpected canonicalization parameters"


def test_the_diagnosis_reads_the_canonicalization_from_the_transforms_only() -> None:
    # Transforms: enveloped-signature only, so inclusive c14n, which keeps the unused
    # namespace of the wrapper. A child of DigestMethod naming exclusive c14n (nobody
    # checks DigestMethod's children) must not change which c14n the diagnosis uses.
    wrapped = b'<w:Wrap xmlns:w="urn:w" xmlns:u="urn:unused">' + DOCUMENT + b"</w:Wrap>"
    signed = sign_xml(wrapped, key=KEY, purpose="saml", element_id="_root", now=NOW)
    root = etree.fromstring(signed)
    reference = root.find(f".//{DS}Reference")
    for transform in reference.findall(f"{DS}Transforms/{DS}Transform"):
        if transform.get("Algorithm") != ENVELOPED_SIGNATURE:
            transform.getparent().remove(transform)
    etree.SubElement(reference.find(f"{DS}DigestMethod"), f"{DS}Hint", Algorithm=EXC_C14N)
    # The digest recorded is right for inclusive c14n; the SignatureValue no longer fits.
    unsigned = etree.fromstring(etree.tostring(root))[0]
    signature = unsigned.find(f"{DS}Signature")
    previous, tail = signature.getprevious(), signature.tail
    unsigned.remove(signature)
    if tail and previous is not None:
        previous.tail = (previous.tail or "") + tail
    elif tail:
        unsigned.text = (unsigned.text or "") + tail
    inclusive = etree.tostring(unsigned, method="c14n", exclusive=False)
    assert inclusive != etree.tostring(unsigned, method="c14n", exclusive=True)
    digest = base64.b64encode(hashlib.sha256(inclusive).digest()).decode()
    reference.find(f"{DS}DigestValue").text = digest
    with pytest.raises(SignatureInvalid) as refused:
        verify(etree.tostring(root), KEY)
    assert not isinstance(refused.value, DigestMismatch)
