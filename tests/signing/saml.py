"""SAML-2.0-shaped test documents and a deliberately naive verifier for comparison."""

from __future__ import annotations

from typing import Any

import xmlsec
from lxml import etree

from signing.keys import Purpose, SigningKey
from signing.truststore import KeySource
from signing.xmldsig import sign_element, verify_xml

SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
RESPONSE = f"{{{SAMLP_NS}}}Response"
ASSERTION = f"{{{SAML_NS}}}Assertion"
ISSUER_TAG = f"{{{SAML_NS}}}Issuer"
NAME_ID = f"{{{SAML_NS}}}NameID"
SIGNATURE = f"{{{DS_NS}}}Signature"

IDP_ENTITY_ID = "https://idp.310000.delta.test/saml/metadata"
SP_ENTITY_ID = "https://sp.320000.delta.test/saml/metadata"
RESPONSE_ID = "_response-6c1f0d"
ASSERTION_ID = "_assertion-9d2e4b"
NAME = "alice@example.com"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"


def response_xml(
    *, name_id: str = NAME, response_id: str = RESPONSE_ID, assertion_id: str = ASSERTION_ID
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" ID="{response_id}" Version="2.0"
    IssueInstant="2026-01-01T08:00:00Z" Destination="https://sp.320000.delta.test/saml/acs"
    InResponseTo="_request-1">
  <saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="{SUCCESS}"/></samlp:Status>
  <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="2026-01-01T08:00:00Z">
    <saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="{EMAIL_FORMAT}">{name_id}</saml:NameID>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-01-01T07:59:00Z" NotOnOrAfter="2026-01-01T08:05:00Z">
      <saml:AudienceRestriction>
        <saml:Audience>{SP_ENTITY_ID}</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="2026-01-01T08:00:00Z">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>{PASSWORD_CLASS}</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="loa">
        <saml:AttributeValue>substantial</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>""".encode()


def _serialise(root: Any) -> bytes:
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


def sign_assertion(data: bytes, key: SigningKey, **options: Any) -> bytes:
    root = etree.fromstring(data)
    sign_element(root.find(ASSERTION), key=key, purpose=Purpose.SAML, after=ISSUER_TAG, **options)
    return _serialise(root)


def sign_response(data: bytes, key: SigningKey, **options: Any) -> bytes:
    root = etree.fromstring(data)
    sign_element(root, key=key, purpose=Purpose.SAML, after=ISSUER_TAG, **options)
    return _serialise(root)


def signed_assertion_response(key: SigningKey, **options: Any) -> bytes:
    return sign_assertion(response_xml(**options), key)


def signed_response(key: SigningKey, **options: Any) -> bytes:
    return sign_response(response_xml(**options), key)


def verify_assertion(data: bytes, trust: KeySource, **options: Any) -> Any:
    return verify_xml(
        data,
        trust=trust,
        issuer=IDP_ENTITY_ID,
        purpose=Purpose.SAML,
        element_tag=ASSERTION,
        **options,
    )


def verify_response(data: bytes, trust: KeySource, **options: Any) -> Any:
    return verify_xml(
        data,
        trust=trust,
        issuer=IDP_ENTITY_ID,
        purpose=Purpose.SAML,
        element_tag=RESPONSE,
        **options,
    )


def naive_xmlsec_accepts(data: bytes, key: SigningKey) -> bool:
    """What a verifier without our checks does: first Signature, IDs as found, xmlsec."""
    root = etree.fromstring(data)
    xmlsec.tree.add_ids(root, ["ID"])
    signature = root.find(f".//{SIGNATURE}")
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(key.private_pem(), xmlsec.constants.KeyDataFormatPem)
    try:
        context.verify(signature)
    except xmlsec.Error:
        return False
    return True


def name_id_of(element: Any) -> str:
    return str(element.find(f".//{NAME_ID}").text)
