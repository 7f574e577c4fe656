"""The holder's consent to a licence check, as the home node signs it (``licence-consent+jwt``).

Given at home -- on the holder's licence page, or on the window consent page
together with the identity release -- it names the requesting region, the
scenarios, the licences (and so the issuers, its audience) and the holder,
by a salted SHA-256 of their ID number or USCC so that the token does not
carry the number itself. The issuer checks it on every verification request:
signed by a home node, for this requester, this holder, this scenario, this
licence, unexpired, and used once per licence (the issuer's replay cache).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from interregion.exchange import ExchangeRefused
from interregion.licences.models import Licence
from signing.errors import SigningError, TokenExpired
from signing.jwt import decode_unverified, issue_jwt, verify_jwt
from signing.keys import Purpose
from signing.replay import replay_key

if TYPE_CHECKING:
    from interregion.node import Node

CONSENT_TYP = "licence-consent+jwt"


def holder_binding(code: str, *, salt: str | None = None) -> dict[str, str]:
    salt = salt or base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    digest = hashlib.sha256(f"{salt}:{code.upper()}".encode()).digest()
    return {"salt": salt, "code_sha256": base64.urlsafe_b64encode(digest).decode().rstrip("=")}


def issue_consent(
    *,
    node: Node,
    holder_code: str,
    requester_region: str,
    scenarios: Sequence[str],
    licences: Sequence[Licence],
    channel: str,
    now: datetime,
) -> str:
    issuers = sorted({node.entity_id})  # licences are issued at the holder's home node
    return issue_jwt(
        {
            "holder": holder_binding(holder_code),
            "requester": requester_region,
            "scenarios": list(scenarios),
            "licences": [{"identifier": lic.identifier, "name": lic.name} for lic in licences],
            "channel": channel,
        },
        key=node.signing_key(Purpose.JWT),
        issuer=node.entity_id,
        audience=issuers,
        typ=CONSENT_TYP,
        lifetime=timedelta(seconds=node.settings.licence_consent_seconds),
        now=now,
    )


class _CheckedLater:
    """verify_jwt's replay step is done by :func:`check_consent` itself, per licence."""

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        return True


def check_consent(
    token: Any,
    *,
    node: Node,
    requester_region: str,
    scenario: str,
    licence: Licence,
    now: datetime,
) -> dict[str, Any]:
    peer = requester_region
    if not isinstance(token, str) or not token.strip():
        raise ExchangeRefused("consent-missing", "the request carries no consent", 403, peer)
    try:
        issuer = decode_unverified(token).claims.get("iss")
        home = node.federation().member_by_entity_id(issuer if isinstance(issuer, str) else "")
    except (SigningError, KeyError):
        raise ExchangeRefused(
            "consent-invalid", "the consent is not from a federation member", 403, peer
        ) from None
    if "identity-provider" not in home.roles:
        raise ExchangeRefused("consent-invalid", "the consent's issuer is no home node", 403, peer)
    max_life = timedelta(seconds=node.settings.licence_consent_seconds)
    try:
        claims = verify_jwt(
            token, trust=node.registry, issuer=home.entity_id, audience=node.entity_id,
            typ=CONSENT_TYP, replay_cache=_CheckedLater(), max_lifetime=max_life, now=now,
        )  # fmt: skip
    except TokenExpired:
        raise ExchangeRefused("consent-expired", "the consent has expired", 403, peer) from None
    except SigningError as error:
        raise ExchangeRefused(
            "consent-invalid", f"the consent is not genuine ({error.reason})", 403, peer
        ) from None
    if claims.get("requester") != requester_region:
        raise ExchangeRefused(
            "consent-wrong-requester", "the consent was given to another region", 403, peer
        )
    holder = claims.get("holder")
    expected = holder_binding(
        licence.holder_code, salt=str(holder.get("salt", "")) if isinstance(holder, dict) else ""
    )
    if not isinstance(holder, dict) or not hmac.compare_digest(
        str(holder.get("code_sha256", "")).encode(), expected["code_sha256"].encode()
    ):
        raise ExchangeRefused(
            "consent-wrong-holder", "the consent was given by someone else", 403, peer
        )
    scenarios, licences = claims.get("scenarios"), claims.get("licences")
    if not isinstance(scenarios, list) or scenario not in scenarios:
        raise ExchangeRefused(
            "consent-wrong-scenario", "the consent does not cover this scenario", 403, peer
        )
    named = [item.get("identifier") for item in licences or [] if isinstance(item, dict)]
    if licence.identifier not in named:
        raise ExchangeRefused(
            "consent-not-for-licence", "the consent does not name this licence", 403, peer
        )
    # Once per licence: only now, so a consent refused for the checks above is not burnt.
    expires_at = datetime.fromtimestamp(claims["exp"], now.tzinfo) + timedelta(minutes=1)
    key = replay_key(home.entity_id, f"{claims['jti']}|{licence.identifier}")
    if not node.replay_cache.first_use(key, expires_at=expires_at, now=now):
        raise ExchangeRefused(
            "consent-reused", "this consent was already used for this licence", 403, peer
        )
    return claims
