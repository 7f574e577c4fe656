"""Signed SAML 2.0 metadata of a node: its IdP and SP roles, endpoints and signing certificates.

The federation registry is the trust anchor; metadata is what standard SAML
software (pysaml2, Shibboleth, SATOSA) reads. Its keys are exactly the keys
the registry lists for the node (current, next and previous, so rotation
works for metadata consumers too), and it is signed with the node's key.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from interregion.clock import saml_instant
from interregion.identity import attributes
from interregion.identity.levels import Level
from interregion.saml import names
from interregion.saml.bindings import new_saml_id
from signing.federation import Member
from signing.keys import Purpose, SigningKey
from signing.xmldsig import DS_NS, sign_element

PROTOCOL_SUPPORT = names.SAMLP
METADATA_VALIDITY = timedelta(days=1)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _key_descriptors(parent: etree._Element, member: Member) -> None:
    for key in member.keys:
        if key.certificate is None or Purpose.SAML not in key.purposes:
            continue
        descriptor = etree.SubElement(parent, names.md("KeyDescriptor"), use="signing")
        key_info = etree.SubElement(descriptor, f"{{{DS_NS}}}KeyInfo")
        etree.SubElement(key_info, f"{{{DS_NS}}}KeyName").text = key.kid
        data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
        der = key.certificate.public_bytes(Encoding.DER)
        etree.SubElement(data, f"{{{DS_NS}}}X509Certificate").text = base64.b64encode(der).decode(
            "ascii"
        )


def _entity_attributes(root: etree._Element) -> None:
    extensions = etree.SubElement(root, names.md("Extensions"))
    holder = etree.SubElement(extensions, f"{{{names.MDATTR}}}EntityAttributes")
    attribute = etree.SubElement(
        holder,
        names.saml("Attribute"),
        Name=names.ASSURANCE_CERTIFICATION,
        NameFormat=attributes.NAME_FORMAT_URI,
    )
    for level in Level:
        etree.SubElement(attribute, names.saml("AttributeValue")).text = level.uri


def _idp(root: etree._Element, member: Member) -> None:
    idp = etree.SubElement(
        root,
        names.md("IDPSSODescriptor"),
        WantAuthnRequestsSigned="true",
        protocolSupportEnumeration=PROTOCOL_SUPPORT,
    )
    _key_descriptors(idp, member)
    etree.SubElement(idp, names.md("NameIDFormat")).text = names.NAMEID_PERSISTENT
    etree.SubElement(
        idp,
        names.md("SingleSignOnService"),
        Binding=names.BINDING_POST,
        Location=member.endpoints["sso"],
    )
    for spec in attributes.ALL:
        etree.SubElement(
            idp,
            names.saml("Attribute"),
            Name=spec.uri,
            NameFormat=attributes.NAME_FORMAT_URI,
            FriendlyName=spec.key,
        )


def _sp(root: etree._Element, member: Member) -> None:
    sp = etree.SubElement(
        root,
        names.md("SPSSODescriptor"),
        AuthnRequestsSigned="true",
        WantAssertionsSigned="true",
        protocolSupportEnumeration=PROTOCOL_SUPPORT,
    )
    _key_descriptors(sp, member)
    etree.SubElement(sp, names.md("NameIDFormat")).text = names.NAMEID_PERSISTENT
    etree.SubElement(
        sp,
        names.md("AssertionConsumerService"),
        Binding=names.BINDING_POST,
        Location=member.endpoints["acs"],
        index="0",
        isDefault="true",
    )


def _organization(root: etree._Element, member: Member, name_en: str) -> None:
    organization = etree.SubElement(root, names.md("Organization"))
    for tag, values in (
        ("OrganizationName", (("zh", member.name), ("en", name_en))),
        ("OrganizationDisplayName", (("zh", member.name), ("en", name_en))),
        ("OrganizationURL", (("zh", member.base_url), ("en", member.base_url))),
    ):
        for lang, value in values:
            etree.SubElement(organization, names.md(tag), {XML_LANG: lang}).text = value


def build_metadata(member: Member, *, name_en: str, key: SigningKey, now: datetime) -> bytes:
    """The node's EntityDescriptor, signed (enveloped, the signature its first child)."""
    root = etree.Element(
        names.ENTITY_DESCRIPTOR,
        nsmap={"md": names.MD, "saml": names.SAML, "ds": DS_NS, "mdattr": names.MDATTR},
        entityID=member.entity_id,
        ID=new_saml_id(),
        validUntil=saml_instant(now + METADATA_VALIDITY),
        cacheDuration="PT1H",
    )
    _entity_attributes(root)
    if "identity-provider" in member.roles:
        _idp(root, member)
    if "service-provider" in member.roles:
        _sp(root, member)
    _organization(root, member, name_en)
    sign_element(root, key=key, purpose=Purpose.SAML, now=now)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document
