"""What a refusal says, for refusals whose message reaches the audit log and refusal pages.

Written for the sampled mutation run (scripts/mutation-run signing --sample 80 --seed 10):
each refusal below was already refused by the suite, but with any message at all (None,
shouted, another label). These pin the message, and the few parsing options whose effect
shows only in which refusal is named.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree

from signing.errors import (
    CommentInSignedContent,
    DisallowedCanonicalization,
    DisallowedSignatureAlgorithm,
    MalformedSignature,
    MalformedToken,
    SignatureInvalid,
    TokenExpired,
    XmlEncodingNotAllowed,
)
from signing.jws import parse_compact
from signing.jwt import decode_unverified, issue_jwt, verify_jwt
from signing.keys import generate_signing_key, utcnow
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from signing.xml_parsing import parse_xml
from signing.xmldsig import sign_xml
from tests.signing.test_mutants_xmldsig import DOCUMENT, KEY, NOW, verify

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def test_a_token_without_three_parts() -> None:
    with pytest.raises(MalformedToken) as refused:
        parse_compact("a.b")
    assert str(refused.value) == "a compact JWS has three parts"


def test_decode_unverified_reads_the_claims_as_sent() -> None:
    key = generate_signing_key("ec-p256", purposes={"jwt"})
    token = issue_jwt(
        {"name": "张明"}, key=key, issuer="https://a.test", audience="https://b.test",
        typ="test+jwt",
    )  # fmt: skip
    unverified = decode_unverified(token)
    assert unverified.claims["name"] == "张明" and unverified.claims["iss"] == "https://a.test"
    # The payload is UTF-8 JSON as written, not \\u escapes.
    payload = token.split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert "张明".encode() in raw and b"\\u" not in raw
    array = base64.urlsafe_b64encode(json.dumps([1]).encode()).rstrip(b"=").decode()
    header = token.split(".")[0]
    with pytest.raises(MalformedToken, match="claims"):
        decode_unverified(f"{header}.{array}.{token.split('.')[2]}")


def test_utf16_is_refused_by_its_byte_order_mark() -> None:
    # No zero byte in the first four: only the BOM says it is UTF-16.
    document = b"\xff\xfe" + "张<r/>".encode("utf-16-le")
    assert b"\x00" not in document[:4]
    with pytest.raises(XmlEncodingNotAllowed):
        parse_xml(document)


def _signed() -> etree._Element:
    document = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", now=NOW)
    return etree.fromstring(document)


def test_the_xml_signature_refusals_name_what_was_wrong() -> None:
    root = _signed()
    root.find(f".//{DS}SignatureMethod").set("Algorithm", "urn:no-such-method")
    with pytest.raises(DisallowedSignatureAlgorithm) as refused:
        verify(etree.tostring(root), KEY)
    assert str(refused.value) == "signature method urn:no-such-method is not allowed"

    root = _signed()
    root.find(f".//{DS}CanonicalizationMethod").set("Algorithm", "urn:no-such-c14n")
    with pytest.raises(DisallowedCanonicalization) as refused_c14n:
        verify(etree.tostring(root), KEY)
    assert str(refused_c14n.value) == "urn:no-such-c14n is not allowed"

    root = _signed()
    etree.SubElement(root.find(f".//{DS}SignatureMethod"), f"{DS}HMACOutputLength").text = "8"
    with pytest.raises(MalformedSignature) as refused_shape:
        verify(etree.tostring(root), KEY)
    assert str(refused_shape.value) == "ds:SignatureMethod parameters are not accepted"

    root = _signed()
    root[-1].append(etree.Comment("hidden"))
    with pytest.raises(CommentInSignedContent) as refused_comment:
        verify(etree.tostring(root), KEY)
    assert str(refused_comment.value) == "comments are not accepted inside signed content"


def test_an_expired_and_a_tampered_token_say_so() -> None:
    key = generate_signing_key("ec-p256", purposes={"jwt"}, now=utcnow() - timedelta(hours=1))
    trust = TrustStore([key.trusted(issuer="https://a.test")])
    options: dict[str, Any] = {
        "trust": trust, "issuer": "https://a.test", "audience": "https://b.test",
        "typ": "test+jwt", "replay_cache": MemoryReplayCache(),
    }  # fmt: skip
    old = issue_jwt(
        {}, key=key, issuer="https://a.test", audience="https://b.test", typ="test+jwt",
        lifetime=timedelta(seconds=60), now=utcnow() - timedelta(minutes=10),
    )  # fmt: skip
    with pytest.raises(TokenExpired) as expired:
        verify_jwt(old, **options)
    assert str(expired.value) == "token has expired"
    good = issue_jwt(
        {}, key=key, issuer="https://a.test", audience="https://b.test", typ="test+jwt"
    )
    header, _, signature = good.split(".")
    other = issue_jwt(
        {"x": 1}, key=key, issuer="https://a.test", audience="https://b.test", typ="test+jwt"
    ).split(".")[1]
    with pytest.raises(SignatureInvalid) as tampered:
        verify_jwt(f"{header}.{other}.{signature}", **options)
    assert str(tampered.value) == "the signature does not verify with the trusted key"
