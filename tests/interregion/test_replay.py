"""The node's SQL replay cache, on tables made by the node migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from delta import migrations
from interregion.replay import REPLAY_TABLE, SqlReplayCache
from signing.errors import ReplayCacheUnavailable, ReplayedToken
from signing.jwt import issue_jwt, verify_jwt
from signing.keys import ALL_MEMBER_PURPOSES, generate_signing_key, utcnow
from signing.truststore import TrustStore
from tests.support.postgres import temporary_database

ISS, AUD, TYP = "https://310000.delta.test", "https://320000.delta.test", "window-case+jwt"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def node_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A node database at the migration head: the table comes from the DDL, not from us."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'node.db'}"
        migrations.upgrade(url, package="interregion")
        yield url
        return
    with temporary_database("delta_replay") as url:
        migrations.upgrade(url, package="interregion")
        yield url


@pytest.fixture
def cache(node_url: str) -> Iterator[SqlReplayCache]:
    engine = create_engine(node_url)
    yield SqlReplayCache(engine)
    engine.dispose()


def test_the_migration_makes_the_table_the_code_declares(node_url: str) -> None:
    engine = create_engine(node_url)
    try:
        found = inspect(engine)
        columns = {c["name"]: c for c in found.get_columns(REPLAY_TABLE.name)}
        assert set(columns) == {c.name for c in REPLAY_TABLE.columns}
        assert not columns["expires_at"]["nullable"]
        key = found.get_pk_constraint(REPLAY_TABLE.name)["constrained_columns"]
        assert key == ["key"]
        indexes = {i["name"]: i["column_names"] for i in found.get_indexes(REPLAY_TABLE.name)}
        assert indexes == {i.name: [c.name for c in i.columns] for i in REPLAY_TABLE.indexes}
    finally:
        engine.dispose()


def test_a_replayed_jti_is_refused(cache: SqlReplayCache) -> None:
    key = generate_signing_key(
        "ec-p256", purposes=ALL_MEMBER_PURPOSES, now=utcnow() - timedelta(hours=1)
    )
    options: dict[str, Any] = {
        "trust": TrustStore([key.trusted(issuer=ISS)]), "issuer": ISS, "audience": AUD, "typ": TYP,
    }  # fmt: skip
    token = issue_jwt({}, key=key, issuer=ISS, audience=AUD, typ=TYP)
    assert verify_jwt(token, replay_cache=cache, **options)["iss"] == ISS
    with pytest.raises(ReplayedToken):
        verify_jwt(token, replay_cache=cache, **options)


def test_entries_expire_and_can_be_reused(cache: SqlReplayCache) -> None:
    now = utcnow()
    assert cache.first_use("k", expires_at=now + timedelta(seconds=5), now=now)
    assert not cache.first_use(
        "k", expires_at=now + timedelta(seconds=5), now=now + timedelta(seconds=1)
    )
    later = now + timedelta(seconds=6)
    assert cache.first_use("k", expires_at=later + timedelta(seconds=5), now=later)
    assert not cache.first_use("k", expires_at=later + timedelta(seconds=5), now=later)


def test_concurrent_first_use_has_exactly_one_winner(cache: SqlReplayCache) -> None:
    now = utcnow()
    keys = [f"jti-{n}" for n in range(20)]

    def attempt(key: str) -> bool:
        return cache.first_use(key, expires_at=now + timedelta(minutes=5), now=now)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, keys * 8))
    assert sum(results) == len(keys)


def test_expired_rows_are_purged(cache: SqlReplayCache) -> None:
    now = utcnow()
    for n in range(5):
        cache.first_use(f"k{n}", expires_at=now + timedelta(seconds=1), now=now)
    cache.first_use("live", expires_at=now + timedelta(minutes=1), now=now)
    assert cache.purge_expired(int((now + timedelta(seconds=2)).timestamp())) == 5


def test_without_its_table_the_cache_fails_closed(tmp_path: Path) -> None:
    # Nothing creates the table at run time any more: an unmigrated database refuses tokens.
    cache = SqlReplayCache(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    now = utcnow()
    with pytest.raises(ReplayCacheUnavailable):
        cache.first_use("k", expires_at=now + timedelta(seconds=5), now=now)


def _race_in_a_process(url: str, keys: list[str]) -> int:
    engine = create_engine(url)
    cache = SqlReplayCache(engine)
    now = utcnow()
    won = sum(cache.first_use(key, expires_at=now + timedelta(minutes=5), now=now) for key in keys)
    engine.dispose()
    return won


def test_the_cache_is_shared_by_several_processes(node_url: str) -> None:
    keys = [f"jti-{n}" for n in range(30)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        wins = list(pool.map(_race_in_a_process, [node_url] * 4, [keys] * 4))
    assert sum(wins) == len(keys)
