"""Boundaries, parser options and refusal messages of the signing package.

Written for the survivors of the sampled mutation run (scripts/mutation-run signing
--sample 160 --seed 11): a jti of exactly the maximum length, how long the replay cache
keeps a jti, the depth count of a document with siblings, the algorithm a JWKS entry
names, the options of the one XML parser (checked on the parser itself, behind the byte
screen that refuses DTDs first), and the words of refusals that reach the audit log.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import HMACAlgorithm
from lxml import etree

from signing.errors import (
    ConfigurationError,
    DigestMismatch,
    DisallowedTransform,
    DuplicateId,
    InvalidClaim,
    IssuedInFuture,
    MalformedToken,
    MissingClaim,
    ReplayedToken,
    UntrustedKey,
    XmlMalformed,
    XmlTooDeep,
)
from signing.jws import parse_compact, parse_json_object, register_jws_algorithm, sign_jws
from signing.jwt import MAX_JTI_CHARS, issue_jwt, verify_jwt
from signing.keys import Purpose, SigningKey, generate_signing_key
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore, jwk_with_metadata, trusted_keys_from_jwks
from signing.xml_parsing import XmlLimits, _parser, parse_xml
from signing.xmldsig import sign_xml
from tests.signing.test_mutants_xmldsig import DOCUMENT, KEY, NOW, verify

DS = "{http://www.w3.org/2000/09/xmldsig#}"
A, B = "https://a.test", "https://b.test"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def jwt_key() -> SigningKey:
    return generate_signing_key("ec-p256", purposes={Purpose.JWT}, now=T0 - timedelta(days=1))


def _options(key: SigningKey, cache: MemoryReplayCache) -> dict[str, Any]:
    return {
        "trust": TrustStore([key.trusted(issuer=A)]), "issuer": A, "audience": B,
        "typ": "test+jwt", "replay_cache": cache,
    }  # fmt: skip


def _token(key: SigningKey, claims: dict[str, Any], **extra: Any) -> str:
    extra.setdefault("now", T0)
    return issue_jwt(claims, key=key, issuer=A, audience=B, typ="test+jwt", **extra)


# --- boundaries ------------------------------------------------------------------------


def test_a_jti_of_exactly_the_maximum_length_is_accepted_one_more_is_not(
    jwt_key: SigningKey,
) -> None:
    cache = MemoryReplayCache()
    longest = _token(jwt_key, {}, jti="j" * MAX_JTI_CHARS)
    assert verify_jwt(longest, now=T0, **_options(jwt_key, cache))["jti"] == "j" * MAX_JTI_CHARS
    too_long = _token(jwt_key, {}, jti="j" * (MAX_JTI_CHARS + 1))
    with pytest.raises(InvalidClaim):
        verify_jwt(too_long, now=T0, **_options(jwt_key, cache))


def test_the_random_jti_carries_144_bits(jwt_key: SigningKey) -> None:
    # secrets.token_urlsafe(18): 18 random bytes, 24 base64url characters.
    jtis = {parse_json_object(parse_compact(_token(jwt_key, {})).payload, "c")["jti"]
            for _ in range(5)}  # fmt: skip
    assert len(jtis) == 5
    alphabet = set(string.ascii_letters + string.digits + "-_")
    for jti in jtis:
        assert len(jti) == 24 and set(jti) <= alphabet


def test_a_jti_is_remembered_until_the_token_expires_plus_the_leeway(
    jwt_key: SigningKey,
) -> None:
    cache = MemoryReplayCache()
    leeway = timedelta(seconds=60)
    token = _token(jwt_key, {}, lifetime=timedelta(seconds=300))
    expiry = T0 + timedelta(seconds=300)
    assert verify_jwt(token, now=T0, leeway=leeway, **_options(jwt_key, cache))
    # Still accepted by the clock one second before exp + leeway: the cache must still know it.
    with pytest.raises(ReplayedToken) as replayed:
        verify_jwt(token, now=expiry + leeway - timedelta(seconds=1), leeway=leeway,
                   **_options(jwt_key, cache))  # fmt: skip
    assert str(replayed.value) == "this token (jti) has been used before"


def test_depth_is_counted_back_one_level_per_closed_element() -> None:
    limits = XmlLimits(max_depth=3)
    assert parse_xml(b"<a><b/><c><d/></c></a>", limits=limits) is not None
    # Closed siblings before the deep branch must not buy extra depth.
    with pytest.raises(XmlTooDeep):
        parse_xml(b"<a><b/><c><d><e/></d></c></a>", limits=limits)
    with pytest.raises(XmlTooDeep):
        parse_xml(b"<a><b/><b/><b/><c><d><e><f/></e></d></c></a>", limits=XmlLimits(max_depth=4))


# --- JWKS and registration ---------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return generate_signing_key("rsa", purposes={Purpose.JWT}, now=T0 - timedelta(days=1))


def test_the_alg_a_jwks_entry_names_is_the_only_one_its_key_may_use(rsa_key: SigningKey) -> None:
    jwk = jwk_with_metadata(rsa_key.trusted(issuer=A))
    assert "alg" not in jwk  # an RSA key allows PS256 and RS256
    (read,) = trusted_keys_from_jwks(
        {"keys": [{**jwk, "alg": "RS256"}]}, issuer=A, purposes={"jwt"}
    )
    assert read.jws_algorithms == frozenset({"RS256"})
    (both,) = trusted_keys_from_jwks({"keys": [jwk]}, issuer=A, purposes={"jwt"})
    assert both.jws_algorithms == frozenset({"PS256", "RS256"})


def test_a_trust_store_read_from_a_jwks_trusts_its_keys_for_that_issuer(
    jwt_key: SigningKey,
) -> None:
    jwks = {"keys": [jwk_with_metadata(jwt_key.trusted(issuer=A))]}
    store = TrustStore.from_jwks(jwks, issuer=A, purposes={"jwt"})
    cache = MemoryReplayCache()
    options = {**_options(jwt_key, cache), "trust": store}
    assert verify_jwt(_token(jwt_key, {"x": 1}), now=T0, **options)["x"] == 1
    assert store.keys_for(issuer=A, purpose="jwt")
    assert not store.keys_for(issuer=B, purpose="jwt")


def test_a_jwks_kid_that_is_not_the_thumbprint_is_refused_by_name(jwt_key: SigningKey) -> None:
    jwk = {**jwk_with_metadata(jwt_key.trusted(issuer=A)), "kid": "mine"}
    with pytest.raises(ValueError, match="thumbprint") as refused:
        trusted_keys_from_jwks({"keys": [jwk]}, issuer=A, purposes={"jwt"})
    assert str(refused.value) == "JWKS kid is not the RFC 7638 thumbprint of its key"


@pytest.mark.parametrize("name", ["HS256", "hs512", "none", "None"])
def test_symmetric_and_none_algorithms_cannot_be_registered(name: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        register_jws_algorithm(name, HMACAlgorithm(HMACAlgorithm.SHA256))
    assert str(refused.value) == "only asymmetric algorithms can be registered"


# --- the parser's own options (the second line behind the byte screen) -------------------
# Each thread builds its own parser on first use (signing/xml_parsing.py keeps one per
# thread), so each check runs in a new thread: the parser it uses is built there and then.


def _in_new_thread(check: Callable[[], None]) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(check).result()


def test_the_parser_does_not_expand_entities() -> None:
    def check() -> None:
        document = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
        root = etree.fromstring(document, _parser())
        assert "expanded" not in etree.tostring(root).decode()

    _in_new_thread(check)


def test_the_parser_keeps_the_libxml2_depth_limit() -> None:
    # Without huge_tree libxml2 stops at 256 levels (2048 with it); our own limit (64) is
    # lower still, but it is counted only after the whole tree is built.
    deep = b"<a>" * 1000 + b"</a>" * 1000

    def check() -> None:
        with pytest.raises(etree.XMLSyntaxError, match="Excessive depth"):
            etree.fromstring(deep, _parser())
        with pytest.raises(XmlMalformed):
            parse_xml(deep)

    _in_new_thread(check)


def test_processing_instructions_are_kept_for_the_signature_checks() -> None:
    def check() -> None:
        root = parse_xml(b"<r><?target data?><x/></r>")
        assert isinstance(root[0], etree._ProcessingInstruction)
        assert root[0].target == "target"

    _in_new_thread(check)


def test_xml_id_is_not_made_a_libxml2_id() -> None:
    def check() -> None:
        root = parse_xml(b'<r><a xml:id="x"/><b ID="y"/></r>')
        assert root.xpath("id('x')") == [] and root.xpath("id('y')") == []

    _in_new_thread(check)


# --- the words of refusals -----------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_jws_refusals_name_what_was_wrong() -> None:
    with pytest.raises(MalformedToken) as not_json:
        parse_json_object(b'{"exp": NaN}', "claims")
    assert str(not_json.value) == "NaN is not JSON"
    header = _b64(json.dumps({"alg": "ES256"}).encode())
    with pytest.raises(MalformedToken) as bad_base64:
        parse_compact(f"{header}.a*b.c")
    assert str(bad_base64.value) == "invalid base64url"


def test_claim_refusals_name_what_was_wrong(jwt_key: SigningKey) -> None:
    cache = MemoryReplayCache()
    payload = {"iss": A, "aud": B, "iat": int(T0.timestamp()), "nbf": int(T0.timestamp()),
               "exp": int(T0.timestamp()) + 60}  # fmt: skip
    no_jti = sign_jws(json.dumps(payload).encode(), key=jwt_key, purpose="jwt", typ="test+jwt",
                      now=T0)  # fmt: skip
    with pytest.raises(MissingClaim) as missing:
        verify_jwt(no_jti, now=T0, **_options(jwt_key, cache))
    assert str(missing.value) == "claim 'jti' is required"
    # Valid already (nbf) but claiming to be issued ten minutes from now.
    future = {**payload, "jti": "f", "iat": int(T0.timestamp()) + 600}
    signed = sign_jws(json.dumps(future).encode(), key=jwt_key, purpose="jwt", typ="test+jwt",
                      now=T0)  # fmt: skip
    with pytest.raises(IssuedInFuture) as early:
        verify_jwt(signed, now=T0, **_options(jwt_key, cache))
    assert str(early.value) == "token claims to be issued in the future"


def _signed() -> etree._Element:
    return etree.fromstring(
        sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", now=NOW)
    )


def test_xml_signature_refusals_name_what_was_wrong() -> None:
    root = _signed()
    transforms = root.find(f".//{DS}Transforms")
    etree.SubElement(transforms, f"{DS}Other")
    with pytest.raises(DisallowedTransform) as transform:
        verify(etree.tostring(root), KEY)
    assert str(transform.value) == "expected one ds:Transforms holding ds:Transform elements"

    twice = DOCUMENT.replace(b"<r:Body>", b'<r:Body ID="_root">')
    with pytest.raises(DuplicateId) as duplicate:
        verify(twice, KEY)
    assert str(duplicate.value) == "ID '_root' occurs more than once"

    signed = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", now=NOW)
    with pytest.raises(ConfigurationError) as again:
        sign_xml(signed, key=KEY, purpose="saml", element_id="_root", now=NOW)
    assert str(again.value) == "element is already signed"


def test_a_signature_by_a_stranger_whose_method_no_trusted_key_may_use(
    rsa_key: SigningKey,
) -> None:
    document = sign_xml(DOCUMENT, key=KEY, purpose="saml", element_id="_root", now=NOW)
    stranger = generate_signing_key("rsa", purposes={"saml"}, now=NOW - timedelta(days=1))
    assert isinstance(stranger.public_key, rsa.RSAPublicKey)
    with pytest.raises(UntrustedKey) as refused:
        verify(document, stranger)
    assert str(refused.value) == "signed with a key that is not in the trust store"


def test_an_unreadable_digest_value_is_named_a_digest_mismatch() -> None:
    root = _signed()
    root.find(f".//{DS}DigestValue").text = "abc"  # not base64: bad padding
    with pytest.raises(DigestMismatch):
        verify(etree.tostring(root), KEY)
