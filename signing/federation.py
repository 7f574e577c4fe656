"""The federation registry: who the members are and which keys speak for them.

The registry is JSON signed as a compact JWS by the federation authority.
We chose JWS over XML-DSig because the trust anchor should have the smallest
possible attack surface: no XML parser, no canonicalization, no transforms,
one pinned key and one ``typ``; JSON also carries JWKs natively and the
compact form is a single string that travels well over HTTP and in files.

Every registry carries a ``serial`` that only grows (replaying an older,
validly signed registry is refused, see :mod:`signing.registry_client`),
when it was issued and when the next one is due. Each member lists its keys
with a status: ``current`` (signs now), ``next`` (announced, already
accepted by verifiers) and ``previous`` (no longer used to sign, still
accepted until it is retired), which is what makes rotation seamless.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from signing.errors import (
    ConfigurationError,
    MalformedToken,
    RegistryMalformed,
    RegistryStale,
    WrongFederation,
)
from signing.jwks import public_jwk, public_key_from_jwk, thumbprint
from signing.jws import parse_json_object, sign_jws, verify_jws
from signing.keys import Purpose, SigningKey, TrustedKey, Validity, as_utc, utcnow
from signing.truststore import KeySource, TrustStore
from standards.regions import is_well_formed

REGISTRY_TYP = "delta-federation-registry+json"
KeyStatus = Literal["current", "next", "previous"]
KEY_STATUSES: tuple[KeyStatus, ...] = ("current", "next", "previous")
ENDPOINT_NAMES = ("saml_metadata", "sso", "acs", "licence_verify", "cases")
ROLES = (
    "identity-provider",
    "service-provider",
    "licence-issuer",
    "licence-verifier",
    "case-window",
    "case-decider",
)
_TOKEN_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_TYPE_CODE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}$")
_CLOCK_SKEW = timedelta(minutes=5)


def _epoch(moment: datetime) -> int:
    return int(as_utc(moment).timestamp())


def _moment(value: Any, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RegistryMalformed(f"{what} must be an integer timestamp")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError) as error:
        raise RegistryMalformed(f"{what} is out of range") from error


def _url(value: Any, what: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
        raise RegistryMalformed(f"{what} must be an http(s) URL")
    return value


def _names(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and _TOKEN_NAME.match(item) for item in value
    ):
        raise RegistryMalformed(f"{what} must be a list of lower-case names")
    return tuple(value)


@dataclass(frozen=True)
class RegisteredKey:
    """A member's public key as the registry publishes it."""

    kid: str
    jwk: Mapping[str, str] = field(repr=False)
    status: KeyStatus
    purposes: frozenset[str]
    validity: Validity
    jws_algorithms: tuple[str, ...]
    xml_signature_methods: tuple[str, ...]
    certificate: x509.Certificate | None = field(default=None, repr=False)

    def trusted(self, *, issuer: str) -> TrustedKey:
        return TrustedKey(
            kid=self.kid,
            public_key=public_key_from_jwk(self.jwk),
            issuer=issuer,
            purposes=self.purposes,
            validity=self.validity,
            jws_algorithms=frozenset(self.jws_algorithms),
            xml_signature_methods=frozenset(self.xml_signature_methods),
            certificate=self.certificate,
        )

    def to_json(self) -> dict[str, Any]:
        jwk: dict[str, Any] = {**self.jwk, "kid": self.kid, "use": "sig"}
        if self.certificate is not None:
            der = self.certificate.public_bytes(Encoding.DER)
            jwk["x5c"] = [base64.b64encode(der).decode("ascii")]
        return {
            "kid": self.kid,
            "status": self.status,
            "purposes": sorted(self.purposes),
            "not_before": _epoch(self.validity.not_before),
            "not_after": _epoch(self.validity.not_after),
            "jws_algorithms": list(self.jws_algorithms),
            "xml_signature_methods": list(self.xml_signature_methods),
            "jwk": jwk,
        }

    @classmethod
    def from_json(cls, data: Any) -> RegisteredKey:
        if not isinstance(data, dict):
            raise RegistryMalformed("key entry must be an object")
        jwk_in = data.get("jwk")
        if not isinstance(jwk_in, dict):
            raise RegistryMalformed("key entry without a jwk")
        status = data.get("status")
        if status not in KEY_STATUSES:
            raise RegistryMalformed(f"key status must be one of {KEY_STATUSES}")
        try:
            public_key = public_key_from_jwk(jwk_in)
            kid = thumbprint(jwk_in)
        except (ValueError, KeyError, TypeError) as error:
            raise RegistryMalformed(f"unusable jwk: {error}") from error
        if data.get("kid") != kid or jwk_in.get("kid", kid) != kid:
            raise RegistryMalformed("kid must be the RFC 7638 thumbprint of the key")
        if jwk_in.get("use", "sig") != "sig":
            raise RegistryMalformed("only signature keys belong in the registry")
        certificate = None
        chain = jwk_in.get("x5c")
        if chain is not None:
            try:
                certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
            except (ValueError, TypeError, IndexError, KeyError) as error:
                raise RegistryMalformed("x5c is not a certificate") from error
            if certificate.public_key() != public_key:
                raise RegistryMalformed("x5c certificate does not match the jwk")
        algorithms = data.get("jws_algorithms", [])
        methods = data.get("xml_signature_methods", [])
        if not all(isinstance(a, str) for a in [*algorithms, *methods]):
            raise RegistryMalformed("algorithm lists must hold strings")
        try:
            validity = Validity(
                _moment(data.get("not_before"), "not_before"),
                _moment(data.get("not_after"), "not_after"),
            )
        except ConfigurationError as error:
            raise RegistryMalformed(str(error)) from error
        return cls(
            kid=kid,
            jwk=public_jwk(public_key),
            status=cast(KeyStatus, status),
            purposes=frozenset(_names(data.get("purposes"), "purposes")),
            validity=validity,
            jws_algorithms=tuple(algorithms),
            xml_signature_methods=tuple(methods),
            certificate=certificate,
        )


