"""Holder presentation (亮证): a short-lived signed extract of one licence, shown as a QR code.

The home node authenticated the holder, so it signs on their behalf
(``licence-presentation+jwt``, at most five minutes, only the fields the
holder ticked, the licence's status-list entries so an offline verifier can
check the status). Any node's ``POST /licences/presentations/verify`` (or an
offline verifier with the registry's keys and a cached status list) checks it
once: signature by the issuer's registry key, time, first use of its ``jti``,
then the status lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import segno
from sqlalchemy.orm import Session

from interregion.exchange import ExchangeRefused
from interregion.licences import service
from interregion.licences.credentials import licence_claims
from interregion.licences.dates import local_today
from interregion.licences.models import Disclosure, Licence
from interregion.licences.runtime import runtime
from interregion.licences.verifier import current_status
from signing.errors import SigningError
from signing.jwt import decode_unverified, issue_jwt, verify_jwt
from signing.keys import Purpose
from standards.licence_types import get_type, releasable_fields

if TYPE_CHECKING:
    from interregion.node import Node

PRESENTATION_TYP = "licence-presentation+jwt"
PRESENTATION_AUDIENCE = "urn:delta:licence-presentation"
MAX_PRESENTATION = timedelta(minutes=5)


def present(
    session: Session, *, node: Node, licence: Licence, fields: list[str], now: datetime
) -> str:
    licence_type = get_type(licence.type_code)
    assert licence_type is not None
    allowed = set(releasable_fields(licence_type))
    chosen = [f for f in dict.fromkeys(fields) if f in allowed]
    values = service.field_values(licence)
    credential = licence_claims(licence, licence_type=licence_type, member=node.member())
    lifetime = min(MAX_PRESENTATION, timedelta(seconds=node.settings.licence_presentation_seconds))
    token = issue_jwt(
        {
            "licence": {
                "identifier": licence.identifier, "type": licence.type_code,
                "name": licence.name, "version": licence.version,
                "issuer_region": node.region_code,
                "valid_until": credential.get("validUntil"),
            },
            "fields": {name: values.get(name) for name in chosen},
            "credentialStatus": credential["credentialStatus"],
        },
        key=node.signing_key(Purpose.JWT), issuer=node.entity_id,
        audience=PRESENTATION_AUDIENCE, typ=PRESENTATION_TYP, lifetime=lifetime, now=now,
    )  # fmt: skip
    session.add(
        Disclosure(
            at=now, holder_code=licence.holder_code, licence_identifier=licence.identifier,
            licence_name=licence.name, requester_region="", service="亮证 / presentation",
            scenario="presentation", channel="presentation", fields=chosen,
            status=licence.effective_status(local_today(now)),
        )
    )  # fmt: skip
    return token


def qr_svg_data_uri(token: str) -> str:
    """The presentation as a QR code (SVG data URI; byte mode, error correction L)."""
    return str(segno.make_qr(token, error="l").svg_data_uri(scale=3, border=4))


def verify_presentation(node: Node, token: Any, *, now: datetime) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > 16 * 1024:
        raise ExchangeRefused("malformed", "no presentation, or too large", 400)
    try:
        issuer = decode_unverified(token).claims.get("iss")
        member = node.federation().member_by_entity_id(issuer if isinstance(issuer, str) else "")
    except SigningError:
        raise ExchangeRefused("malformed", "the presentation is not a JWT", 400) from None
    except KeyError:
        raise ExchangeRefused("unknown-issuer", "the issuer is not a federation member") from None
    if "licence-issuer" not in member.roles:
        raise ExchangeRefused("role-not-allowed", "the issuer may not issue licences")
    try:
        claims = verify_jwt(
            token, trust=node.registry, issuer=member.entity_id,
            audience=PRESENTATION_AUDIENCE, typ=PRESENTATION_TYP,
            replay_cache=node.replay_cache, max_lifetime=MAX_PRESENTATION, now=now,
        )  # fmt: skip
    except SigningError as error:
        raise ExchangeRefused(error.reason, "the presentation was refused") from None
    status = _status(node, claims, member=member, now=now)
    licence = claims.get("licence") or {}
    return {
        "status": status,
        "issuer_region": member.region_code,
        "licence": {k: licence.get(k) for k in ("identifier", "type", "name", "version")},
        "fields": claims.get("fields") or {},
        "presented_at": claims.get("iat"),
    }


def _status(node: Node, claims: dict[str, Any], *, member: Any, now: datetime) -> str:
    licence = claims.get("licence")
    return current_status(
        claims.get("credentialStatus"),  # type: ignore[arg-type]
        member=member,
        valid_until=licence.get("valid_until") if isinstance(licence, dict) else None,
        cache=runtime(node).verified, trust=node.registry, now=now,
    )  # fmt: skip
