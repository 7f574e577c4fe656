"""Trust from a JWKS or certificates, the one-level chain check, and the replay caches:
every refusal by type and exact message, and the boundaries of expiry.

Written for the survivors of the full mutation run (scripts/mutation-run signing). The
Redis tests use the Redis of the test environment (127.0.0.1:6379) and are skipped
without it, like tests/signing/test_replay.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from signing.algorithms import ECDSA_SHA384, default_jws_algorithms, default_xml_signature_methods
from signing.certificates import issue_member_certificate, issue_root_certificate, verify_issued_by
from signing.errors import (
    ConfigurationError,
    KeyExpired,
    KeyNotYetValid,
    ReplayCacheUnavailable,
    UntrustedCertificate,
    UntrustedKey,
)
from signing.keys import Purpose, SigningKey, Validity, generate_private_key, signing_key
from signing.replay import MemoryReplayCache, RedisReplayCache
from signing.truststore import TrustStore, jwk_with_metadata, trusted_keys_from_jwks, usable_keys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VALIDITY = Validity(T0 - timedelta(days=1), T0 + timedelta(days=1))


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return signing_key(generate_private_key("ec-p256"), purposes={Purpose.JWT}, validity=VALIDITY)


@pytest.fixture(scope="module")
def second_key() -> SigningKey:
    return signing_key(generate_private_key("ec-p256"), purposes={Purpose.JWT}, validity=VALIDITY)


# --- trusted_keys_from_jwks ------------------------------------------------------------


@pytest.mark.parametrize("jwks", [{}, {"keys": None}, {"keys": {"a": 1}}, {"keys": "k"}])
def test_a_jwks_without_a_keys_list_is_refused(jwks: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as refused:  # noqa: PT011  (the message is checked)
        trusted_keys_from_jwks(jwks, issuer="i", purposes={Purpose.JWT})
    assert str(refused.value) == "JWKS without a 'keys' list"


@pytest.mark.parametrize("entry", ["k", 1, None, ["kty", "EC"]])
def test_a_jwks_entry_that_is_not_an_object_is_refused(key: SigningKey, entry: Any) -> None:
    jwks = {"keys": [jwk_with_metadata(key.trusted(issuer="i")), entry]}
    with pytest.raises(ValueError) as refused:  # noqa: PT011
        trusted_keys_from_jwks(jwks, issuer="i", purposes={Purpose.JWT})
    assert str(refused.value) == "JWKS entry is not an object"


def test_an_encryption_key_is_skipped_and_the_signing_keys_after_it_are_read(
    key: SigningKey, second_key: SigningKey
) -> None:
    encryption = {**jwk_with_metadata(second_key.trusted(issuer="i")), "use": "enc"}
    signing = jwk_with_metadata(key.trusted(issuer="i"))
    no_use = {k: v for k, v in jwk_with_metadata(second_key.trusted(issuer="i")).items()
              if k != "use"}  # fmt: skip
    found = trusted_keys_from_jwks(
        {"keys": [encryption, signing, no_use]}, issuer="i", purposes={Purpose.JWT}
    )
    assert [k.kid for k in found] == [key.kid, second_key.kid]
    assert found[0].validity == VALIDITY


@pytest.mark.parametrize(
    ("nbf", "exp"),
    [(2_000_000_000, 1_000_000_000), (1_000_000_000, 1_000_000_000), (0, 10**20)],
)
def test_an_unusable_validity_window_is_refused(key: SigningKey, nbf: int, exp: int) -> None:
    entry = {**jwk_with_metadata(key.trusted(issuer="i")), "nbf": nbf, "exp": exp}
    with pytest.raises(ValueError) as refused:  # noqa: PT011
        trusted_keys_from_jwks({"keys": [entry]}, issuer="i", purposes={Purpose.JWT})
    assert str(refused.value) == "JWKS key has an unusable nbf/exp window"


# --- certificates ----------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)
ROOT_VALIDITY = Validity(START, START + timedelta(days=100))


def _root(name: str = "Delta Root") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    private = ec.generate_private_key(ec.SECP256R1())
    certificate = issue_root_certificate(
        private, common_name=name, organization="Delta", validity=ROOT_VALIDITY
    )
    return private, certificate


def _member(ca: ec.EllipticCurvePrivateKey, root: x509.Certificate, days: int) -> x509.Certificate:
    public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return issue_member_certificate(
        ca_key=ca, ca_certificate=root, public_key=public_key,
        region_code="310000", common_name="Shanghai node", organization="Delta",
        validity=Validity(START + timedelta(days=1), START + timedelta(days=days)),
    )  # fmt: skip


def test_the_chain_check_names_each_refusal_word_for_word() -> None:
    ca, root = _root()
    member = _member(ca, root, 10)
    at = START + timedelta(days=2)
    refusals: list[tuple[type[Exception], str]] = []
    _, impostor = _root()
    _, other = _root("Other Root")
    for wrong_root in (member, other, impostor):
        with pytest.raises(UntrustedCertificate) as refused:
            verify_issued_by(member, root=wrong_root, at=at)
        refusals.append((type(refused.value), str(refused.value)))
    assert refusals == [
        (UntrustedCertificate, "the root certificate is not a CA"),
        (UntrustedCertificate, "certificate was not issued by the federation root"),
        (UntrustedCertificate, "certificate signature does not verify with the root"),
    ]
    subject = "CN=Shanghai node,OU=310000,O=Delta,C=CN"
    with pytest.raises(KeyNotYetValid) as early:
        verify_issued_by(member, root=root, at=START + timedelta(hours=23))
    assert str(early.value) == f"certificate {subject} not yet valid"
    with pytest.raises(KeyExpired) as late:
        verify_issued_by(member, root=root, at=START + timedelta(days=10))
    assert str(late.value) == f"certificate {subject} expired"


def test_trust_from_certificates_with_a_root_needs_the_time() -> None:
    ca, root = _root()
    member = _member(ca, root, 10)
    with pytest.raises(ValueError) as refused:  # noqa: PT011
        TrustStore.from_certificates([member], issuer="x", purposes={"saml"}, root=root)
    assert str(refused.value) == "checking a chain needs the time 'at'"
    # Without a root nothing is checked, and no time is needed.
    store = TrustStore.from_certificates([member], issuer="x", purposes={"saml"})
    (trusted,) = store.keys_for(issuer="x", purpose="saml")
    assert trusted.certificate == member


# --- replay caches ---------------------------------------------------------------------


def test_a_memory_entry_is_forgotten_at_its_expiry_not_after() -> None:
    cache = MemoryReplayCache()
    expiry = T0 + timedelta(seconds=10)
    assert cache.first_use("k", expires_at=expiry, now=T0)
    assert not cache.first_use("k", expires_at=expiry, now=expiry - timedelta(microseconds=1))
    assert cache.first_use("k", expires_at=expiry + timedelta(seconds=10), now=expiry)
    assert len(cache) == 1


def test_a_memory_cache_holds_200_000_live_entries_by_default() -> None:
    cache = MemoryReplayCache()
    expiry = T0 + timedelta(seconds=10)
    for n in range(200_000):
        assert cache.first_use(str(n), expires_at=expiry, now=T0)
    with pytest.raises(ReplayCacheUnavailable):
        cache.first_use("one more", expires_at=expiry, now=T0)
    assert len(cache) == 200_000


def test_a_full_memory_cache_says_so() -> None:
    cache = MemoryReplayCache(max_entries=1)
    assert cache.first_use("a", expires_at=T0 + timedelta(seconds=10), now=T0)
    with pytest.raises(ReplayCacheUnavailable) as refused:
        cache.first_use("b", expires_at=T0 + timedelta(seconds=10), now=T0)
    assert str(refused.value) == "replay cache is full of live entries"


@pytest.fixture
def redis_client() -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at 127.0.0.1:6379 is unreachable ({type(error).__name__})")
    yield client
    client.close()


def test_redis_keeps_an_entry_at_least_one_second_and_rounds_up(redis_client: Any) -> None:
    prefix = f"test:signing:{uuid.uuid4().hex}:"
    cache = RedisReplayCache(redis_client, prefix=prefix)
    try:
        # Already expired, or expiring now: still kept for one second (SET EX needs >= 1).
        assert cache.first_use("past", expires_at=T0 - timedelta(seconds=5), now=T0)
        assert cache.first_use("now", expires_at=T0, now=T0)
        assert cache.first_use("ceil", expires_at=T0 + timedelta(seconds=2.2), now=T0)
        # In milliseconds: set with EX 1, 1 and 3 (2.2 s rounded up), read a moment later.
        assert 0 < redis_client.pttl(f"{prefix}past") <= 1000
        assert 0 < redis_client.pttl(f"{prefix}now") <= 1000
        assert 2000 < redis_client.pttl(f"{prefix}ceil") <= 3000
        assert redis_client.get(f"{prefix}now") == b"1"
        assert not cache.first_use("now", expires_at=T0, now=T0)
    finally:
        redis_client.delete(f"{prefix}past", f"{prefix}now", f"{prefix}ceil")


def test_redis_keys_have_the_default_prefix(redis_client: Any) -> None:
    name = f"test-{uuid.uuid4().hex}"
    try:
        assert RedisReplayCache(redis_client).first_use(
            name, expires_at=T0 + timedelta(seconds=30), now=T0
        )
        assert redis_client.get(f"delta:signing:jti:{name}") == b"1"
    finally:
        redis_client.delete(f"delta:signing:jti:{name}")


def test_an_unreachable_redis_is_named_by_its_error() -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    with pytest.raises(ReplayCacheUnavailable) as refused:
        RedisReplayCache(client).first_use("k", expires_at=T0 + timedelta(seconds=5), now=T0)
    assert str(refused.value) == "redis: ConnectionError"


# --- usable_keys and key_by_id ---------------------------------------------------------


def _store(*validities: Validity) -> TrustStore:
    return TrustStore(
        signing_key(generate_private_key("ec-p256"), purposes={"saml"}, validity=v).trusted(
            issuer="https://a.test"
        )
        for v in validities
    )


def test_usable_keys_say_why_there_are_none() -> None:
    early = Validity(T0 + timedelta(days=1), T0 + timedelta(days=2))
    late = Validity(T0 - timedelta(days=2), T0 - timedelta(days=1))
    options: dict[str, Any] = {"issuer": "https://a.test", "purpose": "saml", "at": T0}
    with pytest.raises(KeyNotYetValid) as not_yet:
        usable_keys(_store(early, early), **options)
    assert str(not_yet.value) == "no key of 'https://a.test' is valid yet"
    for store in (_store(late), _store(early, late), _store(late, early)):
        with pytest.raises(KeyExpired) as expired:
            usable_keys(store, **options)
        assert str(expired.value) == "every key of 'https://a.test' for 'saml' has expired"
    with pytest.raises(UntrustedKey) as unknown:
        usable_keys(_store(early), issuer="https://a.test", purpose="jwt", at=T0)
    assert str(unknown.value) == "no key is trusted for issuer 'https://a.test' and purpose 'jwt'"
    store = _store(late, VALIDITY, early)
    assert [k.validity for k in usable_keys(store, **options)] == [VALIDITY]


# --- default allow-lists ---------------------------------------------------------------


def test_default_allow_lists_by_key_type_and_curve() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    assert default_jws_algorithms(p384) == ("ES384",)
    assert default_xml_signature_methods(p384) == (ECDSA_SHA384,)
    p521 = ec.generate_private_key(ec.SECP521R1()).public_key()
    for function in (default_jws_algorithms, default_xml_signature_methods):
        with pytest.raises(ConfigurationError) as curve:
            function(p521)
        assert str(curve.value) == "unsupported curve secp521r1"
        with pytest.raises(ConfigurationError) as kind:
            function(x25519.X25519PrivateKey.generate().public_key())  # type: ignore[arg-type]
        assert str(kind.value) == "unsupported key type X25519PublicKey"
