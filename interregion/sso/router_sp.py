"""Relying-side pages: home, chooser, start, ACS, the demo service, logout."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from interregion.clock import utcnow
from interregion.identity import attributes
from interregion.identity import service as identity
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.saml.bindings import decode_post_field
from interregion.saml.errors import SamlRefused
from interregion.sso import sessions, sp_service
from interregion.tokens import new_token
from interregion.web.context import WebDep, see_other
from interregion.web.safe_next import DEFAULT_NEXT, safe_next
from standards.regions import get

router = APIRouter()
BINDING = "bind"  # cookie tying a pending request to the browser that started it
SERVICE_LEVEL = Level.SUBSTANTIAL


def _level(value: str | None, default: Level = SERVICE_LEVEL) -> Level:
    try:
        return parse_level(value) if value else default
    except UnknownLevel:
        return default


def _region_view(code: str) -> dict[str, str]:
    region = get(code)
    return {
        "code": code,
        "name": region.name if region else code,
        "name_en": region.name_en if region else code,
        "short": (region.short or "") if region and region.short else "",
    }


@router.get("/")
def home(request: Request, web: WebDep) -> Response:
    return web.pages.render(request, "index.html", {"member": web.node.member()})


@router.get("/sso/choose")
def choose(
    request: Request, web: WebDep, next: str | None = None, level: str | None = None
) -> Response:
    target, wanted = safe_next(next), _level(level)
    regions = []
    for member in sp_service.identity_providers(web.node):
        view = _region_view(member.region_code)
        query = {"home": member.region_code, "next": target}
        view["href"] = f"/sso/start?{urlencode(query)}"
        view["href_high"] = f"/sso/start?{urlencode({**query, 'level': Level.HIGH.value})}"
        view["own"] = "yes" if member.region_code == web.node.region_code else ""
        regions.append(view)
    return web.pages.render(
        request, "chooser.html", {"regions": regions, "level": wanted, "next": target}
    )


@router.get("/sso/start")
def start(
    request: Request,
    web: WebDep,
    *,
    home: Annotated[str, Query(max_length=6)] = "",
    next: str | None = None,
    level: str | None = None,
) -> Response:
    now, node = utcnow(), web.node
    binding = web.cookies.read(request, BINDING) or new_token()
    try:
        with node.transaction() as session:
            started = sp_service.start_login(
                session,
                node=node,
                home_region=home,
                next_path=safe_next(next),
                min_level=_level(level),
                binding_token=binding,
                now=now,
            )
    except SamlRefused as refusal:
        seq = node.audit.append(
            event="sso.request-refused", outcome="refused", reason=refusal.reason,
            detail={"home": home}, now=now,
        )  # fmt: skip
        return web.pages.refusal(
            request, reason=refusal.reason, message=refusal.message, status=404, audit=seq
        )
    node.audit.append(
        event="sso.request-sent",
        peer=started.home_region,
        detail={"request_id": started.request_id, "level": _level(level).value},
        now=now,
    )
    fields = {"SAMLRequest": started.saml_request, "RelayState": started.relay_state}
    response = web.autopost(
        request,
        action=started.action,
        fields=fields,
        title="正在前往所属地区登录 / Going to your home region",
    )
    lifetime = int(node.request_lifetime.total_seconds())
    web.cookies.write(response, BINDING, binding, max_age=lifetime, cross_site=True)
    return response


@router.post("/saml/acs")
def assertion_consumer(
    request: Request,
    web: WebDep,
    *,
    saml_response: Annotated[str, Form(alias="SAMLResponse")] = "",
    relay_state: Annotated[str, Form(alias="RelayState")] = "",
) -> Response:
    now, node = utcnow(), web.node
    try:
        document = decode_post_field(
            saml_response, field="SAMLResponse", max_bytes=node.settings.max_xml_bytes
        )
        with node.transaction() as session:
            accepted = sp_service.accept_response(
                session,
                node=node,
                document=document,
                binding_token=web.cookies.read(request, BINDING),
                now=now,
            )
    except SamlRefused as refusal:
        return web.saml_refusal(request, refusal, event="sso.response-refused", now=now)
    verified = accepted.verified
    node.audit.append(
        event="sso.response-accepted",
        actor=f"{verified.name_id}@{verified.issuer.region_code}",
        peer=verified.issuer.region_code,
        detail={
            "request_id": verified.in_response_to,
            "assertion_id": verified.assertion_id,
            "level": verified.level.value,
            "attributes": sorted(verified.values),
        },
        now=now,
    )
    response = see_other(accepted.next_path)
    web.cookies.write(response, sessions.SP, accepted.session_token)
    return response


@router.get("/service")
def service(request: Request, web: WebDep) -> Response:
    node, now = web.node, utcnow()
    with node.transaction() as session:
        row = sessions.load(
            session, web.cookies.read(request, sessions.SP), purpose=sessions.SP, now=now
        )
        identity_data = dict(row.identity) if row is not None else None
    if identity_data is None or not parse_level(identity_data["level"]).meets(SERVICE_LEVEL):
        return see_other(f"/sso/choose?{urlencode({'next': DEFAULT_NEXT})}")
    values: dict[str, str] = identity_data.get("values", {})
    home_code = identity_data["home_region"]
    return web.pages.render(
        request,
        "service.html",
        {
            "person": values.get("name", ""),
            "home": _region_view(home_code),
            "level": parse_level(identity_data["level"]),
            "subject": identity_data["name_id"],
            # Name and home region have rows of their own above: not twice.
            "shown": identity.display_values(
                values, reveal_full_id=True, omit=(attributes.NAME.key, attributes.HOME_REGION.key)
            ),
        },
    )


@router.post("/logout")
def logout(request: Request, web: WebDep, csrf: Annotated[str, Form()] = "") -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    with web.node.transaction() as session:
        sessions.end(session, web.cookies.read(request, sessions.SP))
    response = see_other("/")
    web.cookies.clear(response, sessions.SP)
    return response
