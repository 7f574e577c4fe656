"""The demo federation's key directory, as the ``delta keys`` commands keep it.

Layout under ``$DELTA_HOME``::

    keys/authority/authority.key.pem    federation authority (ECDSA P-256, 0600)
    keys/authority/authority.cert.pem   self-signed federation root CA
    keys/<region>/keys.json             the region's keys and their rotation status
    keys/<region>/<kid>.key.pem         private keys (0600)
    keys/<region>/<kid>.cert.pem        certificates issued by the root
    federation/members.json             editable member data (URLs, endpoints, roles)
    federation/registry.jws             the latest signed registry

Real deployments bring their own PEM files; nothing else reads this layout.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signing.certificates import (
    certificate_pem,
    issue_member_certificate,
    issue_root_certificate,
    load_certificate_pem,
)
from signing.errors import ConfigurationError
from signing.federation import (
    ROLES,
    FederationRegistry,
    KeyStatus,
    Member,
    registered_key,
)
from signing.keys import (
    ALL_MEMBER_PURPOSES,
    KeyKind,
    Purpose,
    SigningKey,
    TrustedKey,
    Validity,
    generate_private_key,
    kind_of,
    load_private_key_pem,
    signing_key,
)
from standards.regions import DELTA_PROVINCES, is_well_formed, name_of

FEDERATION_ID = "delta"
AUTHORITY_ID = "delta-federation-authority"
DEMO_PORTS = {"310000": 9310, "320000": 9320, "330000": 9330, "340000": 9340}
AUTHORITY_LIFETIME = timedelta(days=3650)
MEMBER_KEY_LIFETIME = timedelta(days=730)
ROTATION_STEPS = ("announce", "switch", "retire")


def write_private(path: Path, data: bytes) -> None:
    """Create a file only its owner can read; never overwrite an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def demo_member_config(region_code: str) -> dict[str, Any]:
    base = f"http://127.0.0.1:{DEMO_PORTS.get(region_code, 9300)}"
    return {
        "name": name_of(region_code),
        "entity_id": f"{base}/saml/metadata",
        "base_url": base,
        "endpoints": {
            "saml_metadata": f"{base}/saml/metadata",
            "sso": f"{base}/saml/sso",
            "acs": f"{base}/saml/acs",
            "licence_verify": f"{base}/licences/verify",
            "cases": f"{base}/cases",
        },
        "roles": list(ROLES),
    }


@dataclass(frozen=True)
class KeyEntry:
    kid: str
    status: KeyStatus
    not_before: datetime
    not_after: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "status": self.status,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyEntry:
        return cls(
            kid=data["kid"],
            status=data["status"],
            not_before=datetime.fromisoformat(data["not_before"]),
            not_after=datetime.fromisoformat(data["not_after"]),
        )


