"""Replay caches of ``signing``: in-memory and Redis, both fail-closed.

The SQL cache lives with the node database: tests/interregion/test_replay.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from signing.errors import ReplayCacheUnavailable, ReplayedToken
from signing.jwt import issue_jwt, verify_jwt
from signing.keys import SigningKey, utcnow
from signing.replay import MemoryReplayCache, RedisReplayCache, ReplayCache
from signing.truststore import TrustStore

REDIS_URL = "redis://127.0.0.1:6379/0"
ISS, AUD, TYP = "https://310000.delta.test", "https://320000.delta.test", "window-case+jwt"


def _redis_client() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(
            f"Redis at 127.0.0.1:6379 is unreachable ({type(error).__name__}); "
            "start it to run this test"
        )
    return client


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[ReplayCache]:
    kind = request.param
    if kind == "memory":
        yield MemoryReplayCache()
    elif kind == "redis":
        client = _redis_client()
        prefix = f"test:signing:{uuid.uuid4().hex}:"
        yield RedisReplayCache(client, prefix=prefix)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_replayed_jti_is_refused_with_every_cache(cache: ReplayCache, ec_key: SigningKey) -> None:
    store = TrustStore([ec_key.trusted(issuer=ISS)])
    token = issue_jwt({}, key=ec_key, issuer=ISS, audience=AUD, typ=TYP)
    options: dict[str, Any] = {"trust": store, "issuer": ISS, "audience": AUD, "typ": TYP}
    assert verify_jwt(token, replay_cache=cache, **options)["iss"] == ISS
    with pytest.raises(ReplayedToken):
        verify_jwt(token, replay_cache=cache, **options)
    other = issue_jwt({}, key=ec_key, issuer=ISS, audience=AUD, typ=TYP)
    assert verify_jwt(other, replay_cache=cache, **options)


def test_entries_expire_and_can_be_reused(cache: ReplayCache) -> None:
    now = utcnow()
    assert cache.first_use("k", expires_at=now + timedelta(seconds=5), now=now)
    assert not cache.first_use(
        "k", expires_at=now + timedelta(seconds=5), now=now + timedelta(seconds=1)
    )
    if isinstance(cache, RedisReplayCache):
        return  # Redis expires by its own clock; covered by the TTL below.
    later = now + timedelta(seconds=6)
    assert cache.first_use("k", expires_at=later + timedelta(seconds=5), now=later)
    assert not cache.first_use("k", expires_at=later + timedelta(seconds=5), now=later)


def test_concurrent_first_use_has_exactly_one_winner(cache: ReplayCache) -> None:
    now = utcnow()
    keys = [f"jti-{n}" for n in range(20)]

    def attempt(key: str) -> bool:
        return cache.first_use(key, expires_at=now + timedelta(minutes=5), now=now)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, keys * 8))
    assert sum(results) == len(keys)


def test_redis_uses_set_nx_with_a_ttl() -> None:
    client = _redis_client()
    prefix = f"test:signing:{uuid.uuid4().hex}:"
    cache = RedisReplayCache(client, prefix=prefix)
    now = utcnow()
    assert cache.first_use("k", expires_at=now + timedelta(seconds=90), now=now)
    assert 85 <= client.ttl(f"{prefix}k") <= 90
    client.delete(f"{prefix}k")


def test_memory_cache_is_bounded_and_fails_closed() -> None:
    cache = MemoryReplayCache(max_entries=3)
    now = utcnow()
    for n in range(3):
        assert cache.first_use(f"k{n}", expires_at=now + timedelta(seconds=10), now=now)
    with pytest.raises(ReplayCacheUnavailable):
        cache.first_use("k3", expires_at=now + timedelta(seconds=10), now=now)
    # Once the entries expire, room is made without forgetting anything live.
    assert cache.first_use(
        "k3", expires_at=now + timedelta(seconds=30), now=now + timedelta(seconds=11)
    )
    assert len(cache) == 1


def test_unreachable_redis_fails_closed() -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    cache = RedisReplayCache(client)
    now = utcnow()
    with pytest.raises(ReplayCacheUnavailable):
        cache.first_use("k", expires_at=now + timedelta(seconds=5), now=now)
