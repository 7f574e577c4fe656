"""The relying node's checks of a Response, as an eIDAS node makes them.

In order: hardened parse, the SAML schema, a known issuer, the Response
signature and the Assertion signature by keys the registry lists for that
issuer (with :func:`signing.xmldsig.verify_xml`, so each signed element is
the one and only element of its kind and wrapping is impossible), the
status, Destination and Recipient, Audience, the time window with a small
skew, and the strict shape of everything read. What needs the node's
database (InResponseTo pending and unused, the assertion not seen before,
the level against what was asked) follows in :mod:`interregion.sso.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from interregion.identity import attributes
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.saml import names, schema
from interregion.saml.authn_request import unverified_issuer
from interregion.saml.errors import SamlRefused, refusal_from_signing
from interregion.saml.xmlread import instant, one, optional_one, required_attribute, text_of
from signing.errors import SigningError
from signing.federation import FederationRegistry, Member
from signing.keys import Purpose
from signing.truststore import KeySource
from signing.xml_parsing import XmlLimits, parse_xml
from signing.xmldsig import verify_xml

_KNOWN_CONDITIONS = {
    names.saml("AudienceRestriction"),
    names.saml("OneTimeUse"),
    names.saml("ProxyRestriction"),
}
_STATUS_REASONS = {
    names.STATUS_REQUEST_DENIED: ("declined", "the person declined to share their data"),
    names.STATUS_NO_AUTHN_CONTEXT: (
        "level-not-available",
        "the home region cannot authenticate this person at the level asked for",
    ),
}


@dataclass(frozen=True)
class Expectations:
    """Who we are and how much clock skew we forgive."""

    entity_id: str
    acs_url: str
    now: datetime
    skew: timedelta
    max_age: timedelta
    limits: XmlLimits


@dataclass(frozen=True)
class VerifiedResponse:
    issuer: Member
    response_id: str
    in_response_to: str
    assertion_id: str
    name_id: str
    level: Level
    authn_instant: datetime
    session_index: str
    not_on_or_after: datetime
    values: dict[str, str]


def validate_response(
    data: bytes, *, registry: FederationRegistry, trust: KeySource, expect: Expectations
) -> VerifiedResponse:
    """Every stateless check; raises :class:`SamlRefused` with a stable reason code."""
    try:
        root = parse_xml(data, limits=expect.limits)
    except SigningError as error:
        raise refusal_from_signing(error, what="response") from None
    if root.tag != names.RESPONSE:
        raise SamlRefused("malformed", "this is not a SAML Response")
    try:
        schema.validate(root)
    except schema.SchemaInvalid as error:
        raise SamlRefused(
            "schema-invalid", "the response does not follow the SAML schema", {"schema": str(error)}
        ) from None
    issuer_id = unverified_issuer(root)
    try:
        idp = registry.member_by_entity_id(issuer_id)
    except KeyError:
        raise SamlRefused(
            "unknown-issuer",
            "the response comes from outside the federation",
            {"issuer": issuer_id},
        ) from None
    try:
        return _checked(data, root=root, idp=idp, trust=trust, expect=expect)
    except SamlRefused as refusal:
        refusal.peer = refusal.peer or idp.region_code
        raise


def _verified(data: bytes, tag: str, *, idp: Member, trust: KeySource, expect: Expectations) -> Any:
    try:
        return verify_xml(
            data,
            trust=trust,
            issuer=idp.entity_id,
            purpose=Purpose.SAML,
            element_tag=tag,
            now=expect.now,
            limits=expect.limits,
        )
    except SigningError as error:
        what = "response" if tag == names.RESPONSE else "assertion"
        raise refusal_from_signing(error, what=what) from None


def _checked(
    data: bytes, *, root: Any, idp: Member, trust: KeySource, expect: Expectations
) -> VerifiedResponse:
    if "identity-provider" not in idp.roles:
        raise SamlRefused("unknown-issuer", "the sender is not registered as an identity provider")
    if root.find(names.saml("EncryptedAssertion")) is not None:
        raise SamlRefused("malformed", "encrypted assertions are not used in this federation")
    if len(list(root.iter(names.ASSERTION))) > 1:
        # Exactly one: a second copy is how every wrapping attack starts, and never needed.
        raise SamlRefused("multiple-assertions", "the response holds more than one assertion")
    response = _verified(data, names.RESPONSE, idp=idp, trust=trust, expect=expect)
    # Only the verified elements are read from here on.
    if response.get("Version") != names.VERSION or unverified_issuer(response) != idp.entity_id:
        raise SamlRefused("malformed", "version or issuer of the response is wrong")
    _check_status(response)
    if response.get("Destination") != expect.acs_url:
        raise SamlRefused("wrong-destination", "the response was meant for another service")
    in_response_to = required_attribute(response, "InResponseTo")
    issued = instant(response, "IssueInstant")
    _check_issued(issued, expect)
    if not list(root.iter(names.ASSERTION)):
        raise SamlRefused("no-assertion", "the response holds no assertion")
    assertion = _verified(data, names.ASSERTION, idp=idp, trust=trust, expect=expect)
    parent = assertion.getparent()
    if parent is None or parent.tag != names.RESPONSE or parent.get("ID") != response.get("ID"):
        raise SamlRefused("signature-wrapping", "the assertion is not a child of the response")
    if assertion.get("Version") != names.VERSION or unverified_issuer(assertion) != idp.entity_id:
        raise SamlRefused("malformed", "version or issuer of the assertion is wrong")
    name_id, confirmation = _subject(assertion, expect)
    if confirmation.get("InResponseTo") != in_response_to:
        raise SamlRefused("malformed", "the assertion answers another request than the response")
    not_on_or_after = _conditions(assertion, expect)
    level, authn_instant, session_index = _authn_statement(assertion)
    return VerifiedResponse(
        issuer=idp,
        response_id=required_attribute(response, "ID"),
        in_response_to=in_response_to,
        assertion_id=required_attribute(assertion, "ID"),
        name_id=name_id,
        level=level,
        authn_instant=authn_instant,
        session_index=session_index,
        not_on_or_after=not_on_or_after,
        values=_attribute_values(assertion),
    )


def _check_status(response: Any) -> None:
    status = one(response, names.samlp("Status"), what="Status")
    code = one(status, names.samlp("StatusCode"), what="StatusCode")
    if code.get("Value") == names.STATUS_SUCCESS:
        return
    sub = code.find(names.samlp("StatusCode"))
    sub_value = sub.get("Value") if sub is not None else None
    reason, message = _STATUS_REASONS.get(
        sub_value or "", ("idp-error", "the home region could not log the person in")
    )
    raise SamlRefused(reason, message, {"status": code.get("Value"), "sub_status": sub_value})


def _check_issued(issued: datetime, expect: Expectations) -> None:
    if issued > expect.now + expect.skew:
        raise SamlRefused("not-yet-valid", "the response claims to be issued in the future")
    if issued < expect.now - expect.max_age - expect.skew:
        raise SamlRefused("expired", "the response is too old")


def _subject(assertion: Any, expect: Expectations) -> tuple[str, Any]:
    subject = one(assertion, names.saml("Subject"), what="Subject")
    if subject.find(names.saml("EncryptedID")) is not None:
        raise SamlRefused("malformed", "encrypted identifiers are not used in this federation")
    name_id_element = one(subject, names.saml("NameID"), what="NameID")
    if name_id_element.get("Format") != names.NAMEID_PERSISTENT:
        raise SamlRefused("malformed", "the subject identifier is not persistent")
    if name_id_element.get("SPNameQualifier", expect.entity_id) != expect.entity_id:
        raise SamlRefused("wrong-audience", "the subject identifier was made for another service")
    name_id = text_of(name_id_element, what="NameID", max_chars=256)
    confirmation = one(subject, names.saml("SubjectConfirmation"), what="SubjectConfirmation")
    if confirmation.get("Method") != names.CM_BEARER:
        raise SamlRefused("malformed", "only bearer confirmation is accepted")
    data = one(confirmation, names.saml("SubjectConfirmationData"), what="SubjectConfirmationData")
    if data.get("Recipient") != expect.acs_url:
        raise SamlRefused("wrong-recipient", "the assertion was meant for another service")
    if data.get("NotBefore") is not None:
        raise SamlRefused("malformed", "bearer confirmation must not carry NotBefore")
    until = instant(data, "NotOnOrAfter")
    if expect.now - expect.skew >= until:
        raise SamlRefused("expired", "the assertion has expired")
    return name_id, data


def _conditions(assertion: Any, expect: Expectations) -> datetime:
    conditions = one(assertion, names.saml("Conditions"), what="Conditions")
    not_before = instant(conditions, "NotBefore")
    not_on_or_after = instant(conditions, "NotOnOrAfter")
    if not_before > expect.now + expect.skew:
        raise SamlRefused("not-yet-valid", "the assertion is not valid yet")
    if expect.now - expect.skew >= not_on_or_after:
        raise SamlRefused("expired", "the assertion has expired")
    if not_on_or_after - not_before > expect.max_age + expect.skew:
        # The replay record is kept until NotOnOrAfter: "valid until 9999" is refused, not stored.
        raise SamlRefused("malformed", "the assertion is valid for longer than this node accepts")
    restrictions = conditions.findall(names.saml("AudienceRestriction"))
    if not restrictions:
        raise SamlRefused("wrong-audience", "the assertion names no audience")
    for restriction in restrictions:
        audiences = [
            text_of(a, what="Audience", max_chars=500)
            for a in restriction.findall(names.saml("Audience"))
        ]
        if expect.entity_id not in audiences:
            raise SamlRefused("wrong-audience", "the assertion was made for another service")
    for child in conditions:
        if isinstance(child.tag, str) and child.tag not in _KNOWN_CONDITIONS:
            raise SamlRefused("malformed", "the assertion carries a condition we do not understand")
    return not_on_or_after


def _authn_statement(assertion: Any) -> tuple[Level, datetime, str]:
    statement = one(assertion, names.saml("AuthnStatement"), what="AuthnStatement")
    context = one(statement, names.saml("AuthnContext"), what="AuthnContext")
    ref = one(context, names.saml("AuthnContextClassRef"), what="AuthnContextClassRef")
    try:
        level = parse_level(text_of(ref, what="AuthnContextClassRef"))
    except UnknownLevel:
        raise SamlRefused("unknown-level", "the level of assurance is not one we know") from None
    authn_instant = instant(statement, "AuthnInstant")
    return level, authn_instant, statement.get("SessionIndex", "")


def _attribute_values(assertion: Any) -> dict[str, str]:
    statement = optional_one(assertion, names.saml("AttributeStatement"), what="AttributeStatement")
    if statement is None:
        return {}
    values: dict[str, str] = {}
    for attribute in statement.findall(names.saml("Attribute")):
        spec = attributes.BY_URI.get(str(attribute.get("Name", "")))
        if spec is None:
            continue  # an attribute we did not ask for and do not understand
        if attribute.get("NameFormat") != attributes.NAME_FORMAT_URI:
            raise SamlRefused("malformed", f"attribute {spec.key} has the wrong name format")
        if spec.key in values:
            raise SamlRefused("malformed", f"attribute {spec.key} appears twice")
        value = one(attribute, names.saml("AttributeValue"), what=f"value of {spec.key}")
        values[spec.key] = text_of(value, what=f"value of {spec.key}", max_chars=500)
    if statement.find(names.saml("EncryptedAttribute")) is not None:
        raise SamlRefused("malformed", "encrypted attributes are not used in this federation")
    return values