def registered_key(key: SigningKey, *, status: KeyStatus) -> RegisteredKey:
    """Publish the public half of one of our signing keys."""
    return RegisteredKey(
        kid=key.kid,
        jwk=public_jwk(key.public_key),
        status=status,
        purposes=key.purposes,
        validity=key.validity,
        jws_algorithms=key.jws_algorithms,
        xml_signature_methods=key.xml_signature_methods,
        certificate=key.certificate,
    )


@dataclass(frozen=True)
class Member:
    region_code: str
    name: str
    entity_id: str
    base_url: str
    endpoints: Mapping[str, str]
    roles: tuple[str, ...]
    keys: tuple[RegisteredKey, ...]

    def key(self, kid: str) -> RegisteredKey:
        for key in self.keys:
            if key.kid == kid:
                return key
        raise KeyError(kid)

    def keys_with_status(self, status: KeyStatus) -> list[RegisteredKey]:
        return [key for key in self.keys if key.status == status]

    def current_key_id(self, purpose: str) -> str:
        for key in self.keys:
            if key.status == "current" and purpose in key.purposes:
                return key.kid
        raise ConfigurationError(f"{self.region_code} has no current key for {purpose!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "region_code": self.region_code,
            "name": self.name,
            "entity_id": self.entity_id,
            "base_url": self.base_url,
            "endpoints": dict(self.endpoints),
            "roles": list(self.roles),
            "keys": [key.to_json() for key in self.keys],
        }

    @classmethod
    def from_json(cls, data: Any) -> Member:
        if not isinstance(data, dict):
            raise RegistryMalformed("member must be an object")
        code = data.get("region_code")
        if not isinstance(code, str) or not is_well_formed(code):
            raise RegistryMalformed("region_code must be a GB/T 2260 code")
        name, entity_id = data.get("name"), data.get("entity_id")
        if not isinstance(name, str) or not name or not isinstance(entity_id, str) or not entity_id:
            raise RegistryMalformed(f"member {code} needs a name and an entity_id")
        endpoints = data.get("endpoints")
        if not isinstance(endpoints, dict):
            raise RegistryMalformed(f"member {code} endpoints must be an object")
        _names(list(endpoints), "endpoint names")
        keys = data.get("keys")
        if not isinstance(keys, list):
            raise RegistryMalformed(f"member {code} keys must be a list")
        return cls(
            region_code=code,
            name=name,
            entity_id=entity_id,
            base_url=_url(data.get("base_url"), "base_url"),
            endpoints={n: _url(u, f"endpoint {n}") for n, u in endpoints.items()},
            roles=_names(data.get("roles"), "roles"),
            keys=tuple(RegisteredKey.from_json(key) for key in keys),
        )


