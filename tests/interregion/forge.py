"""Responses an attacker (or a broken home node) might send, signed with real or foreign keys."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from interregion.clock import utcnow
from interregion.identity.levels import Level
from interregion.saml.response import AssertionContent, build_response
from signing.keys import ALL_MEMBER_PURPOSES, Purpose, SigningKey, generate_signing_key
from signing.xmldsig import sign_element
from tests.interregion.cluster import Cluster

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
_foreign: list[SigningKey] = []


def foreign_key() -> SigningKey:
    """An RSA key no registry lists (made once per session: RSA-3072 takes a moment)."""
    if not _foreign:
        _foreign.append(
            generate_signing_key(
                "rsa", purposes=ALL_MEMBER_PURPOSES, now=utcnow() - timedelta(hours=1)
            )
        )
    return _foreign[0]


def response(
    cluster: Cluster,
    *,
    home: str,
    sp: str,
    in_response_to: str,
    level: Level = Level.SUBSTANTIAL,
    now: datetime | None = None,
    lifetime: timedelta = timedelta(minutes=5),
    audience: str | None = None,
    acs_url: str | None = None,
    issuer: str | None = None,
    key: SigningKey | None = None,
    name: str = "伪造者",
) -> bytes:
    moment = now or utcnow()
    content = AssertionContent(
        name_id="forged-subject",
        audience=audience or cluster.entity_id(sp),
        acs_url=acs_url or f"{cluster.url(sp)}/saml/acs",
        in_response_to=in_response_to,
        level=level,
        authn_instant=moment,
        session_index="_s",
        values={"name": name, "home-region": home},
    )
    return build_response(
        content,
        issuer=issuer or cluster.entity_id(home),
        key=key or cluster.signing_key(home),
        now=moment,
        lifetime=lifetime,
    )


def form_for(document: bytes, request_id: str) -> dict[str, str]:
    return {"SAMLResponse": base64.b64encode(document).decode(), "RelayState": request_id}


def change_attribute(document: bytes, key: str, value: str) -> bytes:
    """Edit one attribute value after signing (what a man in the browser would do)."""
    root = etree.fromstring(document)
    for attribute in root.iter(f"{{{SAML}}}Attribute"):
        if attribute.get("FriendlyName") == key:
            attribute.find(f"{{{SAML}}}AttributeValue").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def resigned(document: bytes, *, key: SigningKey, edit: Callable[[Any], None]) -> bytes:
    """Change a Response and sign it again with ``key``: what a broken (or hostile) member
    node could send, validly signed, to reach the checks behind the signatures."""
    root = etree.fromstring(document)
    for signature in list(root.iter(f"{{{DS}}}Signature")):
        signature.getparent().remove(signature)
    edit(root)
    issuer = f"{{{SAML}}}Issuer"
    sign_element(root.find(f"{{{SAML}}}Assertion"), key=key, purpose=Purpose.SAML, after=issuer)
    sign_element(root, key=key, purpose=Purpose.SAML, after=issuer)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
