"""Where verification keys come from (signing/truststore.py), each rule on its own.

Written for the mutation run (scripts/mutation-run signing): the JWKS a member publishes
and the one a peer reads back must carry exactly the key's validity and algorithm, and a
key outside its window, for another purpose or of another issuer must never be chosen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signing.errors import KeyExpired, KeyNotYetValid, UnknownKeyId, UntrustedKey
from signing.jwks import thumbprint
from signing.keys import Purpose, SigningKey, Validity, generate_signing_key, trusted_key
from signing.truststore import (
    TrustStore,
    jwk_with_metadata,
    jwks_document,
    key_by_id,
    trusted_keys_from_jwks,
    usable_keys,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "https://a.test/md"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_signing_key(
        "ec-p256", purposes={Purpose.JWT}, now=START, lifetime=timedelta(days=10)
    )


def test_a_published_jwk_names_its_validity_algorithm_and_use(key: SigningKey) -> None:
    jwk = jwk_with_metadata(key.trusted(issuer=ISSUER))
    assert jwk["kid"] == key.kid == thumbprint(jwk)
    assert jwk["use"] == "sig" and jwk["alg"] == "ES256" and jwk["kty"] == "EC"
    assert jwk["nbf"] == int(START.timestamp())
    assert jwk["exp"] == int((START + timedelta(days=10)).timestamp())


def test_an_unbounded_key_is_published_without_nbf_and_exp(key: SigningKey) -> None:
    unbounded = trusted_key(
        key.public_key, issuer=ISSUER, purposes={Purpose.JWT}, validity=Validity.unbounded()
    )
    jwk = jwk_with_metadata(unbounded)
    assert "nbf" not in jwk and "exp" not in jwk
    assert jwk["kid"] == key.kid


def test_a_key_with_several_algorithms_names_none(key: SigningKey) -> None:
    two = trusted_key(
        key.public_key, issuer=ISSUER, purposes={Purpose.JWT}, validity=key.validity,
        jws_algorithms=["ES256", "ES384"],
    )  # fmt: skip
    assert "alg" not in jwk_with_metadata(two)


def test_a_jwks_round_trip_keeps_everything(key: SigningKey) -> None:
    document = jwks_document([key.trusted(issuer=ISSUER)])
    (read,) = trusted_keys_from_jwks(document, issuer=ISSUER, purposes={Purpose.JWT, "x"})
    assert read.kid == key.kid and read.issuer == ISSUER
    assert read.purposes == frozenset({Purpose.JWT, "x"})
    assert read.validity == key.validity
    assert read.jws_algorithms == frozenset({"ES256"})
    assert read.public_jwk() == key.trusted(issuer=ISSUER).public_jwk()


def test_a_jwks_without_metadata_is_unbounded_with_default_algorithms(key: SigningKey) -> None:
    bare = {k: v for k, v in jwk_with_metadata(key.trusted(issuer=ISSUER)).items()
            if k in ("kty", "crv", "x", "y")}  # fmt: skip
    (read,) = trusted_keys_from_jwks({"keys": [bare]}, issuer=ISSUER, purposes={Purpose.JWT})
    assert read.validity == Validity.unbounded() and read.kid == key.kid
    assert read.jws_algorithms == frozenset({"ES256"})
    only_start = {**bare, "nbf": int(START.timestamp())}
    (read,) = trusted_keys_from_jwks({"keys": [only_start]}, issuer=ISSUER, purposes={"jwt"})
    assert read.validity.not_before == START
    assert read.validity.not_after == Validity.unbounded().not_after


def test_encryption_keys_are_skipped_and_bad_documents_refused(key: SigningKey) -> None:
    jwk = jwk_with_metadata(key.trusted(issuer=ISSUER))
    encryption = {"keys": [{**jwk, "use": "enc"}]}
    assert trusted_keys_from_jwks(encryption, issuer=ISSUER, purposes={"jwt"}) == []
    for document, message in (
        ({}, "without a 'keys' list"),
        ({"keys": {}}, "without a 'keys' list"),
        ({"keys": ["x"]}, "not an object"),
        ({"keys": [{**jwk, "kid": "other"}]}, "thumbprint"),
        ({"keys": [{**jwk, "nbf": 10**12}]}, "out of range|nbf/exp"),
        ({"keys": [{**jwk, "exp": jwk["nbf"]}]}, "nbf/exp"),
    ):
        with pytest.raises(ValueError, match=message):
            trusted_keys_from_jwks(document, issuer=ISSUER, purposes={"jwt"})


def test_the_store_answers_by_issuer_and_purpose(key: SigningKey) -> None:
    other = generate_signing_key("ec-p256", purposes={Purpose.SAML}, now=START)
    store = TrustStore([key.trusted(issuer=ISSUER), other.trusted(issuer="https://b.test/md")])
    assert [k.kid for k in store.keys_for(issuer=ISSUER, purpose=Purpose.JWT)] == [key.kid]
    assert store.keys_for(issuer=ISSUER, purpose=Purpose.SAML) == ()
    assert store.keys_for(issuer="https://c.test/md", purpose=Purpose.JWT) == ()
    assert store.issuers() == frozenset({ISSUER, "https://b.test/md"})
    assert len(store) == 2 and len(store.all_keys()) == 2
    assert len(TrustStore().with_keys(store.all_keys())) == 2
    with pytest.raises(ValueError, match="claimed by"):
        TrustStore([key.trusted(issuer=ISSUER), key.trusted(issuer="https://b.test/md")])
    # The same key twice for the same issuer is no conflict.
    assert len(TrustStore([key.trusted(issuer=ISSUER), key.trusted(issuer=ISSUER)])) == 2


def test_usable_keys_say_why_there_are_none(key: SigningKey) -> None:
    store = TrustStore([key.trusted(issuer=ISSUER)])
    at = START + timedelta(days=1)
    assert usable_keys(store, issuer=ISSUER, purpose=Purpose.JWT, at=at)[0].kid == key.kid
    assert usable_keys(store, issuer=ISSUER, purpose=Purpose.JWT, at=START)
    with pytest.raises(UntrustedKey, match="no key is trusted"):
        usable_keys(store, issuer=ISSUER, purpose=Purpose.SAML, at=at)
    with pytest.raises(KeyNotYetValid):
        usable_keys(store, issuer=ISSUER, purpose=Purpose.JWT, at=START - timedelta(seconds=1))
    with pytest.raises(KeyExpired):
        usable_keys(store, issuer=ISSUER, purpose=Purpose.JWT, at=START + timedelta(days=10))
    # One key expired, one not yet valid: "expired" (not every key is in the future).
    later = generate_signing_key("ec-p256", purposes={Purpose.JWT}, now=START + timedelta(days=20))
    both = TrustStore([key.trusted(issuer=ISSUER), later.trusted(issuer=ISSUER)])
    with pytest.raises(KeyExpired):
        usable_keys(both, issuer=ISSUER, purpose=Purpose.JWT, at=START + timedelta(days=15))
    with pytest.raises(KeyNotYetValid):
        usable_keys(both, issuer=ISSUER, purpose=Purpose.JWT, at=START - timedelta(days=1))


def test_a_key_is_found_by_id_only_within_its_issuer_and_window(key: SigningKey) -> None:
    store = TrustStore([key.trusted(issuer=ISSUER)])
    at = START + timedelta(days=1)
    assert key_by_id(store, key.kid, issuer=ISSUER, purpose=Purpose.JWT, at=at).kid == key.kid
    with pytest.raises(UnknownKeyId):
        key_by_id(store, key.kid, issuer="https://b.test/md", purpose=Purpose.JWT, at=at)
    with pytest.raises(UnknownKeyId):
        key_by_id(store, "other", issuer=ISSUER, purpose=Purpose.JWT, at=at)
    with pytest.raises(KeyExpired):
        key_by_id(store, key.kid, issuer=ISSUER, purpose=Purpose.JWT,
                  at=START + timedelta(days=10))  # fmt: skip
    with pytest.raises(KeyNotYetValid):
        key_by_id(store, key.kid, issuer=ISSUER, purpose=Purpose.JWT,
                  at=START - timedelta(seconds=1))  # fmt: skip
