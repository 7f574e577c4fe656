"""Namespaces, element tags (Clark notation) and the URIs SAML 2.0 defines."""

from __future__ import annotations

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
DS = "http://www.w3.org/2000/09/xmldsig#"
# Our extension for the attributes a relying node asks for (inside samlp:Extensions).
DELTA = "urn:delta:saml:extensions"

NSMAP_PROTOCOL = {"samlp": SAMLP, "saml": SAML}

VERSION = "2.0"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
ASSURANCE_CERTIFICATION = "urn:oasis:names:tc:SAML:attribute:assurance-certification"

STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
STATUS_NO_AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"


def samlp(local: str) -> str:
    return f"{{{SAMLP}}}{local}"


def saml(local: str) -> str:
    return f"{{{SAML}}}{local}"


def md(local: str) -> str:
    return f"{{{MD}}}{local}"


def delta(local: str) -> str:
    return f"{{{DELTA}}}{local}"


RESPONSE = samlp("Response")
AUTHN_REQUEST = samlp("AuthnRequest")
ASSERTION = saml("Assertion")
ISSUER = saml("Issuer")
ENTITY_DESCRIPTOR = md("EntityDescriptor")