class KeyDirectory:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.keys_dir = home / "keys"
        self.authority_dir = self.keys_dir / "authority"
        self.federation_dir = home / "federation"

    @property
    def authority_key_path(self) -> Path:
        return self.authority_dir / "authority.key.pem"

    @property
    def authority_cert_path(self) -> Path:
        return self.authority_dir / "authority.cert.pem"

    @property
    def members_path(self) -> Path:
        return self.federation_dir / "members.json"

    @property
    def registry_path(self) -> Path:
        return self.federation_dir / "registry.jws"

    def region_dir(self, region_code: str) -> Path:
        if not is_well_formed(region_code):
            raise ConfigurationError(f"{region_code!r} is not a GB/T 2260 region code")
        return self.keys_dir / region_code

    # -- authority ----------------------------------------------------------------------

    def authority_key(self) -> SigningKey:
        if not self.authority_key_path.exists():
            raise ConfigurationError("no federation authority key: run 'delta keys init'")
        certificate = load_certificate_pem(self.authority_certificate_pem())
        return signing_key(
            load_private_key_pem(self.authority_key_path.read_bytes()),
            purposes={Purpose.REGISTRY},
            validity=Validity.unbounded(),
            certificate=certificate,
        )

    def authority_certificate_pem(self) -> bytes:
        if not self.authority_cert_path.exists():
            raise ConfigurationError(
                f"no federation authority certificate under {self.authority_dir}: "
                "run 'delta keys init'"
            )
        return self.authority_cert_path.read_bytes()

    def signed_registry(self) -> str:
        """The latest signed registry (compact JWS) as written by ``registry sign``."""
        if not self.registry_path.exists():
            raise ConfigurationError(
                f"no signed registry at {self.registry_path}: run 'delta federation registry sign'"
            )
        return self.registry_path.read_text("ascii").strip()

    def authority_trusted_key(self) -> TrustedKey:
        return self.authority_key().trusted(issuer=AUTHORITY_ID)

    def _ensure_authority(self, now: datetime) -> bool:
        if self.authority_key_path.exists():
            return False
        private = generate_private_key("ec-p256")
        certificate = issue_root_certificate(
            private,
            common_name="Delta Federation Root CA (demo)",
            organization="Yangtze River Delta Interchange",
            validity=Validity.starting(now - timedelta(minutes=5), AUTHORITY_LIFETIME),
        )
        write_private(
            self.authority_key_path,
            signing_key(
                private, purposes={Purpose.REGISTRY}, validity=Validity.unbounded()
            ).private_pem(),
        )
        write_atomic(self.authority_cert_path, certificate_pem(certificate))
        return True

    # -- region keys --------------------------------------------------------------------

    def _entries_path(self, region_code: str) -> Path:
        return self.region_dir(region_code) / "keys.json"

    def entries(self, region_code: str) -> list[KeyEntry]:
        path = self._entries_path(region_code)
        if not path.exists():
            return []
        return [KeyEntry.from_json(e) for e in json.loads(path.read_text("utf-8"))["keys"]]

    def _save_entries(self, region_code: str, entries: list[KeyEntry]) -> None:
        body = json.dumps({"keys": [e.to_json() for e in entries]}, indent=2)
        write_atomic(self._entries_path(region_code), body.encode("utf-8"))

    def region_key(self, region_code: str, kid: str) -> SigningKey:
        folder = self.region_dir(region_code)
        entry = next((e for e in self.entries(region_code) if e.kid == kid), None)
        if entry is None:
            raise ConfigurationError(f"{region_code} has no key {kid}")
        return signing_key(
            load_private_key_pem((folder / f"{kid}.key.pem").read_bytes()),
            purposes=ALL_MEMBER_PURPOSES,
            validity=Validity(entry.not_before, entry.not_after),
            certificate=load_certificate_pem((folder / f"{kid}.cert.pem").read_bytes()),
        )

    def _new_region_key(self, region_code: str, kind: KeyKind, now: datetime) -> KeyEntry:
        authority = self.authority_key()
        assert authority.certificate is not None
        private = generate_private_key(kind)
        validity = Validity.starting(now - timedelta(minutes=5), MEMBER_KEY_LIFETIME)
        certificate = issue_member_certificate(
            ca_key=authority.private_key,
            ca_certificate=authority.certificate,
            public_key=private.public_key(),
            region_code=region_code,
            common_name=f"Delta federation node {region_code}",
            organization=name_of(region_code),
            validity=validity,
        )
        key = signing_key(
            private, purposes=ALL_MEMBER_PURPOSES, validity=validity, certificate=certificate
        )
        folder = self.region_dir(region_code)
        write_private(folder / f"{key.kid}.key.pem", key.private_pem())
        write_atomic(folder / f"{key.kid}.cert.pem", certificate_pem(certificate))
        return KeyEntry(key.kid, "current", key.validity.not_before, key.validity.not_after)

    def init_demo(self, *, now: datetime, kind: KeyKind = "rsa") -> dict[str, Any]:
        """Create whatever is missing; existing keys are kept (idempotent)."""
        created: list[str] = []
        if self._ensure_authority(now):
            created.append("authority")
        regions: dict[str, str] = {}
        for code in DELTA_PROVINCES:
            entries = self.entries(code)
            if not entries:
                entries = [self._new_region_key(code, kind, now)]
                self._save_entries(code, entries)
                created.append(code)
            regions[code] = next(e.kid for e in entries if e.status == "current")
        if not self.members_path.exists():
            config = {code: demo_member_config(code) for code in DELTA_PROVINCES}
            write_atomic(
                self.members_path, json.dumps(config, ensure_ascii=False, indent=2).encode()
            )
            created.append("members.json")
        return {
            "home": str(self.home),
            "authority": self.authority_key().kid,
            "regions": regions,
            "created": created,
        }

    def rotate(self, region_code: str, *, now: datetime, step: str | None = None) -> dict[str, Any]:
        """Advance one rotation step: announce a next key, switch to it, retire the old one."""
        entries = self.entries(region_code)
        if not entries:
            raise ConfigurationError(f"no keys for {region_code}: run 'delta keys init'")
        statuses = {e.status for e in entries}
        due = "retire" if "previous" in statuses else "switch" if "next" in statuses else "announce"
        if step is not None and step != due:
            raise ConfigurationError(
                f"the next rotation step for {region_code} is {due!r}, not {step!r}"
            )
        if due == "announce":
            current = self.region_key(
                region_code, next(e.kid for e in entries if e.status == "current")
            )
            new = self._new_region_key(region_code, kind_of(current.public_key), now)
            entries.append(KeyEntry(new.kid, "next", new.not_before, new.not_after))
            kid = new.kid
        elif due == "switch":
            kid = next(e.kid for e in entries if e.status == "next")
            entries = [
                KeyEntry(
                    e.kid,
                    "current"
                    if e.kid == kid
                    else "previous"
                    if e.status == "current"
                    else e.status,
                    e.not_before,
                    e.not_after,
                )
                for e in entries
            ]
        else:
            kid = next(e.kid for e in entries if e.status == "previous")
            folder = self.region_dir(region_code)
            (folder / "retired").mkdir(exist_ok=True, mode=0o700)
            for suffix in (".key.pem", ".cert.pem"):
                os.replace(folder / f"{kid}{suffix}", folder / "retired" / f"{kid}{suffix}")
            entries = [e for e in entries if e.kid != kid]
        self._save_entries(region_code, entries)
        return {"region": region_code, "step": due, "kid": kid}

    # -- registry -----------------------------------------------------------------------

    def members(self) -> tuple[Member, ...]:
        if not self.members_path.exists():
            raise ConfigurationError("no members.json: run 'delta keys init'")
        config = json.loads(self.members_path.read_text("utf-8"))
        members = []
        for code, data in sorted(config.items()):
            keys = tuple(
                registered_key(self.region_key(code, entry.kid), status=entry.status)
                for entry in self.entries(code)
            )
            members.append(
                Member(
                    region_code=code,
                    name=data["name"],
                    entity_id=data["entity_id"],
                    base_url=data["base_url"],
                    endpoints=dict(data["endpoints"]),
                    roles=tuple(data["roles"]),
                    keys=keys,
                )
            )
        return tuple(members)

    def build_registry(
        self, *, serial: int, now: datetime, valid_for: timedelta
    ) -> FederationRegistry:
        return FederationRegistry(
            federation=FEDERATION_ID,
            authority=AUTHORITY_ID,
            serial=serial,
            issued_at=now,
            next_update=now + valid_for,
            members=self.members(),
        )
