"""interregion/saml/metadata.py without a node: the signed EntityDescriptor of a member,
built by the real builder, signed with a real key, read back with our own verifier and the
SAML 2.0 metadata schema. Runs in well under a second, so a mutation run
(scripts/mutation-run saml) can afford it for every mutant.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from interregion.identity import attributes
from interregion.identity.levels import Level
from interregion.saml import metadata, names, schema
from signing.certificates import issue_member_certificate, issue_root_certificate
from signing.errors import SigningError
from signing.federation import FederationRegistry, Member, registered_key
from signing.keys import (
    ALL_MEMBER_PURPOSES,
    Purpose,
    SigningKey,
    generate_signing_key,
    signing_key,
)
from signing.xmldsig import verify_xml

NOW = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
BASE = "http://node-310000.test"
ENTITY = f"{BASE}/saml/metadata"
DS = names.DS
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


AUTHORITY = generate_signing_key(
    "ec-p256", purposes=ALL_MEMBER_PURPOSES, now=NOW - timedelta(days=9)
)
AUTHORITY_CERTIFICATE = issue_root_certificate(
    AUTHORITY.private_key, common_name="test authority", organization="test",
    validity=AUTHORITY.validity,
)  # fmt: skip


def _key(purposes: frozenset[str] = ALL_MEMBER_PURPOSES) -> SigningKey:
    """A member key with its certificate from the authority, as keystore.py makes them.

    Valid for three days around NOW only: signing on the wall clock instead of ``now`` fails.
    """
    bare = generate_signing_key(
        "ec-p256", purposes=purposes, now=NOW - timedelta(days=1), lifetime=timedelta(days=3)
    )
    certificate = issue_member_certificate(
        ca_key=AUTHORITY.private_key, ca_certificate=AUTHORITY_CERTIFICATE,
        public_key=bare.public_key, region_code="310000", common_name="node 310000",
        organization="上海", validity=bare.validity,
    )  # fmt: skip
    return signing_key(
        bare.private_key, purposes=purposes, validity=bare.validity, certificate=certificate
    )


KEY = _key()
NEXT = _key()
JWT_ONLY = _key(frozenset({Purpose.JWT}))
NO_CERTIFICATE = dataclasses.replace(registered_key(_key(), status="next"), certificate=None)


def _member(roles: tuple[str, ...], *, code: str = "310000") -> Member:
    return Member(
        region_code=code,
        name="上海",
        entity_id=ENTITY,
        base_url=BASE,
        endpoints={"acs": f"{BASE}/saml/acs", "sso": f"{BASE}/saml/sso"},
        roles=roles,
        keys=(
            registered_key(KEY, status="current"),
            registered_key(JWT_ONLY, status="current"),
            NO_CERTIFICATE,
            registered_key(NEXT, status="next"),
        ),
    )


BOTH = _member(("identity-provider", "service-provider"))


def _registry(member: Member) -> FederationRegistry:
    return FederationRegistry(
        federation="test", authority="test", serial=1, issued_at=NOW - timedelta(days=1),
        next_update=NOW + timedelta(days=1), members=(member,),
    )  # fmt: skip


def build(member: Member = BOTH, *, key: SigningKey = KEY, now: datetime = NOW) -> bytes:
    return metadata.build_metadata(member, name_en="Shanghai", key=key, now=now)


def verified(document: bytes, member: Member = BOTH) -> Any:
    """What a metadata consumer sees: the signature checked against the registry's keys."""
    return verify_xml(
        document, trust=_registry(member).trust_store(), issuer=member.entity_id,
        purpose=Purpose.SAML, element_tag=names.ENTITY_DESCRIPTOR, now=NOW,
    )  # fmt: skip


def test_metadata_is_signed_by_the_node_and_valid_saml() -> None:
    document = build()
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<md:EntityDescriptor")
    root = verified(document)
    schema.validate(root, xsd=schema.METADATA_XSD)
    assert root.tag == names.ENTITY_DESCRIPTOR and root.nsmap == {
        "md": names.MD, "saml": names.SAML, "ds": DS, "mdattr": names.MDATTR,
    }  # fmt: skip
    assert root[0].tag == f"{{{DS}}}Signature"  # enveloped, the first child
    assert root.get("entityID") == ENTITY
    assert root.get("ID").startswith("_") and len(root.get("ID")) == 33
    assert root.get("ID") != verified(build()).get("ID")  # a fresh ID every time
    assert root.get("validUntil") == "2026-06-02T08:00:00Z" and root.get("cacheDuration") == "PT1H"
    assert timedelta(days=1) == metadata.METADATA_VALIDITY
    assert [child.tag for child in root] == [
        f"{{{DS}}}Signature", names.md("Extensions"), names.md("IDPSSODescriptor"),
        names.md("SPSSODescriptor"), names.md("Organization"),
    ]  # fmt: skip


def test_metadata_is_signed_on_the_clock_it_was_given() -> None:
    # KEY is not valid a week after NOW: the builder checks the key at ``now``.
    with pytest.raises(SigningError):
        build(now=NOW + timedelta(days=7))
    with pytest.raises(SigningError):
        build(key=JWT_ONLY)  # a key that may not sign SAML
    stranger = _key()
    with pytest.raises(SigningError):
        verified(build(key=stranger))


def test_a_changed_metadata_document_is_refused() -> None:
    document = build()
    with pytest.raises(SigningError):
        verified(document.replace(b"/saml/acs", b"/saml/evil"))


