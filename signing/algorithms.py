"""Signature algorithm names and the defaults each key type may use.

Every key carries its own allow-list (see :mod:`signing.keys`); this module
only says which names exist and what a sensible allow-list for a fresh key
is. Adding an algorithm (for example SM2 with SM3, which Chinese e-seals
legally require) means registering a JWS implementation with
:func:`signing.jws.register_jws_algorithm` and listing the name on the keys
that may use it; nothing here is a global on/off switch.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing.errors import ConfigurationError

# Public key types this library handles (SM2 would join here as a plug-in).
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# --- JWS (RFC 7518 / RFC 8037 names) ---------------------------------------------------

# Asymmetric only: HS* would turn a public key into a shared secret (algorithm confusion).
ASYMMETRIC_JWS_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}
)

# --- XML-DSig URIs ---------------------------------------------------------------------

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"

SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

XML_SIGNATURE_METHODS = frozenset({RSA_SHA256, RSA_SHA384, RSA_SHA512, ECDSA_SHA256, ECDSA_SHA384})
XML_DIGEST_METHODS = frozenset({SHA256, SHA384, SHA512})
# Without-comments forms only: comments are refused inside signed content anyway.
XML_CANONICALIZATIONS = frozenset({EXC_C14N, C14N})


def default_jws_algorithms(public_key: PublicKey) -> tuple[str, ...]:
    """The allow-list a fresh key gets; the first entry is what we sign with."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return ("PS256", "RS256")
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ec.SECP256R1):
            return ("ES256",)
        if isinstance(public_key.curve, ec.SECP384R1):
            return ("ES384",)
        raise ConfigurationError(f"unsupported curve {public_key.curve.name}")
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    raise ConfigurationError(f"unsupported key type {type(public_key).__name__}")


def default_xml_signature_methods(public_key: PublicKey) -> tuple[str, ...]:
    """XML-DSig methods a fresh key may use (none for Ed25519: python-xmlsec lacks EdDSA)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return (RSA_SHA256, RSA_SHA384, RSA_SHA512)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ec.SECP256R1):
            return (ECDSA_SHA256,)
        if isinstance(public_key.curve, ec.SECP384R1):
            return (ECDSA_SHA384,)
        raise ConfigurationError(f"unsupported curve {public_key.curve.name}")
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return ()
    raise ConfigurationError(f"unsupported key type {type(public_key).__name__}")
