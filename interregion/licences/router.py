"""Licence endpoints between nodes and for verifiers: the exchange endpoint the registry
advertises (``/licences/verify``), status lists, the requester API, presentation checks."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.exchange import ExchangeBody, ExchangeRefused, exchange_response
from interregion.licences import presentations, verification, verifier
from interregion.licences.credentials import PURPOSES
from interregion.licences.runtime import runtime
from interregion.web.context import WebDep
from standards.licence_types import LICENCE_TYPES, SCENARIOS

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
_SCENARIO = r"^[a-z][a-z0-9-]{0,63}$"


def refusal_response(web: WebDep, refusal: ExchangeRefused, *, event: str) -> Response:
    """problem+json with the reason and our audit record (written now if nobody did)."""
    if refusal.audit_record is None:
        refusal.audit_record = web.node.audit.append(
            event=event, outcome="refused", reason=refusal.reason, peer=refusal.peer,
            detail={"message": refusal.message, **refusal.detail},
        )  # fmt: skip
    return problem(refusal.status, "Refused", refusal.message, **refusal.problem_fields())


@router.post("/licences/verify")
def licence_verify(body: ExchangeBody, web: WebDep) -> Response:
    """The issuer's side of cross-region verification (a signed request in, a signed answer out)."""
    handler = partial(verification.answer, node=web.node)
    return exchange_response(web, verification.LICENCE_VERIFICATION, body.request, handler)


@router.get("/licences/status/{purpose}")
def status_list(purpose: str, request: Request, web: WebDep) -> Response:
    """The signed status-list credential (W3C Bitstring Status List), cacheable for its TTL."""
    if purpose not in PURPOSES:
        return problem(404, "Not Found", f"status lists: {', '.join(PURPOSES)}")
    published = runtime(web.node).published.current(purpose, now=utcnow())
    ttl = web.node.settings.licence_status_ttl_seconds
    headers = {"Cache-Control": f"public, max-age={ttl}", "ETag": published.etag}
    if request.headers.get("if-none-match") == published.etag:
        return Response(status_code=304, headers=headers)
    return Response(published.token, media_type="application/vc+jwt", headers=headers)


@router.get("/licences/types")
def licence_types() -> Response:
    """The licence types and usage scenarios of the delta's mutual recognition."""
    return JSONResponse(
        {
            "types": [t.as_json() for t in LICENCE_TYPES],
            "scenarios": [
                {"code": s.code, "name": s.name, "name_en": s.name_en} for s in SCENARIOS
            ],
        }
    )


class VerificationQuery(BaseModel):
    scenario: str = Field(pattern=_SCENARIO)
    consent: str = Field(default="", max_length=16 * 1024)  # the issuer refuses it missing
    licence: str | None = Field(default=None, max_length=120)
    holder_code: str | None = Field(default=None, max_length=18)
    type: str | None = Field(default=None, max_length=21)
    issuer_region: str | None = Field(default=None, pattern=r"^\d{6}$")
    fields: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=64)] | None = (
        None
    )
    service: str = Field(default="", max_length=200)
    credential: bool = False


@router.post("/licences/verifications")
def verify_licence(query: VerificationQuery, web: WebDep) -> Response:
    """For this region's services and windows: verify a licence with its issuing region."""
    try:
        result: dict[str, Any] = verification.verify_remote(
            web.node, scenario=query.scenario, consent_token=query.consent,
            identifier=query.licence, holder_code=query.holder_code, type_code=query.type,
            issuer_region=query.issuer_region, fields=query.fields, service_name=query.service,
            want_credential=query.credential,
        )  # fmt: skip
    except ExchangeRefused as refusal:
        return refusal_response(web, refusal, event="licence-verification.refused")
    return JSONResponse(result, headers=NO_STORE)


class PresentationQuery(BaseModel):
    presentation: str = Field(min_length=1, max_length=16 * 1024)


@router.post("/licences/presentations/verify")
def verify_presentation(query: PresentationQuery, web: WebDep) -> Response:
    """Check a holder's presentation (亮证) once: signature, time, first use, status lists."""
    now = utcnow()
    try:
        result = presentations.verify_presentation(web.node, query.presentation, now=now)
    except ExchangeRefused as refusal:
        return refusal_response(web, refusal, event="licence.presentation-refused")
    seq = web.node.audit.append(
        event="licence.presentation-verified", peer=result["issuer_region"],
        detail={"licence": result["licence"]["identifier"], "status": result["status"],
                "fields": sorted(result["fields"])},
        now=now,
    )  # fmt: skip
    return JSONResponse({**result, "audit_record": seq}, headers=NO_STORE)


class CredentialQuery(BaseModel):
    credential: str = Field(min_length=1, max_length=64 * 1024)


@router.post("/licences/credentials/verify")
def verify_credential(query: CredentialQuery, web: WebDep) -> Response:
    """Offline-style check of a licence credential (VC-JWT) by this node: the registry's key
    for its issuer, then the issuer's status lists from this node's cache (TTL)."""
    now, node = utcnow(), web.node
    try:
        checked = verifier.verify_credential(
            query.credential, registry=node.federation(), trust=node.registry,
            status_lists=runtime(node).verified, now=now,
        )  # fmt: skip
    except ExchangeRefused as refusal:
        return refusal_response(web, refusal, event="licence.credential-refused")
    result = checked.as_json()
    seq = node.audit.append(
        event="licence.credential-verified", peer=checked.issuer_region,
        detail={"licence": result["identifier"], "status": checked.status}, now=now,
    )  # fmt: skip
    return JSONResponse({**result, "audit_record": seq}, headers=NO_STORE)