@dataclass(frozen=True)
class RecognitionEntry:
    """One line of the mutual-recognition list (互认清单): for this licence type and usage
    scenario, the ``accepting`` regions accept licences from the ``issuers`` regions and
    may receive these ``fields`` (and the whole signed credential if ``credential``)."""

    licence_type: str
    scenario: str
    accepting: tuple[str, ...]
    issuers: tuple[str, ...]
    fields: tuple[str, ...]
    credential: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "licence_type": self.licence_type,
            "scenario": self.scenario,
            "accepting": list(self.accepting),
            "issuers": list(self.issuers),
            "fields": list(self.fields),
            "credential": self.credential,
        }

    @classmethod
    def from_json(cls, data: Any) -> RecognitionEntry:
        if not isinstance(data, dict):
            raise RegistryMalformed("recognition entry must be an object")
        licence_type, scenario = data.get("licence_type"), data.get("scenario")
        if not isinstance(licence_type, str) or not _TYPE_CODE.match(licence_type):
            raise RegistryMalformed("recognition licence_type must be a licence type code")
        if not isinstance(scenario, str) or not _TOKEN_NAME.match(scenario):
            raise RegistryMalformed("recognition scenario must be a lower-case name")
        regions = []
        for name in ("accepting", "issuers"):
            value = data.get(name)
            if not isinstance(value, list) or not all(
                isinstance(code, str) and is_well_formed(code) for code in value
            ):
                raise RegistryMalformed(f"recognition {name} must list region codes")
            regions.append(tuple(value))
        fields = data.get("fields")
        if not isinstance(fields, list) or not all(
            isinstance(f, str) and _FIELD_NAME.match(f) for f in fields
        ):
            raise RegistryMalformed("recognition fields must be a list of field names")
        credential = data.get("credential", False)
        if not isinstance(credential, bool):
            raise RegistryMalformed("recognition credential must be true or false")
        return cls(licence_type, scenario, regions[0], regions[1], tuple(fields), credential)


