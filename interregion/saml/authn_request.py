"""AuthnRequest: built and signed by the relying node, checked by the home node.

The home node trusts nothing the request says about where to send the
answer: the AssertionConsumerServiceURL must be the one the federation
registry lists for the (verified) issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from interregion.clock import saml_instant
from interregion.identity import attributes
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.saml import names, schema
from interregion.saml.errors import SamlRefused, refusal_from_signing
from interregion.saml.xmlread import instant, one, optional_one, required_attribute, text_of
from signing.errors import SigningError
from signing.federation import FederationRegistry, Member
from signing.keys import Purpose, SigningKey
from signing.replay import ReplayCache, replay_key
from signing.truststore import KeySource
from signing.xml_parsing import XmlLimits, parse_xml
from signing.xmldsig import sign_element, verify_xml

# We store the requester's ID to answer it; SAML IDs are a few dozen characters in practice.
MAX_ID_CHARS = 200


def build_authn_request(
    *,
    request_id: str,
    issuer: str,
    destination: str,
    acs_url: str,
    min_level: Level,
    requested: list[str],
    key: SigningKey,
    now: datetime,
    force_authn: bool = False,
) -> bytes:
    """A signed AuthnRequest for the HTTP-POST binding."""
    root = etree.Element(
        names.AUTHN_REQUEST,
        nsmap=names.NSMAP_PROTOCOL,
        ID=request_id,
        Version=names.VERSION,
        IssueInstant=saml_instant(now),
        Destination=destination,
        AssertionConsumerServiceURL=acs_url,
        ProtocolBinding=names.BINDING_POST,
        ForceAuthn="true" if force_authn else "false",
    )
    etree.SubElement(root, names.ISSUER, Format=names.NAMEID_ENTITY).text = issuer
    extensions = etree.SubElement(root, names.samlp("Extensions"))
    wanted = etree.SubElement(
        extensions, names.delta("RequestedAttributes"), nsmap={"delta": names.DELTA}
    )
    for key_name in attributes.known_keys(requested):
        spec = attributes.BY_KEY[key_name]
        etree.SubElement(
            wanted,
            names.delta("RequestedAttribute"),
            Name=spec.uri,
            isRequired="false" if spec.needs_explicit_consent else "true",
        )
    etree.SubElement(
        root, names.samlp("NameIDPolicy"), Format=names.NAMEID_PERSISTENT, AllowCreate="true"
    )
    context = etree.SubElement(root, names.samlp("RequestedAuthnContext"), Comparison="minimum")
    etree.SubElement(context, names.saml("AuthnContextClassRef")).text = min_level.uri
    sign_element(root, key=key, purpose=Purpose.SAML, after=names.ISSUER, now=now)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document


@dataclass(frozen=True)
class VerifiedAuthnRequest:
    request_id: str
    sp: Member
    acs_url: str
    min_level: Level
    requested: list[str]
    force_authn: bool


def _member_for(registry: FederationRegistry, issuer: str, *, role: str) -> Member:
    try:
        member = registry.member_by_entity_id(issuer)
    except KeyError:
        raise SamlRefused(
            "unknown-issuer", "the sender is not a member of the federation", {"issuer": issuer}
        ) from None
    if role not in member.roles:
        raise SamlRefused("unknown-issuer", f"the sender is not registered as a {role}")
    return member


def unverified_issuer(root: Any) -> str:
    """The Issuer as written, only to choose which keys to verify with."""
    return text_of(one(root, names.ISSUER, what="Issuer"), what="Issuer", max_chars=500)


def _requested_level(root: Any) -> Level:
    context = optional_one(root, names.samlp("RequestedAuthnContext"), what="RequestedAuthnContext")
    if context is None:
        raise SamlRefused("level-missing", "the request does not say which level it needs")
    if context.get("Comparison", "exact") not in ("exact", "minimum"):
        raise SamlRefused("unsupported-level", "only minimum or exact level comparisons are served")
    refs = context.findall(names.saml("AuthnContextClassRef"))
    if len(refs) != 1:
        raise SamlRefused("unsupported-level", "exactly one requested level is supported")
    try:
        return parse_level(text_of(refs[0], what="AuthnContextClassRef"))
    except UnknownLevel as error:
        raise SamlRefused("unsupported-level", str(error)) from None


def _requested_attributes(root: Any) -> list[str]:
    path = f"{names.samlp('Extensions')}/{names.delta('RequestedAttributes')}"
    uris = [
        str(node.get("Name", ""))
        for holder in root.findall(path)
        for node in holder.findall(names.delta("RequestedAttribute"))
    ]
    keys = attributes.known_keys(
        attributes.BY_URI[uri].key for uri in uris if uri in attributes.BY_URI
    )
    return keys or [attributes.NAME.key]


def read_authn_request(
    data: bytes,
    *,
    registry: FederationRegistry,
    trust: KeySource,
    sso_url: str,
    replay_cache: ReplayCache,
    now: datetime,
    skew: timedelta,
    lifetime: timedelta,
    limits: XmlLimits,
) -> VerifiedAuthnRequest:
    """Every check of an incoming AuthnRequest; raises :class:`SamlRefused`."""
    try:
        root = parse_xml(data, limits=limits)
    except SigningError as error:
        raise refusal_from_signing(error, what="request") from None
    if root.tag != names.AUTHN_REQUEST:
        raise SamlRefused("malformed", "this is not an AuthnRequest")
    try:
        schema.validate(root)
    except schema.SchemaInvalid as error:
        raise SamlRefused("schema-invalid", "the request does not follow the SAML schema", {
            "schema": str(error)
        }) from None  # fmt: skip
    issuer = unverified_issuer(root)
    sp = _member_for(registry, issuer, role="service-provider")
    try:
        return _checked_request(
            data,
            sp=sp,
            trust=trust,
            sso_url=sso_url,
            replay_cache=replay_cache,
            now=now,
            skew=skew,
            lifetime=lifetime,
            limits=limits,
        )
    except SamlRefused as refusal:
        refusal.peer = refusal.peer or sp.region_code
        raise


def _checked_request(
    data: bytes,
    *,
    sp: Member,
    trust: KeySource,
    sso_url: str,
    replay_cache: ReplayCache,
    now: datetime,
    skew: timedelta,
    lifetime: timedelta,
    limits: XmlLimits,
) -> VerifiedAuthnRequest:
    try:
        request = verify_xml(
            data,
            trust=trust,
            issuer=sp.entity_id,
            purpose=Purpose.SAML,
            element_tag=names.AUTHN_REQUEST,
            now=now,
            limits=limits,
        )
    except SigningError as error:
        raise refusal_from_signing(error, what="request") from None
    # From here on only the verified element is read.
    if unverified_issuer(request) != sp.entity_id or request.get("Version") != names.VERSION:
        raise SamlRefused("malformed", "issuer or version changed under the signature")
    if request.get("Destination") != sso_url:
        raise SamlRefused("wrong-destination", "the request was meant for another node")
    acs_url = request.get("AssertionConsumerServiceURL") or sp.endpoints.get("acs", "")
    if acs_url != sp.endpoints.get("acs"):
        raise SamlRefused(
            "wrong-acs", "the answer address is not the one the registry lists for the sender"
        )
    if request.get("AssertionConsumerServiceIndex") is not None:
        raise SamlRefused("malformed", "AssertionConsumerServiceIndex is not supported")
    if request.get("ProtocolBinding", names.BINDING_POST) != names.BINDING_POST:
        raise SamlRefused("unsupported-binding", "answers are sent with the HTTP-POST binding")
    if request.get("IsPassive") == "true":
        raise SamlRefused("unsupported", "passive authentication is not offered")
    policy = optional_one(request, names.samlp("NameIDPolicy"), what="NameIDPolicy")
    if policy is not None and policy.get("Format") not in (
        None,
        names.NAMEID_PERSISTENT,
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    ):
        raise SamlRefused("unsupported-nameid", "only persistent identifiers are issued")
    issued = instant(request, "IssueInstant")
    if issued > now + skew:
        raise SamlRefused("not-yet-valid", "the request claims to be issued in the future")
    if issued < now - lifetime - skew:
        raise SamlRefused("expired", "the request is too old")
    request_id = required_attribute(request, "ID")
    if len(request_id) > MAX_ID_CHARS:
        raise SamlRefused("malformed", "the request ID is too long")
    # Only after the signature: a forged request must not be able to burn a real ID.
    first = replay_cache.first_use(
        replay_key(sp.entity_id, request_id), expires_at=issued + lifetime + skew * 2, now=now
    )
    if not first:
        raise SamlRefused("replayed", "this request has been used before")
    return VerifiedAuthnRequest(
        request_id=request_id,
        sp=sp,
        acs_url=acs_url,
        min_level=_requested_level(request),
        requested=_requested_attributes(request),
        force_authn=request.get("ForceAuthn") == "true",
    )
