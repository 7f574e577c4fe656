"""Public keys as JWKs (RFC 7517) and their RFC 7638 thumbprints.

Only public members are ever read or written: a JWK carrying private
parameters (``d``, ``p``, ...) is refused, so a private key cannot leak into
a JWKS or the federation registry by mistake.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing.algorithms import PublicKey
from signing.errors import ConfigurationError

_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "P-256": (ec.SECP256R1, 32),
    "P-384": (ec.SECP384R1, 48),
}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url_decode(text: str) -> bytes:
    """Strict: Python's decoder would silently skip foreign characters (malleable input)."""
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _curve_name(curve: ec.EllipticCurve) -> str:
    for name, (curve_type, _size) in _CURVES.items():
        if isinstance(curve, curve_type):
            return name
    raise ConfigurationError(f"unsupported curve {curve.name}")


def public_jwk(public_key: PublicKey) -> dict[str, str]:
    """The required public members of a key (exactly what RFC 7638 hashes)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        name = _curve_name(public_key.curve)
        size = _CURVES[name][1]
        point = public_key.public_numbers()
        return {
            "kty": "EC",
            "crv": name,
            "x": b64url_encode(point.x.to_bytes(size, "big")),
            "y": b64url_encode(point.y.to_bytes(size, "big")),
        }
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    raise ConfigurationError(f"unsupported key type {type(public_key).__name__}")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: our ``kid`` for every key."""
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
    }
    members = required.get(str(jwk.get("kty")))
    if members is None:
        raise ValueError(f"unsupported kty {jwk.get('kty')!r}")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Rebuild a public key; refuses JWKs with private members or unknown types."""
    if _PRIVATE_MEMBERS & set(jwk):
        raise ValueError("JWK carries private key material")
    kty = jwk.get("kty")
    if kty == "RSA":
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if kty == "EC":
        curve = _CURVES.get(jwk.get("crv", ""))
        if curve is None:
            raise ValueError(f"unsupported curve {jwk.get('crv')!r}")
        curve_type, size = curve
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != size or len(y) != size:
            raise ValueError("EC coordinate has the wrong length")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve_type()
        )
        return numbers.public_key()
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    raise ValueError(f"unsupported JWK type {kty!r}")
