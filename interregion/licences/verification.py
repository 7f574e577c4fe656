"""Cross-region licence verification over the exchange.

Node A (a service or a window) asks the issuing node B with a signed
``licence-verification-request+jwt``; B checks the requester's registry
membership and role (the exchange), the recognition list for A and the
scenario, the holder's consent, rate limits; then answers with a signed
``licence-verification-response+jwt`` carrying the request hash, the live
status, only the fields the scenario allows (the rest named as withheld) and
the credential where the scenario allows it. Both sides audit; B also keeps
the disclosure the holder sees on their "who looked" page.

Fields beyond the scenario are *withheld, not refused*: the answer is still
useful (the status, the allowed fields), the requester learns exactly what it
may not have, and both audit records name the withheld fields -- an honest
misconfiguration is visible without stopping service, and over-asking gains
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.clock import utcnow
from interregion.exchange import Accepted, ExchangeRefused, Incoming, MessageKind, Reply
from interregion.licences import consent, recognition, service
from interregion.licences.dates import local_today
from interregion.licences.models import Disclosure, Licence
from signing.errors import SigningError
from signing.jws import verify_jws
from signing.jwt import LICENCE_VERIFICATION_REQUEST, LICENCE_VERIFICATION_RESPONSE
from signing.keys import Purpose
from standards.identifiers.licence_id import InvalidLicenceId, parse_licence_id
from standards.licence_types import get_type

if TYPE_CHECKING:
    from interregion.node import Node

LICENCE_VERIFICATION = MessageKind(
    name="licence-verification",
    request_typ=LICENCE_VERIFICATION_REQUEST,
    response_typ=LICENCE_VERIFICATION_RESPONSE,
    endpoint="licence_verify",
    requester_role="licence-verifier",
    responder_role="licence-issuer",
)
STATUSES = ("valid", "suspended", "revoked", "expired")
MAX_FIELDS = 64
MAX_SERVICE_CHARS = 200


# --- the issuer (B) -----------------------------------------------------------------------


def _lookup(session: Session, claims: dict[str, Any], peer: str) -> Licence:
    wanted = claims.get("licence")
    if not isinstance(wanted, dict):
        raise ExchangeRefused("malformed", "the request names no licence", 400, peer)
    identifier = wanted.get("identifier")
    if isinstance(identifier, str) and identifier:
        try:
            return service.find(session, identifier)
        except service.LicenceError:
            raise ExchangeRefused("licence-not-found", "no such licence here", 404, peer) from None
    holder, type_code = wanted.get("holder_code"), wanted.get("type")
    if not (isinstance(holder, str) and isinstance(type_code, str)):
        raise ExchangeRefused(
            "malformed", "name a licence identifier, or holder and type", 400, peer
        )
    found = session.scalars(
        select(Licence)
        .where(Licence.holder_code == holder.strip().upper(), Licence.type_code == type_code)
        .order_by(Licence.version.desc(), Licence.created_at.desc())
        .limit(1)
    ).first()
    if found is None:
        raise ExchangeRefused("licence-not-found", "no such licence here", 404, peer)
    return found


def _request_fields(claims: dict[str, Any], peer: str) -> list[str]:
    fields = claims.get("fields", [])
    if (
        not isinstance(fields, list)
        or len(fields) > MAX_FIELDS
        or not all(isinstance(f, str) and len(f) <= 64 for f in fields)
    ):
        raise ExchangeRefused("malformed", "fields must be a list of field names", 400, peer)
    return fields


def answer(incoming: Incoming, session: Session, *, node: Node) -> Reply:
    claims, peer, now = incoming.claims, incoming.peer, incoming.now
    scenario, service_name = claims.get("scenario"), claims.get("service", "")
    if not isinstance(scenario, str) or not isinstance(service_name, str):
        raise ExchangeRefused("malformed", "the request names no scenario", 400, peer)
    fields = _request_fields(claims, peer)
    licence = _lookup(session, claims, peer)
    entry = recognition.match(
        node.federation(), licence_type=licence.type_code, scenario=scenario,
        requester_region=peer, issuer_region=node.region_code,
    )  # fmt: skip
    consent.check_consent(
        claims.get("consent"), node=node, requester_region=peer, scenario=scenario,
        licence=licence, now=now,
    )  # fmt: skip
    released, withheld = recognition.minimise(entry, fields)
    values = service.field_values(licence)
    status = licence.effective_status(local_today(now))
    answer_claims: dict[str, Any] = {
        "status": status,
        "scenario": scenario,
        "licence": {
            "identifier": licence.identifier,
            "type": licence.type_code,
            "name": licence.name,
            "version": licence.version,
            "issuer_region": node.region_code,
        },
        "fields": {name: values.get(name) for name in released},
        "withheld": withheld,
        "checked_at": int(now.timestamp()),
    }
    if entry.credential and claims.get("credential") is True:
        answer_claims["credential"] = licence.credential
    session.add(
        Disclosure(
            at=now, holder_code=licence.holder_code, licence_identifier=licence.identifier,
            licence_name=licence.name, requester_region=peer,
            service=service_name[:MAX_SERVICE_CHARS], scenario=scenario, channel="exchange",
            fields=released, status=status,
        )
    )  # fmt: skip
    return Reply(
        answer_claims,
        actor=f"holder:{service.masked_holder_code(licence)}",
        reason="fields-withheld" if withheld else "",
        detail={"licence": licence.identifier, "scenario": scenario, "status": status,
                "released": released, "withheld": withheld, "service": service_name[:80]},
    )  # fmt: skip


# --- the requester (A) --------------------------------------------------------------------


def issuer_region_of(identifier: str) -> str:
    """The issuing department's USCC carries its area code: the province is its region."""
    try:
        parsed = parse_licence_id(identifier)
    except InvalidLicenceId as error:
        raise ExchangeRefused("malformed", f"not a licence identifier: {error}", 422) from None
    return parsed.issuer_uscc[2:4] + "0000"


