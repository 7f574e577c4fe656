"""The signed federation registry and the client that keeps it fresh."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signing.errors import (
    ConfigurationError,
    RegistryMalformed,
    RegistryRollback,
    RegistryStale,
    RegistryUnavailable,
    SignatureInvalid,
    UnknownKeyId,
    WrongFederation,
    WrongTokenType,
)
from signing.federation import (
    REGISTRY_TYP,
    FederationRegistry,
    sign_registry,
    verify_registry,
)
from signing.jws import sign_jws
from signing.jwt import issue_jwt, verify_jwt
from signing.keys import Purpose, SigningKey, utcnow
from signing.registry_client import RegistryClient
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from tests.signing.conftest import Federation
from tests.signing.registry_fixtures import (
    AUTHORITY,
    FEDERATION,
    RegistryServer,
    entity_id,
    first_registry,
)

MAX_AGE = timedelta(hours=24)


@pytest.fixture(scope="module")
def authority(federation: Federation) -> SigningKey:
    return federation.root_key


@pytest.fixture(scope="module")
def pinned(authority: SigningKey) -> TrustStore:
    return TrustStore([authority.trusted(issuer=AUTHORITY)])


@pytest.fixture(scope="module")
def registry(rsa_key: SigningKey, ec_key: SigningKey) -> FederationRegistry:
    return first_registry({"310000": rsa_key, "320000": ec_key})


def verify(token: str, pinned: TrustStore, **overrides: Any) -> FederationRegistry:
    options: dict[str, Any] = {
        "authority_keys": pinned,
        "authority": AUTHORITY,
        "federation": FEDERATION,
        "max_age": MAX_AGE,
        **overrides,
    }
    return verify_registry(token, **options)


def _sign_payload(payload: dict[str, Any], authority: SigningKey) -> str:
    body = json.dumps(payload).encode()
    return sign_jws(body, key=authority, purpose=Purpose.REGISTRY, typ=REGISTRY_TYP)


# --- the document ----------------------------------------------------------------------


def test_registry_round_trip(
    registry: FederationRegistry, authority: SigningKey, pinned: TrustStore, rsa_key: SigningKey
) -> None:
    token = sign_registry(registry, authority_key=authority)
    verified = verify(token, pinned)
    assert verified.to_json() == registry.to_json()
    shanghai = verified.member("310000")
    assert shanghai.endpoints["licence_verify"].endswith("/licences/verify")
    assert shanghai.current_key_id(Purpose.SAML) == rsa_key.kid
    assert shanghai.keys[0].certificate == rsa_key.certificate
    store = verified.trust_store()
    (key,) = store.keys_for(issuer=entity_id("310000"), purpose=Purpose.JWT)
    assert key.kid == rsa_key.kid
    assert key.jws_algorithms == frozenset({"PS256", "RS256"})


def test_tampered_registry_is_refused(
    registry: FederationRegistry, authority: SigningKey, pinned: TrustStore
) -> None:
    header, payload, signature = sign_registry(registry, authority_key=authority).split(".")
    other = sign_registry(replace(registry, serial=99), authority_key=authority).split(".")[1]
    with pytest.raises(SignatureInvalid):
        verify(f"{header}.{other}.{signature}", pinned)
    assert payload != other


def test_registry_signed_by_a_member_key_is_refused(
    registry: FederationRegistry, rsa_key: SigningKey, pinned: TrustStore
) -> None:
    impostor = replace(rsa_key, purposes=frozenset({Purpose.REGISTRY}))
    with pytest.raises(UnknownKeyId):
        verify(sign_registry(registry, authority_key=impostor), pinned)


def test_a_jwt_from_the_authority_is_not_a_registry(
    authority: SigningKey, pinned: TrustStore
) -> None:
    token = issue_jwt(
        {}, key=authority, issuer=AUTHORITY, audience="x", typ="x+jwt", purpose=Purpose.REGISTRY
    )
    with pytest.raises(WrongTokenType):
        verify(token, pinned)


def test_registry_of_another_federation_is_refused(
    registry: FederationRegistry, authority: SigningKey, pinned: TrustStore
) -> None:
    token = sign_registry(replace(registry, federation="elsewhere"), authority_key=authority)
    with pytest.raises(WrongFederation):
        verify(token, pinned)


def test_old_registry_is_stale(
    registry: FederationRegistry, authority: SigningKey, pinned: TrustStore
) -> None:
    token = sign_registry(registry, authority_key=authority)
    with pytest.raises(RegistryStale):
        verify(token, pinned, now=registry.issued_at + MAX_AGE + timedelta(seconds=1))


def _mangle(registry: FederationRegistry, change: Any) -> dict[str, Any]:
    payload = registry.to_json()
    change(payload)
    return payload


MANGLES = {
    "kid-not-thumbprint": lambda p: p["members"][0]["keys"][0].update(kid="chosen-kid"),
    "private-jwk": lambda p: p["members"][0]["keys"][0]["jwk"].update(d="AAAA"),
    "bad-region-code": lambda p: p["members"][0].update(region_code="31000X"),
    "bad-url": lambda p: p["members"][0].update(base_url="javascript:alert(1)"),
    "bad-endpoint": lambda p: p["members"][0]["endpoints"].update(sso="ftp://x"),
    "bad-status": lambda p: p["members"][0]["keys"][0].update(status="maybe"),
    "shared-kid": lambda p: p["members"][1].update(keys=p["members"][0]["keys"]),
    "duplicate-region": lambda p: p["members"][1].update(region_code="310000"),
    "serial-zero": lambda p: p.update(serial=0),
    "empty-window": lambda p: p["members"][0]["keys"][0].update(not_after=0),
    "no-members": lambda p: p.pop("members"),
    "x5c-of-another-key": lambda p: p["members"][0]["keys"][0]["jwk"].update(
        x5c=["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]
    ),
}


@pytest.mark.parametrize("mangle", sorted(MANGLES))
def test_malformed_registries_are_refused(
    mangle: str, registry: FederationRegistry, authority: SigningKey, pinned: TrustStore
) -> None:
    token = _sign_payload(_mangle(registry, MANGLES[mangle]), authority)
    with pytest.raises(RegistryMalformed):
        verify(token, pinned)


# --- the client ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server(authority: SigningKey, registry: FederationRegistry) -> RegistryServer:
    server = RegistryServer(authority)
    server.publish(registry)
    return server


def make_client(server: RegistryServer, authority: SigningKey, **options: Any) -> RegistryClient:
    return RegistryClient(
        server.fetch,
        authority_keys=[authority.trusted(issuer=AUTHORITY)],
        authority=AUTHORITY,
        federation=FEDERATION,
        **options,
    )


def test_client_has_nothing_before_the_first_fetch(
    server: RegistryServer, authority: SigningKey
) -> None:
    client = make_client(server, authority)
    with pytest.raises(RegistryUnavailable):
        client.registry()
    assert client.refresh() is True
    assert client.registry().serial == 1


def test_client_is_a_key_source_for_verification(
    server: RegistryServer, authority: SigningKey, ec_key: SigningKey
) -> None:
    client = make_client(server, authority)
    client.refresh()
    token = issue_jwt({}, key=ec_key, issuer=entity_id("320000"), audience="me", typ="t+jwt")
    claims = verify_jwt(
        token,
        trust=client,
        issuer=entity_id("320000"),
        audience="me",
        typ="t+jwt",
        replay_cache=MemoryReplayCache(),
    )
    assert claims["iss"] == entity_id("320000")


def test_client_refuses_rollback_and_keeps_the_newer_copy(
    server: RegistryServer, authority: SigningKey, registry: FederationRegistry
) -> None:
    client = make_client(server, authority)
    server.publish(replace(registry, serial=5, issued_at=utcnow()))
    client.refresh()
    server.publish(replace(registry, serial=4, issued_at=utcnow()))
    with pytest.raises(RegistryRollback):
        client.refresh()
    assert client.registry().serial == 5
    assert isinstance(client.last_error, RegistryRollback)


def test_client_refuses_a_different_registry_with_the_same_serial(
    server: RegistryServer, authority: SigningKey, registry: FederationRegistry
) -> None:
    client = make_client(server, authority)
    client.refresh()
    assert client.refresh() is False  # the same document again is fine
    server.publish(replace(registry, members=registry.members[:1]))
    with pytest.raises(RegistryRollback):
        client.refresh()


def test_min_serial_floor_survives_restarts(server: RegistryServer, authority: SigningKey) -> None:
    client = make_client(server, authority, min_serial=2)
    with pytest.raises(RegistryRollback):
        client.refresh()


def test_last_good_copy_is_kept_up_to_max_age(
    server: RegistryServer, authority: SigningKey, ec_key: SigningKey, registry: FederationRegistry
) -> None:
    clock = Clock()
    clock.now = registry.issued_at
    client = make_client(server, authority, clock=clock, max_age=timedelta(hours=6))
    client.refresh()
    server.down = True
    clock.now += timedelta(hours=5)
    with pytest.raises(RegistryUnavailable):
        client.refresh()
    assert client.registry().serial == 1  # still serving the last good copy
    assert client.keys_for(issuer=entity_id("320000"), purpose=Purpose.JWT)
    clock.now += timedelta(hours=2)
    with pytest.raises(RegistryStale):
        client.registry()
    # Fail closed: verification through a stale registry is refused.
    token = issue_jwt({}, key=ec_key, issuer=entity_id("320000"), audience="me", typ="t+jwt")
    with pytest.raises(RegistryStale):
        verify_jwt(token, trust=client, issuer=entity_id("320000"), audience="me", typ="t+jwt")


def test_last_good_copy_on_disk_is_reverified(
    server: RegistryServer, authority: SigningKey, tmp_path: Path
) -> None:
    cache = tmp_path / "registry.jws"
    make_client(server, authority, cache_path=cache).refresh()
    assert cache.read_text() == server.token
    server.down = True
    restarted = make_client(server, authority, cache_path=cache)
    assert restarted.registry().serial == 1
    header, payload, signature = cache.read_text().split(".")
    cache.write_text(f"{header}.{payload}x.{signature}")
    tampered = make_client(server, authority, cache_path=cache)
    with pytest.raises(RegistryUnavailable):
        tampered.registry()


def test_only_pinned_registry_keys_are_accepted(
    server: RegistryServer, authority: SigningKey, rsa_key: SigningKey
) -> None:
    with pytest.raises(ConfigurationError):
        RegistryClient(
            server.fetch,
            authority_keys=[rsa_key.trusted(issuer=AUTHORITY)],
            authority=AUTHORITY,
            federation=FEDERATION,
        )
    with pytest.raises(ConfigurationError):
        RegistryClient(server.fetch, authority_keys=[], authority=AUTHORITY, federation=FEDERATION)


def test_refresh_if_due_follows_the_schedule(server: RegistryServer, authority: SigningKey) -> None:
    clock = Clock()
    client = make_client(
        server,
        authority,
        clock=clock,
        refresh_interval=timedelta(minutes=5),
        retry_interval=timedelta(seconds=30),
    )
    client.refresh_if_due()
    assert server.fetches == 1
    clock.now += timedelta(minutes=1)
    client.refresh_if_due()
    assert server.fetches == 1
    clock.now += timedelta(minutes=5)
    server.down = True
    client.refresh_if_due()  # fails quietly, keeps the copy
    assert server.fetches == 2
    assert isinstance(client.last_error, RegistryUnavailable)
    clock.now += timedelta(seconds=31)
    server.down = False
    client.refresh_if_due()  # retried sooner than the full interval
    assert server.fetches == 3
    assert client.last_error is None


def test_background_refresh_picks_up_a_new_registry(
    server: RegistryServer, authority: SigningKey, registry: FederationRegistry
) -> None:
    client = make_client(server, authority, refresh_interval=timedelta(milliseconds=20))
    client.start(tick=timedelta(milliseconds=5))
    try:
        deadline = time.monotonic() + 5
        while client.last_success is None and time.monotonic() < deadline:
            time.sleep(0.01)
        server.publish(replace(registry, serial=2, issued_at=utcnow()))
        while client.registry().serial < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.registry().serial == 2
    finally:
        client.stop()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: p.update(issued_at=10**20), id="issued-at-out-of-range"),
        pytest.param(lambda p: p.update(next_update=p["issued_at"]), id="next-update-not-later"),
    ],
)
def test_registry_times_must_make_sense(
    change: Any, registry: FederationRegistry, authority: SigningKey, pinned: TrustStore
) -> None:
    with pytest.raises(RegistryMalformed):
        verify(_sign_payload(_mangle(registry, change), authority), pinned)
