"""The HTTP-POST binding: a base64 form field in, a base64 form field out."""

from __future__ import annotations

import base64
import binascii
import secrets

from interregion.saml.errors import SamlRefused


def new_saml_id() -> str:
    """An ``xs:ID`` (an NCName, so not starting with a digit) with 128 random bits."""
    return "_" + secrets.token_hex(16)


def encode_post_field(document: bytes) -> str:
    return base64.b64encode(document).decode("ascii")


def decode_post_field(value: str, *, field: str, max_bytes: int) -> bytes:
    """Strict base64 of at most ``max_bytes`` decoded bytes, or a refusal."""
    compact = "".join(value.split())
    if not compact:
        raise SamlRefused("missing-message", f"the form field {field} is empty")
    if len(compact) > (max_bytes * 4) // 3 + 4:
        raise SamlRefused("too-large", f"{field} is larger than {max_bytes} bytes")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SamlRefused("malformed", f"{field} is not base64") from None
