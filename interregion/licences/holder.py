"""The holder's pages at home: my licences, who looked at them, show one (亮证), consent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from interregion.clock import utcnow
from interregion.identity import repository as accounts
from interregion.identity.levels import Level
from interregion.identity.models import Account
from interregion.licences import presentations, service
from interregion.licences.consent import issue_consent
from interregion.licences.models import Disclosure, Licence
from interregion.sso import idp_service, sessions
from interregion.web.context import WebDep, see_other
from standards.licence_types import SCENARIOS, field_label, get_type, releasable_fields
from standards.regions import DELTA_PROVINCES, get

router = APIRouter()
MAX_DISCLOSURES = 200


def holder_codes(account: Account) -> list[str]:
    """A person holds licences under their ID number; a company's representative also sees
    the company's (under its USCC)."""
    return [code for code in (account.citizen_id, account.company_uscc) if code]


def _account(session: Session, request: Request, web: WebDep) -> Account | None:
    token = web.cookies.read(request, sessions.IDP)
    row = sessions.load(session, token, purpose=sessions.IDP, now=utcnow())
    if row is None or row.account_id is None:
        return None
    return accounts.get(session, row.account_id)


def _login(request: Request, web: WebDep) -> Response:
    """Not logged in at home: the IdP's own login pages, then back to /licences/mine."""
    with web.node.transaction() as session:
        started = idp_service.begin(
            session, node=web.node, kind="holder", audience_region=web.node.region_code,
            min_level=Level.SUBSTANTIAL, requested=[],
            browser_token=web.cookies.read(request, sessions.IDP), now=utcnow(),
        )  # fmt: skip
    response = see_other(f"/idp/{started.step}?r={started.handle}")
    if started.browser_token:
        web.cookies.write(response, sessions.IDP, started.browser_token, cross_site=True)
    return response


def _mine(session: Session, account: Account) -> list[Licence]:
    return [
        lic for code in holder_codes(account) for lic in service.listing(session, holder_code=code)
    ]


@router.get("/licences/mine")
def my_licences(request: Request, web: WebDep) -> Response:
    now = utcnow()
    with web.node.transaction() as session:
        account = _account(session, request, web)
        if account is None:
            return _login(request, web)
        licences = _mine(session, account)
        looked = list(
            session.scalars(
                select(Disclosure)
                .where(Disclosure.holder_code.in_(holder_codes(account)))
                .order_by(Disclosure.at.desc(), Disclosure.id.desc())
                .limit(MAX_DISCLOSURES)
            )
        )
        context: dict[str, Any] = {
            "person": account.name,
            "licences": [
                {**service.summary(lic, now=now), "fields": _fields(lic)} for lic in licences
            ],
            "disclosures": [_disclosure(row) for row in looked],
            "regions": [(code, get(code)) for code in DELTA_PROVINCES],
            "scenarios": SCENARIOS,
        }
    return web.pages.render(request, "licences_mine.html", context)


def _fields(licence: Licence) -> list[tuple[str, str]]:
    licence_type = get_type(licence.type_code)
    assert licence_type is not None
    return [(key, field_label(licence_type, key)) for key in releasable_fields(licence_type)]


def _disclosure(row: Disclosure) -> dict[str, Any]:
    region = get(row.requester_region) if row.requester_region else None
    return {
        "at": row.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "licence": row.licence_name,
        "identifier": row.licence_identifier,
        "region": f"{region.name} ({row.requester_region})" if region else "—",
        "service": row.service or "—",
        "scenario": row.scenario,
        "channel": row.channel,
        "fields": ", ".join(row.fields) or "—",
        "status": row.status,
    }


def _own_licence(session: Session, account: Account, identifier: str) -> Licence | None:
    return next((lic for lic in _mine(session, account) if lic.identifier == identifier), None)


@router.post("/licences/presentations")
def create_presentation(
    request: Request,
    web: WebDep,
    *,
    licence: Annotated[str, Form(max_length=120)] = "",
    fields: Annotated[list[str] | None, Form(max_length=64)] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """亮证: a signed presentation of the chosen fields, valid for at most five minutes."""
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    now = utcnow()
    with web.node.transaction() as session:
        account = _account(session, request, web)
        if account is None:
            return _login(request, web)
        found = _own_licence(session, account, licence)
        if found is None:
            return web.pages.refusal(
                request, reason="licence-not-found", message=licence, status=404
            )
        token = presentations.present(
            session, node=web.node, licence=found, fields=fields or [], now=now
        )
        name, actor = found.name, f"account:{account.id}"
    seq = web.node.audit.append(
        event="licence.presentation-issued", actor=actor,
        detail={"licence": licence, "fields": sorted(fields or [])}, now=now,
    )  # fmt: skip
    context = {
        "name": name,
        "token": token,
        "qr": presentations.qr_svg_data_uri(token),
        "audit": seq,
    }
    return web.pages.render(request, "licence_presentation.html", context)


@router.post("/licences/consents")
def create_consent(
    request: Request,
    web: WebDep,
    *,
    to: Annotated[str, Form(max_length=6)] = "",
    scenario: Annotated[str, Form(max_length=64)] = "",
    licences: Annotated[list[str] | None, Form(max_length=32)] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The holder consents to region ``to`` checking these licences for ``scenario``."""
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    if to not in DELTA_PROVINCES or scenario not in {s.code for s in SCENARIOS}:
        return web.pages.refusal(
            request, reason="malformed", message="region or scenario", status=422
        )
    now = utcnow()
    with web.node.transaction() as session:
        account = _account(session, request, web)
        if account is None:
            return _login(request, web)
        chosen = [lic for lic in _mine(session, account) if lic.identifier in set(licences or [])]
        if not chosen:
            return web.pages.refusal(
                request, reason="licence-not-found", message="choose a licence", status=422
            )
        holder = chosen[0].holder_code  # one holder per consent (a person, or their company)
        chosen = [lic for lic in chosen if lic.holder_code == holder]
        token = issue_consent(
            node=web.node, holder_code=holder, requester_region=to, scenarios=[scenario],
            licences=chosen, channel="holder", now=now,
        )  # fmt: skip
        names, actor = [lic.name for lic in chosen], f"account:{account.id}"
    seq = web.node.audit.append(
        event="licence.consent-issued", actor=actor, peer=to,
        detail={"scenario": scenario, "licences": [lic for lic in licences or []][:32]}, now=now,
    )  # fmt: skip
    region = get(to)
    context = {"token": token, "names": names, "region": region, "scenario": scenario, "audit": seq}
    return web.pages.render(request, "licence_consent.html", {**context, "to": to})
