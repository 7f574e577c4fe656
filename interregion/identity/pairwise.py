"""Persistent pairwise identifiers: one per person and relying node, unlinkable across nodes.

HMAC-SHA256 with a secret only the home node holds, over the account and the
relying node's entity ID: the same person always looks the same to one
region's services and different to every other region's, and nobody
without the secret can link the two or recover the person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def pairwise_id(secret: bytes, *, account_id: str, relying_entity_id: str) -> str:
    message = f"{account_id}\x1f{relying_entity_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()