def test_the_assurance_levels_are_entity_attributes() -> None:
    root = verified(build())
    holder = root.find(f"{names.md('Extensions')}/{{{names.MDATTR}}}EntityAttributes")
    assert holder is not None and len(holder) == 1
    attribute = holder[0]
    assert attribute.tag == names.saml("Attribute")
    assert dict(attribute.attrib) == {
        "Name": names.ASSURANCE_CERTIFICATION, "NameFormat": attributes.NAME_FORMAT_URI,
    }  # fmt: skip
    assert [v.tag for v in attribute] == [names.saml("AttributeValue")] * 3
    assert [v.text for v in attribute] == [level.uri for level in Level]


def _key_descriptors(role: Any) -> list[tuple[str | None, str, bytes]]:
    found = []
    for descriptor in role.findall(names.md("KeyDescriptor")):
        info = descriptor.find(f"{{{DS}}}KeyInfo")
        assert [child.tag for child in info] == [f"{{{DS}}}KeyName", f"{{{DS}}}X509Data"]
        data = info.find(f"{{{DS}}}X509Data")
        assert len(data) == 1
        certificate = data.find(f"{{{DS}}}X509Certificate").text
        found.append((descriptor.get("use"), info[0].text, base64.b64decode(certificate)))
    return found


def _published(key: SigningKey) -> tuple[str, str, bytes]:
    assert key.certificate is not None
    return ("signing", key.kid, key.certificate.public_bytes(Encoding.DER))


def test_the_identity_provider_role() -> None:
    root = verified(build())
    idp = root.find(names.md("IDPSSODescriptor"))
    assert dict(idp.attrib) == {
        "WantAuthnRequestsSigned": "true", "protocolSupportEnumeration": names.SAMLP,
    }  # fmt: skip
    # Exactly the registry's SAML keys with certificates (current and next), in its order.
    assert _key_descriptors(idp) == [_published(KEY), _published(NEXT)]
    assert idp.findtext(names.md("NameIDFormat")) == names.NAMEID_PERSISTENT
    services = idp.findall(names.md("SingleSignOnService"))
    assert [dict(s.attrib) for s in services] == [
        {"Binding": names.BINDING_POST, "Location": f"{BASE}/saml/sso"}
    ]
    offered = [dict(a.attrib) for a in idp.findall(names.saml("Attribute"))]
    assert offered == [
        {"Name": spec.uri, "NameFormat": attributes.NAME_FORMAT_URI, "FriendlyName": spec.key}
        for spec in attributes.ALL
    ]
    assert len(attributes.ALL) > 3
    assert [child.tag for child in idp][: 4] == [names.md("KeyDescriptor")] * 2 + [
        names.md("NameIDFormat"), names.md("SingleSignOnService"),
    ]  # fmt: skip


def test_the_service_provider_role() -> None:
    root = verified(build())
    sp = root.find(names.md("SPSSODescriptor"))
    assert dict(sp.attrib) == {
        "AuthnRequestsSigned": "true", "WantAssertionsSigned": "true",
        "protocolSupportEnumeration": names.SAMLP,
    }  # fmt: skip
    assert _key_descriptors(sp) == [_published(KEY), _published(NEXT)]
    assert sp.findtext(names.md("NameIDFormat")) == names.NAMEID_PERSISTENT
    services = sp.findall(names.md("AssertionConsumerService"))
    assert [dict(s.attrib) for s in services] == [
        {"Binding": names.BINDING_POST, "Location": f"{BASE}/saml/acs", "index": "0",
         "isDefault": "true"}
    ]  # fmt: skip
    assert [child.tag for child in sp] == [names.md("KeyDescriptor")] * 2 + [
        names.md("NameIDFormat"), names.md("AssertionConsumerService"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("roles", "present", "absent"),
    [
        (("identity-provider",), "IDPSSODescriptor", "SPSSODescriptor"),
        (("service-provider",), "SPSSODescriptor", "IDPSSODescriptor"),
    ],
)
def test_only_the_members_roles_are_described(
    roles: tuple[str, ...], present: str, absent: str
) -> None:
    member = _member(roles)
    root = verified(build(member), member)
    schema.validate(root, xsd=schema.METADATA_XSD)
    assert len(root.findall(names.md(present))) == 1
    assert root.find(names.md(absent)) is None


def test_a_member_without_a_role_describes_none() -> None:
    member = _member(())
    root = verified(build(member), member)
    assert root.find(names.md("IDPSSODescriptor")) is None
    assert root.find(names.md("SPSSODescriptor")) is None


def test_the_organization_in_both_languages() -> None:
    root = verified(build())
    organization = root.find(names.md("Organization"))
    assert [(child.tag, child.get(LANG), child.text) for child in organization] == [
        (names.md("OrganizationName"), "zh", "上海"),
        (names.md("OrganizationName"), "en", "Shanghai"),
        (names.md("OrganizationDisplayName"), "zh", "上海"),
        (names.md("OrganizationDisplayName"), "en", "Shanghai"),
        (names.md("OrganizationURL"), "zh", BASE),
        (names.md("OrganizationURL"), "en", BASE),
    ]
    assert all(len(child.attrib) == 1 for child in organization)


def test_the_document_parses_as_utf8_text() -> None:
    document = build()
    assert "上海".encode() in document
    assert etree.fromstring(document).findtext(f".//{names.md('OrganizationName')}") == "上海"