def verify_remote(
    node: Node,
    *,
    scenario: str,
    consent_token: str,
    identifier: str | None = None,
    holder_code: str | None = None,
    type_code: str | None = None,
    issuer_region: str | None = None,
    fields: list[str] | None = None,
    service_name: str = "",
    want_credential: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Ask the issuing node; return the verified answer (and the signed response as evidence)."""
    moment = now or utcnow()
    if identifier:
        derived = issuer_region_of(identifier)  # also refuses a malformed identifier
        region, wanted = issuer_region or derived, {"identifier": identifier}
    elif holder_code and type_code and issuer_region:
        region, wanted = issuer_region, {"holder_code": holder_code, "type": type_code}
    else:
        raise ExchangeRefused("malformed", "name a licence, or holder, type and issuer region", 422)
    if fields is None:
        fields = _default_fields(node, identifier, type_code, scenario, region)
    result: dict[str, Any] = {}

    def accept(claims: dict[str, Any]) -> Accepted:
        _check_answer(claims, node=node, region=region, wanted=wanted, fields=fields, now=moment)
        result.update(claims)
        return Accepted(
            reason="fields-withheld" if claims.get("withheld") else "",
            detail={"licence": claims["licence"]["identifier"], "scenario": scenario,
                    "status": claims["status"], "released": sorted(claims["fields"]),
                    "withheld": claims.get("withheld", [])},
        )  # fmt: skip

    exchanged = node.exchange.call(
        LICENCE_VERIFICATION,
        peer_region=region,
        claims={
            "scenario": scenario,
            "service": service_name[:MAX_SERVICE_CHARS],
            "licence": wanted,
            "fields": fields,
            "consent": consent_token,
            "credential": want_credential,
        },
        accept=accept,
        detail={"scenario": scenario, "licence": identifier or type_code or ""},
        now=moment,
    )
    keep = ("status", "scenario", "licence", "fields", "withheld", "checked_at", "credential")
    return {
        **{key: result[key] for key in keep if key in result},
        "response": exchanged.response,
        "request_sha256": exchanged.request_sha256,
        "audit_record": exchanged.audit_record,
    }


def _default_fields(
    node: Node, identifier: str | None, type_code: str | None, scenario: str, region: str
) -> list[str]:
    """Without a list, ask for what the recognition list allows this scenario."""
    code = type_code or (parse_licence_id(identifier).type_code if identifier else "")
    for entry in node.federation().recognition:
        if (
            entry.licence_type == code
            and entry.scenario == scenario
            and node.region_code in entry.accepting
            and region in entry.issuers
        ):
            return list(entry.fields)
    return []


def _check_answer(
    claims: dict[str, Any], *, node: Node, region: str, wanted: dict[str, str],
    fields: list[str], now: datetime,
) -> None:  # fmt: skip
    """Signed by the issuer does not mean sensible: check the answer says what we asked."""
    licence, values = claims.get("licence"), claims.get("fields")
    ok = (
        claims.get("status") in STATUSES
        and isinstance(licence, dict)
        and isinstance(values, dict)
        and set(values) <= set(fields)
        and get_type(str(licence.get("type", ""))) is not None
        and ("identifier" not in wanted or licence.get("identifier") == wanted["identifier"])
    )
    if not ok:
        raise ExchangeRefused("malformed", "the answer does not match the question", 502, region)
    token = claims.get("credential")
    if token is not None:
        try:
            verify_jws(
                token, trust=node.registry, issuer=node.federation().member(region).entity_id,
                purpose=Purpose.JWT, typ="vc+jwt", now=now,
            )  # fmt: skip
        except SigningError as error:
            raise ExchangeRefused(
                error.reason, "the enclosed credential is not genuine", 502, region
            ) from None
