"""The home side: receive an AuthnRequest, log the person in, ask for consent, answer.

Each step reads the login in progress (:class:`IdpAuthnRequest`) by its
handle and insists that it belongs to the browser session that started it,
so a handle seen in someone else's address bar is useless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session

from interregion.identity import attributes
from interregion.identity import repository as accounts
from interregion.identity import service as identity
from interregion.identity.levels import Level, parse_level
from interregion.identity.models import Account
from interregion.identity.pairwise import pairwise_id
from interregion.saml import names
from interregion.saml.authn_request import VerifiedAuthnRequest, read_authn_request
from interregion.saml.bindings import encode_post_field
from interregion.saml.errors import SamlRefused
from interregion.saml.response import AssertionContent, build_response, build_status_response
from interregion.sso import repository, sessions
from interregion.sso.models import BrowserSession, IdpAuthnRequest
from interregion.tokens import new_token
from interregion.window import service as window

if TYPE_CHECKING:
    from interregion.node import Node

Step = Literal["login", "totp", "consent", "unreachable"]
MAX_RELAY_STATE = 80


class LoginNotFound(Exception):
    """No such login in progress for this browser (expired, finished, or someone else's)."""


@dataclass(frozen=True)
class Started:
    handle: str
    browser_token: str | None  # set when a new IdP browser session was created
    step: Step
    request: IdpAuthnRequest


def _idp_session(
    session: Session, *, node: Node, browser_token: str | None, now: datetime
) -> tuple[BrowserSession, str | None]:
    row = sessions.load(session, browser_token, purpose=sessions.IDP, now=now)
    if row is not None:
        return row, None
    token, row = sessions.create(
        session, purpose=sessions.IDP, now=now, lifetime=node.session_lifetime
    )
    return row, token


def next_step(session: Session, *, request: IdpAuthnRequest, idp: BrowserSession) -> Step:
    """Where this login stands: password, TOTP, consent, or beyond this account's reach."""
    required = parse_level(request.min_level)
    fresh = not request.force_authn or (
        idp.authn_at is not None and idp.authn_at >= request.created_at
    )
    if idp.account_id is None or not fresh:
        return "totp" if idp.pending_account_id else "login"
    if idp.level is not None and parse_level(idp.level).meets(required):
        return "consent"
    account = accounts.get(session, idp.account_id)
    if account is not None and identity.can_reach(account, required):
        return "totp"
    return "unreachable"


def receive_request(
    session: Session,
    *,
    node: Node,
    document: bytes,
    relay_state: str,
    browser_token: str | None,
    now: datetime,
) -> tuple[Started, VerifiedAuthnRequest]:
    if len(relay_state) > MAX_RELAY_STATE:
        raise SamlRefused("malformed", "RelayState is longer than 80 bytes")
    verified = read_authn_request(
        document,
        registry=node.federation(),
        trust=node.registry,
        sso_url=node.endpoint("sso"),
        replay_cache=node.replay_cache,
        now=now,
        skew=node.skew,
        lifetime=node.request_lifetime,
        limits=node.xml_limits,
    )
    started = begin(
        session,
        node=node,
        kind="saml",
        audience_region=verified.sp.region_code,
        min_level=verified.min_level,
        requested=verified.requested,
        browser_token=browser_token,
        now=now,
        request_id=verified.request_id,
        sp_entity_id=verified.sp.entity_id,
        acs_url=verified.acs_url,
        relay_state=relay_state,
        force_authn=verified.force_authn,
    )
    return started, verified


def begin(
    session: Session,
    *,
    node: Node,
    kind: str,
    audience_region: str,
    min_level: Level,
    requested: list[str],
    browser_token: str | None,
    now: datetime,
    request_id: str = "",
    sp_entity_id: str = "",
    acs_url: str = "",
    relay_state: str = "",
    force_authn: bool = False,
) -> Started:
    """Open a login in progress for this browser (creating its IdP session if needed)."""
    idp, created_token = _idp_session(session, node=node, browser_token=browser_token, now=now)
    request = IdpAuthnRequest(
        id=new_token(),
        kind=kind,
        request_id=request_id,
        sp_entity_id=sp_entity_id,
        sp_region=audience_region,
        acs_url=acs_url,
        relay_state=relay_state,
        min_level=min_level.value,
        requested=list(requested),
        force_authn=force_authn,
        browser_session=idp.token_hash,
        created_at=now,
        expires_at=now + node.request_lifetime,
    )
    session.add(request)
    session.flush()
    step = next_step(session, request=request, idp=idp)
    return Started(request.id, created_token, step, request)


def open_request(
    session: Session, *, handle: str, browser_token: str | None, now: datetime
) -> tuple[IdpAuthnRequest, BrowserSession]:
    request = repository.idp_request(session, handle) if handle else None
    idp = sessions.load(session, browser_token, purpose=sessions.IDP, now=now)
    if (
        request is None
        or idp is None
        or request.browser_session != idp.token_hash
        or request.completed_at is not None
        or request.expires_at <= now
    ):
        raise LoginNotFound(handle)
    return request, idp


def _rotate(
    session: Session, *, node: Node, request: IdpAuthnRequest, idp: BrowserSession, now: datetime
) -> tuple[str, BrowserSession]:
    token, fresh = sessions.rotate(session, idp, now=now, lifetime=node.session_lifetime)
    request.browser_session = fresh.token_hash
    return token, fresh


@dataclass(frozen=True)
class LoginOutcome:
    step: Step | None  # None: refused, show the form again
    browser_token: str | None = None
    refused: str = ""
    account: Account | None = None


def login(
    session: Session,
    *,
    node: Node,
    request: IdpAuthnRequest,
    idp: BrowserSession,
    username: str,
    password: str,
    now: datetime,
) -> LoginOutcome:
    """Check the password; a refusal still commits (the failed-login counter must stick)."""
    try:
        account = identity.check_password(session, username=username, password=password, now=now)
    except identity.LoginRefused as refusal:
        return LoginOutcome(None, refused=refusal.reason)
    token, idp = _rotate(session, node=node, request=request, idp=idp, now=now)
    required = parse_level(request.min_level)
    by_password = identity.reachable_level(account, with_totp=False)
    if not by_password.meets(required) and identity.can_reach(account, required):
        # The TOTP code is still due: nobody is logged in until it is given.
        idp.account_id, idp.level, idp.authn_at = None, None, None
        idp.pending_account_id = account.id
        return LoginOutcome("totp", token, account=account)
    idp.account_id, idp.level, idp.authn_at = account.id, by_password.value, now
    idp.pending_account_id = None
    step: Step = "consent" if by_password.meets(required) else "unreachable"
    return LoginOutcome(step, token, account=account)


def second_factor(
    session: Session,
    *,
    node: Node,
    request: IdpAuthnRequest,
    idp: BrowserSession,
    code: str,
    now: datetime,
) -> LoginOutcome:
    account_id = idp.pending_account_id or idp.account_id
    account = accounts.get(session, account_id) if account_id else None
    if account is None:
        raise LoginNotFound(request.id)
    try:
        identity.check_totp(session, account=account, code=code, now=now)
    except identity.LoginRefused as refusal:
        return LoginOutcome(None, refused=refusal.reason, account=account)
    token, idp = _rotate(session, node=node, request=request, idp=idp, now=now)
    level = identity.reachable_level(account, with_totp=True)
    idp.account_id, idp.level, idp.authn_at = account.id, level.value, now
    idp.pending_account_id = None
    step: Step = "consent" if level.meets(parse_level(request.min_level)) else "unreachable"
    return LoginOutcome(step, token, account=account)


@dataclass(frozen=True)
class ConsentView:
    account: Account
    released: list[tuple[str, str]]
    full_id_requested: bool
    level: Level


def consent_view(
    session: Session, *, node: Node, request: IdpAuthnRequest, idp: BrowserSession
) -> ConsentView:
    account = accounts.get(session, idp.account_id) if idp.account_id else None
    if account is None or idp.level is None:
        raise LoginNotFound(request.id)
    values = identity.attribute_values(account, home_region=node.region_code)
    preview = attributes.release(values, requested=request.requested, full_id_consented=False)
    return ConsentView(
        account=account,
        released=identity.display_values(preview),
        full_id_requested=attributes.FULL_ID.key in request.requested,
        level=parse_level(idp.level),
    )


@dataclass(frozen=True)
class Answer:
    """What goes back to the relying node: an auto-POSTed form, or for windows a code."""

    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    code: str = ""
    released: tuple[str, ...] = ()
    account: Account | None = None


def _status_answer(
    node: Node, request: IdpAuthnRequest, *, sub_code: str, message: str, now: datetime
) -> Answer:
    document = build_status_response(
        issuer=node.entity_id,
        key=node.signing_key(),
        destination=request.acs_url,
        in_response_to=request.request_id,
        sub_code=sub_code,
        message=message,
        now=now,
    )
    fields = {"SAMLResponse": encode_post_field(document)}
    if request.relay_state:
        fields["RelayState"] = request.relay_state
    return Answer(action=request.acs_url, fields=fields)


def unreachable(session: Session, *, node: Node, request: IdpAuthnRequest, now: datetime) -> Answer:
    """The account cannot reach the level asked for: say so to the relying node (signed)."""
    if not repository.complete_idp_request(session, handle=request.id, now=now):
        raise LoginNotFound(request.id)
    if request.kind != "saml":
        return Answer()
    return _status_answer(
        node,
        request,
        sub_code=names.STATUS_NO_AUTHN_CONTEXT,
        message="level not available",
        now=now,
    )


def decide(
    session: Session,
    *,
    node: Node,
    request: IdpAuthnRequest,
    idp: BrowserSession,
    allow: bool,
    share_full_id: bool,
    now: datetime,
) -> Answer:
    """The person's decision on the consent page, turned into the answer (once)."""
    account = accounts.get(session, idp.account_id) if idp.account_id else None
    if account is None or idp.level is None or idp.authn_at is None:
        raise LoginNotFound(request.id)
    if not repository.complete_idp_request(session, handle=request.id, now=now):
        raise LoginNotFound(request.id)
    if not allow:
        if request.kind != "saml":
            return Answer(account=account)
        answer = _status_answer(
            node, request, sub_code=names.STATUS_REQUEST_DENIED, message="declined", now=now
        )
        return Answer(action=answer.action, fields=answer.fields, account=account)
    values = identity.attribute_values(account, home_region=node.region_code)
    released = attributes.release(
        values,
        requested=request.requested,
        full_id_consented=share_full_id and attributes.FULL_ID.key in request.requested,
    )
    if request.kind == "window":
        code = window.issue_code(
            session,
            node=node,
            account=account,
            audience_region=request.sp_region,
            level=parse_level(idp.level),
            authn_at=idp.authn_at,
            released=list(released),
            full_id_consented=attributes.FULL_ID.key in released,
            now=now,
        )
        return Answer(code=code, released=tuple(released), account=account)
    content = AssertionContent(
        name_id=pairwise_id(
            node.secrets.pairwise_key, account_id=account.id, relying_entity_id=request.sp_entity_id
        ),
        audience=request.sp_entity_id,
        acs_url=request.acs_url,
        in_response_to=request.request_id,
        level=parse_level(idp.level),
        authn_instant=idp.authn_at,
        session_index=secrets.token_hex(16),
        values=released,
    )
    document = build_response(
        content,
        issuer=node.entity_id,
        key=node.signing_key(),
        now=now,
        lifetime=node.assertion_lifetime,
    )
    fields = {"SAMLResponse": encode_post_field(document)}
    if request.relay_state:
        fields["RelayState"] = request.relay_state
    return Answer(action=request.acs_url, fields=fields, released=tuple(released), account=account)


def end_session(session: Session, *, browser_token: str | None) -> None:
    sessions.end(session, browser_token)
