"""A small federation for registry and rotation tests: members, an authority and a server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signing.federation import (
    FederationRegistry,
    Member,
    RegisteredKey,
    registered_key,
    sign_registry,
)
from signing.keys import SigningKey, utcnow

AUTHORITY = "delta-federation-authority"
FEDERATION = "delta"


def entity_id(region_code: str) -> str:
    return f"https://{region_code}.delta.test/saml/metadata"


def member(region_code: str, keys: list[RegisteredKey]) -> Member:
    base = f"https://{region_code}.delta.test"
    return Member(
        region_code=region_code,
        name=f"region {region_code}",
        entity_id=entity_id(region_code),
        base_url=base,
        endpoints={
            "saml_metadata": f"{base}/saml/metadata",
            "sso": f"{base}/saml/sso",
            "acs": f"{base}/saml/acs",
            "licence_verify": f"{base}/licences/verify",
            "cases": f"{base}/cases",
        },
        roles=("identity-provider", "licence-verifier"),
        keys=tuple(keys),
    )


def first_registry(
    members_keys: dict[str, SigningKey], *, now: datetime | None = None, serial: int = 1
) -> FederationRegistry:
    moment = now or utcnow()
    return FederationRegistry(
        federation=FEDERATION,
        authority=AUTHORITY,
        serial=serial,
        issued_at=moment,
        next_update=moment + timedelta(hours=1),
        members=tuple(
            member(code, [registered_key(key, status="current")])
            for code, key in sorted(members_keys.items())
        ),
    )


@dataclass
class RegistryServer:
    """What the authority serves; ``down`` simulates an unreachable authority."""

    authority_key: SigningKey
    token: str = ""
    down: bool = False
    fetches: int = 0
    history: list[str] = field(default_factory=list)

    def publish(self, registry: FederationRegistry) -> str:
        self.token = sign_registry(registry, authority_key=self.authority_key)
        self.history.append(self.token)
        return self.token

    def fetch(self) -> str:
        self.fetches += 1
        if self.down:
            raise ConnectionError("authority unreachable")
        return self.token
