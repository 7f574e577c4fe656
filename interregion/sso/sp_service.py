"""The relying side: start a cross-region login, and accept (or refuse) its Response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interregion.identity import attributes
from interregion.identity.levels import Level, parse_level
from interregion.saml import validation
from interregion.saml.authn_request import build_authn_request
from interregion.saml.bindings import encode_post_field, new_saml_id
from interregion.saml.errors import SamlRefused
from interregion.sso import repository, sessions
from interregion.sso.models import PendingRequest
from interregion.tokens import token_hash

if TYPE_CHECKING:
    from interregion.node import Node


@dataclass(frozen=True)
class LoginStart:
    request_id: str
    action: str
    saml_request: str
    relay_state: str
    home_region: str


def identity_providers(node: Node) -> list[Any]:
    return [m for m in node.federation().members if "identity-provider" in m.roles]


def start_login(
    session: Session,
    *,
    node: Node,
    home_region: str,
    next_path: str,
    min_level: Level,
    binding_token: str,
    now: datetime,
    requested: tuple[str, ...] = attributes.DEFAULT_REQUEST,
) -> LoginStart:
    """Remember a pending request bound to this browser and sign an AuthnRequest for it."""
    idp = next((m for m in identity_providers(node) if m.region_code == home_region), None)
    if idp is None:
        raise SamlRefused("unknown-region", "there is no home node for this region")
    request_id = new_saml_id()
    session.add(
        PendingRequest(
            id=request_id,
            home_region=idp.region_code,
            idp_entity_id=idp.entity_id,
            min_level=min_level.value,
            requested=list(requested),
            next_path=next_path,
            browser_binding=token_hash(binding_token),
            created_at=now,
            expires_at=now + node.request_lifetime,
        )
    )
    document = build_authn_request(
        request_id=request_id,
        issuer=node.entity_id,
        destination=idp.endpoints["sso"],
        acs_url=node.endpoint("acs"),
        min_level=min_level,
        requested=list(requested),
        key=node.signing_key(),
        now=now,
    )
    return LoginStart(
        request_id=request_id,
        action=idp.endpoints["sso"],
        saml_request=encode_post_field(document),
        relay_state=request_id,
        home_region=idp.region_code,
    )


@dataclass(frozen=True)
class Accepted:
    session_token: str
    next_path: str
    verified: validation.VerifiedResponse
    identity: dict[str, Any]


def accept_response(
    session: Session, *, node: Node, document: bytes, binding_token: str | None, now: datetime
) -> Accepted:
    """Every check, then one transaction: consume the request, remember the assertion, log in."""
    expect = validation.Expectations(
        entity_id=node.entity_id,
        acs_url=node.endpoint("acs"),
        now=now,
        skew=node.skew,
        max_age=node.assertion_lifetime,
        limits=node.xml_limits,
    )
    verified = validation.validate_response(
        document, registry=node.federation(), trust=node.registry, expect=expect
    )
    peer = verified.issuer.region_code
    if repository.assertion_seen(
        session, issuer=verified.issuer.entity_id, assertion_id=verified.assertion_id
    ):
        raise SamlRefused("replayed", "this login response has already been used", peer=peer)
    pending = repository.pending(session, verified.in_response_to)
    if pending is None or pending.consumed_at is not None or pending.expires_at <= now:
        raise SamlRefused(
            "in-response-to-not-pending",
            "there is no pending login request for this response",
            {"in_response_to": verified.in_response_to[:80]},
            peer=peer,
        )
    if pending.idp_entity_id != verified.issuer.entity_id:
        raise SamlRefused(
            "in-response-to-not-pending", "the request was sent to another home region", peer=peer
        )
    if binding_token is None or token_hash(binding_token) != pending.browser_binding:
        raise SamlRefused(
            "not-this-browser", "this login was started in another browser", peer=peer
        )
    required = parse_level(pending.min_level)
    if not verified.level.meets(required):
        raise SamlRefused(
            "level-too-low",
            f"the service needs {required.value}, the home region asserted {verified.level.value}",
            {"required": required.value, "asserted": verified.level.value},
            peer=peer,
        )
    if not repository.consume_pending(session, request_id=pending.id, now=now):
        raise SamlRefused(
            "in-response-to-not-pending", "the login request was already answered", peer=peer
        )
    try:
        repository.record_assertion(
            session,
            issuer=verified.issuer.entity_id,
            assertion_id=verified.assertion_id,
            now=now,
            expires_at=verified.not_on_or_after + node.skew,
        )
    except IntegrityError:
        raise SamlRefused(
            "replayed", "this login response has already been used", peer=peer
        ) from None
    identity = {
        "name_id": verified.name_id,
        "issuer": verified.issuer.entity_id,
        "home_region": peer,
        "level": verified.level.value,
        "authn_instant": verified.authn_instant.isoformat(),
        "values": verified.values,
    }
    token, _ = sessions.create(
        session,
        purpose=sessions.SP,
        now=now,
        lifetime=node.session_lifetime,
        level=verified.level.value,
        authn_at=verified.authn_instant,
        identity=identity,
    )
    return Accepted(token, pending.next_path, verified, identity)
