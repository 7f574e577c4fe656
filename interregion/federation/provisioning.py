"""The demo federation authority's duties, done for a laptop: keys, members, signed registry.

In a real federation the authority is its own organisation with its own
key, and nodes only fetch and verify its registry. On one machine the
authority's key sits under ``$DELTA_HOME/keys/authority``, so ``delta node
serve`` and ``delta demo serve`` (outside production only) do its job: create
whatever keys are missing, write ``federation/members.json`` with the nodes'
addresses, and sign a new registry (serial + 1) when the members changed or
the current one is getting old. A file lock makes concurrent starts safe.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from interregion.federation.members import member_config
from signing.federation import FederationRegistry, sign_registry, verify_registry
from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory, write_atomic
from signing.truststore import TrustStore
from standards.regions import DELTA_PROVINCES

REGISTRY_VALID_FOR = timedelta(hours=24)
# Re-sign well before nodes (max_age 24 h) would consider the registry stale.
RESIGN_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Provisioned:
    registry_path: Path
    serial: int
    signed_now: bool
    created: tuple[str, ...]


@contextmanager
def authority_lock(home: Path) -> Iterator[None]:
    path = home / "federation" / ".provision.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_base_urls(home: Path) -> dict[str, str]:
    """The nodes' base URLs as members.json has them (empty before the first start)."""
    path = KeyDirectory(home).members_path
    if not path.exists():
        return {}
    config = json.loads(path.read_text("utf-8"))
    return {code: str(entry["base_url"]) for code, entry in config.items()}


def _write_members(directory: KeyDirectory, base_urls: Mapping[str, str]) -> bool:
    wanted = {code: member_config(code, base_urls[code]) for code in DELTA_PROVINCES}
    path = directory.members_path
    if path.exists() and json.loads(path.read_text("utf-8")) == wanted:
        return False
    body = json.dumps(wanted, ensure_ascii=False, indent=2).encode("utf-8")
    write_atomic(path, body)
    return True


def _previous(directory: KeyDirectory) -> FederationRegistry | None:
    if not directory.registry_path.exists():
        return None
    return verify_registry(
        directory.registry_path.read_text("ascii").strip(),
        authority_keys=TrustStore([directory.authority_trusted_key()]),
        authority=AUTHORITY_ID,
        federation=FEDERATION_ID,
        max_age=timedelta(days=36500),
    )


def _members_json(registry: FederationRegistry) -> list[dict[str, Any]]:
    return [member.to_json() for member in registry.members]


def _write_recognition(directory: KeyDirectory) -> bool:
    """The demo mutual-recognition list, unless the authority already keeps one."""
    from interregion.licences.recognition import demo_recognition

    if directory.recognition_path.exists():
        return False
    body = json.dumps(
        [entry.to_json() for entry in demo_recognition()], ensure_ascii=False, indent=1
    )
    write_atomic(directory.recognition_path, body.encode("utf-8"))
    return True


def provision(home: Path, *, base_urls: Mapping[str, str], now: datetime) -> Provisioned:
    """Make ``home`` a working demo federation with the nodes at ``base_urls`` (idempotent)."""
    missing = sorted(set(DELTA_PROVINCES) - set(base_urls))
    if missing:
        raise ValueError(f"no base URL for {', '.join(missing)}")
    directory = KeyDirectory(home)
    with authority_lock(home):
        created: list[str] = []
        # members.json first: init_demo would otherwise write its own default ports.
        if _write_members(directory, base_urls):
            created.append("members.json")
        if _write_recognition(directory):
            created.append("recognition.json")
        report = directory.init_demo(now=now)
        created.extend(name for name in report["created"] if name != "members.json")
        previous = _previous(directory)
        candidate = directory.build_registry(
            serial=(previous.serial + 1) if previous else 1, now=now, valid_for=REGISTRY_VALID_FOR
        )
        due = (
            previous is None
            or _members_json(previous) != _members_json(candidate)
            or previous.recognition != candidate.recognition
            or now - previous.issued_at > RESIGN_AFTER
        )
        if due:
            token = sign_registry(candidate, authority_key=directory.authority_key(), now=now)
            write_atomic(directory.registry_path, token.encode("ascii"))
        serial = candidate.serial if due or previous is None else previous.serial
        return Provisioned(directory.registry_path, serial, due, tuple(created))
