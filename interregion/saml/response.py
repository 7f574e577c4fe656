"""The home node's answer: a signed Response holding exactly one signed Assertion.

Both are signed (as eIDAS nodes do): the Assertion so it stands on its own
(pysaml2 and other SPs check it), the Response so its Destination,
InResponseTo and Status are covered too. The Assertion is signed first, so
the Response signature covers the Assertion's signature as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from interregion.clock import saml_instant
from interregion.identity import attributes
from interregion.identity.levels import Level
from interregion.saml import names
from interregion.saml.bindings import new_saml_id
from signing.keys import Purpose, SigningKey
from signing.xmldsig import sign_element


@dataclass(frozen=True)
class AssertionContent:
    """What the home node asserts about one person for one relying node."""

    name_id: str
    audience: str  # the relying node's entity ID (also the NameID's SPNameQualifier)
    acs_url: str
    in_response_to: str
    level: Level
    authn_instant: datetime
    session_index: str
    values: Mapping[str, str]  # attribute key -> value, already filtered by consent


def _response_root(
    *, issuer: str, destination: str, in_response_to: str, now: datetime
) -> etree._Element:
    root = etree.Element(
        names.RESPONSE,
        nsmap=names.NSMAP_PROTOCOL,
        ID=new_saml_id(),
        Version=names.VERSION,
        IssueInstant=saml_instant(now),
        Destination=destination,
        InResponseTo=in_response_to,
    )
    etree.SubElement(root, names.ISSUER, Format=names.NAMEID_ENTITY).text = issuer
    return root


def _status(root: etree._Element, code: str, sub_code: str | None, message: str | None) -> None:
    status = etree.SubElement(root, names.samlp("Status"))
    top = etree.SubElement(status, names.samlp("StatusCode"), Value=code)
    if sub_code:
        etree.SubElement(top, names.samlp("StatusCode"), Value=sub_code)
    if message:
        etree.SubElement(status, names.samlp("StatusMessage")).text = message


def _assertion(
    content: AssertionContent, *, issuer: str, now: datetime, lifetime: timedelta
) -> etree._Element:
    until = saml_instant(now + lifetime)
    assertion = etree.Element(
        names.ASSERTION, ID=new_saml_id(), Version=names.VERSION, IssueInstant=saml_instant(now)
    )
    etree.SubElement(assertion, names.ISSUER, Format=names.NAMEID_ENTITY).text = issuer
    subject = etree.SubElement(assertion, names.saml("Subject"))
    etree.SubElement(
        subject,
        names.saml("NameID"),
        Format=names.NAMEID_PERSISTENT,
        NameQualifier=issuer,
        SPNameQualifier=content.audience,
    ).text = content.name_id
    confirmation = etree.SubElement(
        subject, names.saml("SubjectConfirmation"), Method=names.CM_BEARER
    )
    etree.SubElement(
        confirmation,
        names.saml("SubjectConfirmationData"),
        InResponseTo=content.in_response_to,
        NotOnOrAfter=until,
        Recipient=content.acs_url,
    )
    conditions = etree.SubElement(
        assertion, names.saml("Conditions"), NotBefore=saml_instant(now), NotOnOrAfter=until
    )
    restriction = etree.SubElement(conditions, names.saml("AudienceRestriction"))
    etree.SubElement(restriction, names.saml("Audience")).text = content.audience
    etree.SubElement(conditions, names.saml("OneTimeUse"))
    statement = etree.SubElement(
        assertion,
        names.saml("AuthnStatement"),
        AuthnInstant=saml_instant(content.authn_instant),
        SessionIndex=content.session_index,
    )
    context = etree.SubElement(statement, names.saml("AuthnContext"))
    etree.SubElement(context, names.saml("AuthnContextClassRef")).text = content.level.uri
    if content.values:
        holder = etree.SubElement(assertion, names.saml("AttributeStatement"))
        for key, value in content.values.items():
            spec = attributes.BY_KEY[key]
            attribute = etree.SubElement(
                holder,
                names.saml("Attribute"),
                Name=spec.uri,
                NameFormat=attributes.NAME_FORMAT_URI,
                FriendlyName=spec.key,
            )
            etree.SubElement(attribute, names.saml("AttributeValue")).text = value
    return assertion


def _signed(root: etree._Element, *, key: SigningKey, now: datetime) -> bytes:
    sign_element(root, key=key, purpose=Purpose.SAML, after=names.ISSUER, now=now)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document


def build_response(
    content: AssertionContent,
    *,
    issuer: str,
    key: SigningKey,
    now: datetime,
    lifetime: timedelta,
) -> bytes:
    """A Success Response with one Assertion, both signed with the node's current key."""
    root = _response_root(
        issuer=issuer, destination=content.acs_url, in_response_to=content.in_response_to, now=now
    )
    _status(root, names.STATUS_SUCCESS, None, None)
    assertion = _assertion(content, issuer=issuer, now=now, lifetime=lifetime)
    root.append(assertion)
    sign_element(assertion, key=key, purpose=Purpose.SAML, after=names.ISSUER, now=now)
    return _signed(root, key=key, now=now)


def build_status_response(
    *,
    issuer: str,
    key: SigningKey,
    destination: str,
    in_response_to: str,
    sub_code: str,
    message: str,
    now: datetime,
) -> bytes:
    """A signed Response without an Assertion: the person declined, or the level is not there."""
    root = _response_root(
        issuer=issuer, destination=destination, in_response_to=in_response_to, now=now
    )
    top = (
        names.STATUS_REQUESTER
        if sub_code == names.STATUS_REQUEST_DENIED
        else names.STATUS_RESPONDER
    )
    _status(root, top, sub_code, message)
    return _signed(root, key=key, now=now)
