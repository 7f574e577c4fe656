"""Key rotation through the registry while traffic keeps flowing: zero failed verifications.

A region node signs JWTs and SAML assertions with whatever key its own view
of the registry calls ``current``; a relying node verifies them through its
own RegistryClient. Both refresh in background threads. The authority runs
the procedure from docs/signing.md twice (A -> B -> C):

1. announce the next key and wait until verifiers have it;
2. switch (next becomes current, old becomes previous) and wait until the
   signer has switched and everything it signed with the old key is consumed;
3. retire the previous key.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from signing.errors import UnknownKeyId
from signing.federation import (
    FederationRegistry,
    Member,
    active_signing_key,
    announce_key,
    registered_key,
    replace_member,
    retire_key,
    switch_to_key,
)
from signing.jwt import issue_jwt, verify_jwt
from signing.keys import ALL_MEMBER_PURPOSES, Purpose, SigningKey, generate_signing_key, utcnow
from signing.registry_client import RegistryClient
from signing.replay import MemoryReplayCache
from signing.xmldsig import sign_element, verify_xml
from tests.signing import saml
from tests.signing.conftest import Federation
from tests.signing.registry_fixtures import (
    AUTHORITY,
    FEDERATION,
    RegistryServer,
    entity_id,
    first_registry,
)

REGION = "310000"
ISSUER = entity_id(REGION)
AUDIENCE = entity_id("320000")
TYP = "identity-assertion+jwt"
WORKERS = 4


def new_key() -> SigningKey:
    return generate_signing_key(
        "ec-p256", purposes=ALL_MEMBER_PURPOSES, now=utcnow() - timedelta(minutes=1)
    )


def client_for(server: RegistryServer, federation: Federation) -> RegistryClient:
    client = RegistryClient(
        server.fetch,
        authority_keys=[federation.root_key.trusted(issuer=AUTHORITY)],
        authority=AUTHORITY,
        federation=FEDERATION,
        refresh_interval=timedelta(milliseconds=20),
        retry_interval=timedelta(milliseconds=20),
    )
    client.refresh()
    return client


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def signed_assertion(key: SigningKey, n: int) -> bytes:
    from lxml import etree

    root = etree.fromstring(saml.response_xml(name_id=f"user{n}@example.com"))
    sign_element(root.find(saml.ASSERTION), key=key, purpose=Purpose.SAML, after=saml.ISSUER_TAG)
    result: bytes = etree.tostring(root)
    return result


def test_rotation_under_load_has_zero_failed_verifications(federation: Federation) -> None:
    keys = {key.kid: key for key in (new_key(), new_key(), new_key())}
    first, second, third = keys.values()
    server = RegistryServer(federation.root_key)
    registry: FederationRegistry = first_registry({REGION: first, "320000": new_key()})
    server.publish(registry)

    signer_view = client_for(server, federation)  # the region node's own view
    verifier_view = client_for(server, federation)  # the relying node's view
    signer_view.start(tick=timedelta(milliseconds=5))
    verifier_view.start(tick=timedelta(milliseconds=5))

    stop = threading.Event()
    failures: list[str] = []
    verified_by: Counter[str] = Counter()
    iterations = [0] * WORKERS
    lock = threading.Lock()
    replay_cache = MemoryReplayCache()

    def work(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                member = signer_view.registry().member(REGION)
                key = active_signing_key(member, purpose=Purpose.JWT, private_keys=keys)
                token = issue_jwt(
                    {"sub": f"user{n}"}, key=key, issuer=ISSUER, audience=AUDIENCE, typ=TYP
                )
                document = signed_assertion(key, n)
                verify_jwt(
                    token,
                    trust=verifier_view,
                    issuer=ISSUER,
                    audience=AUDIENCE,
                    typ=TYP,
                    replay_cache=replay_cache,
                )
                verify_xml(
                    document,
                    trust=verifier_view,
                    issuer=ISSUER,
                    purpose=Purpose.SAML,
                    element_tag=saml.ASSERTION,
                )
                with lock:
                    verified_by[key.kid] += 2
            except Exception as error:  # any failure at all counts
                with lock:
                    failures.append(f"{type(error).__name__}: {error}")
            iterations[worker] += 1

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()

    def publish(next_registry: FederationRegistry) -> FederationRegistry:
        server.publish(next_registry)
        return next_registry

    def edit(current: FederationRegistry, change: Callable[[Member], Member]) -> FederationRegistry:
        member = change(current.member(REGION))
        return current.successor(
            members=replace_member(current.members, member),
            now=utcnow(),
            valid_for=timedelta(hours=1),
        )

    def drain() -> None:
        # Every worker finishes two more rounds: nothing signed before this point is in flight.
        marks = list(iterations)
        wait_until(lambda: all(i >= m + 2 for i, m in zip(iterations, marks, strict=True)), "drain")

    try:
        time.sleep(0.2)
        for old, new in ((first, second), (second, third)):
            # 1. announce
            registry = publish(
                edit(
                    registry, lambda m, new=new: announce_key(m, registered_key(new, status="next"))
                )
            )
            wait_until(lambda r=registry: verifier_view.registry().serial >= r.serial, "announce")
            time.sleep(0.1)
            # 2. switch
            registry = publish(edit(registry, lambda m, new=new: switch_to_key(m, new.kid)))
            wait_until(lambda r=registry: signer_view.registry().serial >= r.serial, "switch")
            drain()
            time.sleep(0.1)
            # 3. retire
            registry = publish(edit(registry, lambda m, old=old: retire_key(m, old.kid)))
            wait_until(lambda r=registry: verifier_view.registry().serial >= r.serial, "retire")
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        signer_view.stop()
        verifier_view.stop()

    print(f"rotation: {sum(verified_by.values())} verifications, {len(failures)} failures")
    assert failures == []
    assert all(verified_by[key.kid] > 0 for key in (first, second, third)), verified_by
    assert sum(verified_by.values()) > 100
    final = verifier_view.registry().member(REGION)
    assert [(k.kid, k.status) for k in final.keys] == [(third.kid, "current")]


def test_switching_without_announcing_breaks_verifiers(federation: Federation) -> None:
    """The negative control: skip step 1 and a verifier that has not refreshed refuses."""
    old, new = new_key(), new_key()
    server = RegistryServer(federation.root_key)
    registry = first_registry({REGION: old, "320000": new_key()})
    server.publish(registry)
    verifier_view = client_for(server, federation)
    token = issue_jwt({}, key=new, issuer=ISSUER, audience=AUDIENCE, typ=TYP)
    with pytest.raises(UnknownKeyId):
        verify_jwt(
            token,
            trust=verifier_view,
            issuer=ISSUER,
            audience=AUDIENCE,
            typ=TYP,
            replay_cache=MemoryReplayCache(),
        )