@dataclass(frozen=True)
class FederationRegistry:
    federation: str
    authority: str
    serial: int
    issued_at: datetime
    next_update: datetime
    members: tuple[Member, ...]
    # The mutual-recognition list travels in the registry: only the authority can change it.
    recognition: tuple[RecognitionEntry, ...] = ()

    def __post_init__(self) -> None:
        codes = [m.region_code for m in self.members]
        entity_ids = [m.entity_id for m in self.members]
        kids = [k.kid for m in self.members for k in m.keys]
        if len(set(codes)) != len(codes) or len(set(entity_ids)) != len(entity_ids):
            raise RegistryMalformed("region codes and entity ids must be unique")
        if len(set(kids)) != len(kids):
            raise RegistryMalformed("a key may belong to one member only")
        lines = [(entry.licence_type, entry.scenario) for entry in self.recognition]
        if len(set(lines)) != len(lines):
            raise RegistryMalformed("one recognition entry per licence type and scenario")

    def member(self, region_code: str) -> Member:
        for member in self.members:
            if member.region_code == region_code:
                return member
        raise KeyError(region_code)

    def member_by_entity_id(self, entity_id: str) -> Member:
        for member in self.members:
            if member.entity_id == entity_id:
                return member
        raise KeyError(entity_id)

    def trust_store(self) -> TrustStore:
        """Every listed key (any status) for its member's entity id."""
        return TrustStore(
            key.trusted(issuer=member.entity_id) for member in self.members for key in member.keys
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "federation": self.federation,
            "authority": self.authority,
            "serial": self.serial,
            "issued_at": _epoch(self.issued_at),
            "next_update": _epoch(self.next_update),
            "members": [member.to_json() for member in self.members],
            "recognition": [entry.to_json() for entry in self.recognition],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FederationRegistry:
        serial = data.get("serial")
        if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
            raise RegistryMalformed("serial must be a positive integer")
        federation, authority = data.get("federation"), data.get("authority")
        if not isinstance(federation, str) or not isinstance(authority, str):
            raise RegistryMalformed("federation and authority must be strings")
        members = data.get("members")
        if not isinstance(members, list):
            raise RegistryMalformed("members must be a list")
        issued_at = _moment(data.get("issued_at"), "issued_at")
        next_update = _moment(data.get("next_update"), "next_update")
        if next_update <= issued_at:
            raise RegistryMalformed("next_update must come after issued_at")
        recognition = data.get("recognition", [])
        if not isinstance(recognition, list):
            raise RegistryMalformed("recognition must be a list")
        return cls(
            federation=federation,
            authority=authority,
            serial=serial,
            issued_at=issued_at,
            next_update=next_update,
            members=tuple(Member.from_json(member) for member in members),
            recognition=tuple(RecognitionEntry.from_json(entry) for entry in recognition),
        )

    def successor(
        self, *, members: Iterable[Member], now: datetime, valid_for: timedelta
    ) -> FederationRegistry:
        """The next edition: serial + 1, issued now."""
        moment = as_utc(now)
        return replace(
            self,
            serial=self.serial + 1,
            issued_at=moment,
            next_update=moment + valid_for,
            members=tuple(members),
        )


def sign_registry(
    registry: FederationRegistry, *, authority_key: SigningKey, now: datetime | None = None
) -> str:
    body = json.dumps(registry.to_json(), separators=(",", ":"), ensure_ascii=False)
    return sign_jws(
        body.encode("utf-8"),
        key=authority_key,
        purpose=Purpose.REGISTRY,
        typ=REGISTRY_TYP,
        now=now or registry.issued_at,
    )


def verify_registry(
    token: str,
    *,
    authority_keys: KeySource,
    authority: str,
    federation: str,
    max_age: timedelta,
    now: datetime | None = None,
) -> FederationRegistry:
    """Verify the authority's signature and the registry's shape and age."""
    moment = as_utc(now or utcnow())
    verified = verify_jws(
        token,
        trust=authority_keys,
        issuer=authority,
        purpose=Purpose.REGISTRY,
        typ=REGISTRY_TYP,
        now=moment,
    )
    try:
        payload = parse_json_object(verified.payload, "registry")
    except MalformedToken as error:
        raise RegistryMalformed(str(error)) from error
    registry = FederationRegistry.from_json(payload)
    if registry.federation != federation or registry.authority != authority:
        raise WrongFederation(f"registry is for {registry.federation!r} by {registry.authority!r}")
    if registry.issued_at > moment + _CLOCK_SKEW:
        raise RegistryMalformed("registry claims to be issued in the future")
    if moment - registry.issued_at > max_age:
        raise RegistryStale(f"registry serial {registry.serial} is older than {max_age}")
    return registry


# --- key rotation: announce next -> switch -> retire previous ----------------------------


def announce_key(member: Member, key: RegisteredKey) -> Member:
    """Step 1: publish the next key; verifiers accept it before anyone signs with it."""
    if key.status != "next":
        key = replace(key, status="next")
    if any(existing.kid == key.kid for existing in member.keys):
        raise ConfigurationError(f"key {key.kid} is already registered")
    return replace(member, keys=(*member.keys, key))


def switch_to_key(member: Member, kid: str) -> Member:
    """Step 2: the announced key becomes current; the old current key becomes previous."""
    new = member.key(kid)
    if new.status != "next":
        raise ConfigurationError(f"key {kid} was not announced as next")
    keys = []
    for key in member.keys:
        if key.kid == kid:
            keys.append(replace(key, status="current"))
        elif key.status == "current" and key.purposes & new.purposes:
            keys.append(replace(key, status="previous"))
        else:
            keys.append(key)
    return replace(member, keys=tuple(keys))


def retire_key(member: Member, kid: str) -> Member:
    """Step 3: drop a previous key once nothing it signed can still be in flight."""
    if member.key(kid).status != "previous":
        raise ConfigurationError(f"only a previous key can be retired, not {kid}")
    return replace(member, keys=tuple(key for key in member.keys if key.kid != kid))


def replace_member(members: Sequence[Member], member: Member) -> tuple[Member, ...]:
    return tuple(member if m.region_code == member.region_code else m for m in members)


def active_signing_key(
    member: Member, *, purpose: str, private_keys: Mapping[str, SigningKey]
) -> SigningKey:
    """The private key a node signs with: the registry's ``current`` key for ``purpose``."""
    kid = member.current_key_id(purpose)
    try:
        return private_keys[kid]
    except KeyError as error:
        raise ConfigurationError(f"the current key {kid} is not held locally") from error
