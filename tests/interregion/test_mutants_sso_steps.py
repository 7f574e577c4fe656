"""The home node's steps and the service's answer check, each pinned as a whole, in process.

Mutation samples of interregion/sso kept finding survivors spread over the same few
functions (``idp_service.decide``, ``login``, ``second_factor``, ``begin``,
``sp_service.accept_response``, ``start_login``, the repository's and the sessions'
housekeeping): the earlier tests checked the outcome a flow reaches, not everything a step
stores and answers. Here each step is called on the in-process federation
(tests/interregion/inprocess.py: the real node apps on real SQLite, the nodes' real keys)
and everything it produces is compared: the rows it writes, the answer it signs (read back
by the relying node's own validation), each refusal's reason, message, detail and peer.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from lxml import etree
from sqlalchemy import event

from interregion.clock import saml_instant, utcnow
from interregion.identity import attributes
from interregion.identity import repository as accounts
from interregion.identity import service as identity
from interregion.identity.demo_people import demo_people
from interregion.identity.levels import Level
from interregion.identity.pairwise import pairwise_id
from interregion.saml import names, validation
from interregion.saml.errors import SamlRefused
from interregion.saml.response import AssertionContent, build_response
from interregion.sso import idp_service, repository, sessions, sp_service
from interregion.sso.models import ConsumedAssertion, IdpAuthnRequest, PendingRequest
from interregion.tokens import token_hash
from interregion.window import service as window
from interregion.window.models import WindowCode
from tests.interregion.inprocess import InProcessFederation, mutant_test_federation
from tests.interregion.test_mutants_sso import accept, refusal

HOME, SP, WINDOW = "310000", "320000", "330000"
BROWSER = "steps-browser-binding"
PROTOCOL = f"{{{names.SAMLP}}}"
ASSERTION = f"{{{names.SAML}}}"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with mutant_test_federation(Path(tmp_path_factory.mktemp("mutants-steps"))) as federation:
        yield federation


def _now() -> datetime:
    # Whole seconds: SAML instants carry no fraction, so what comes back compares equal.
    return utcnow().replace(microsecond=0)


def _person(session: Any, suffix: str, region: str = HOME) -> Any:
    who = next(p for p in demo_people(region) if p.username.endswith(f"-{suffix}"))
    account = accounts.find_by_username(session, who.username)
    assert account is not None
    return account


def _demo(suffix: str, region: str = HOME) -> Any:
    return next(p for p in demo_people(region) if p.username.endswith(f"-{suffix}"))


def _in_progress(
    fed: InProcessFederation,
    session: Any,
    *,
    now: datetime,
    kind: str = "saml",
    audience: str = SP,
    min_level: Level = Level.SUBSTANTIAL,
    requested: tuple[str, ...] = ("name", "home-region"),
    relay_state: str = "",
    **idp_fields: Any,
) -> tuple[idp_service.Started, Any, str]:
    """A login in progress at the home node, its browser session row and that row's token
    (``idp_fields``: what the session already knows)."""
    home, sp = fed.node(HOME), fed.node(SP)
    token, idp = sessions.create(
        session, purpose=sessions.IDP, now=now, lifetime=home.session_lifetime, **idp_fields
    )
    saml = kind == "saml"
    started = idp_service.begin(
        session, node=home, kind=kind, audience_region=audience, min_level=min_level,
        requested=list(requested), browser_token=token, now=now,
        request_id="_req-steps" if saml else "", sp_entity_id=sp.entity_id if saml else "",
        acs_url=sp.endpoint("acs") if saml else "", relay_state=relay_state,
    )  # fmt: skip
    return started, idp, token


def _read_at_sp(fed: InProcessFederation, fields: dict[str, str], *, now: datetime) -> Any:
    """The relying node's own checks of a Response (signature, audience, recipient, ...)."""
    sp = fed.node(SP)
    expect = validation.Expectations(
        entity_id=sp.entity_id, acs_url=sp.endpoint("acs"), now=now, skew=sp.skew,
        max_age=sp.assertion_lifetime, limits=sp.xml_limits,
    )  # fmt: skip
    document = base64.b64decode(fields["SAMLResponse"])
    return validation.validate_response(
        document, registry=sp.federation(), trust=sp.registry, expect=expect
    )


def _xml(fields: dict[str, str]) -> Any:
    return etree.fromstring(base64.b64decode(fields["SAMLResponse"]))


# --- decide: the answer, as a whole ---------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "requested", "full_id_sent"),
    [
        (True, ("name", "home-region", "citizen-id", "citizen-id-masked"), True),
        (False, ("name", "home-region", "citizen-id", "citizen-id-masked"), False),
        (True, ("name", "home-region", "citizen-id-masked"), False),
    ],
)
def test_an_allowed_login_is_answered_with_a_signed_assertion_of_what_was_consented(
    fed: InProcessFederation, share: bool, requested: tuple[str, ...], full_id_sent: bool
) -> None:
    home, sp = fed.node(HOME), fed.node(SP)
    now = _now()
    authn_at = now - timedelta(minutes=3)
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, requested=requested, relay_state="rs-allowed",
            account_id=account.id, level="high", authn_at=authn_at,
        )  # fmt: skip
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=True,
            share_full_id=share, now=now,
        )  # fmt: skip
    expected = attributes.release(
        identity.attribute_values(account, home_region=HOME),
        requested=requested,
        full_id_consented=full_id_sent,
    )
    assert expected[attributes.HOME_REGION.key] == HOME
    assert (attributes.FULL_ID.key in expected) is full_id_sent
    assert answer.action == sp.endpoint("acs") and answer.code == ""
    assert answer.account is account and answer.released == tuple(expected)
    assert sorted(answer.fields) == ["RelayState", "SAMLResponse"]
    assert answer.fields["RelayState"] == "rs-allowed"
    verified = _read_at_sp(fed, answer.fields, now=now)
    assert verified.issuer.entity_id == home.entity_id
    assert verified.in_response_to == "_req-steps"
    assert verified.name_id == pairwise_id(
        home.secrets.pairwise_key, account_id=account.id, relying_entity_id=sp.entity_id
    )
    assert verified.level is Level.HIGH and verified.authn_instant == authn_at
    assert verified.values == expected
    assert len(verified.session_index) == 32 and int(verified.session_index, 16) >= 0
    assert verified.not_on_or_after == now + home.assertion_lifetime
    root = _xml(answer.fields)
    assert root.get("Destination") == sp.endpoint("acs")
    audiences = [a.text for a in root.iter(f"{ASSERTION}Audience")]
    assert audiences == [sp.entity_id]


def test_an_allowed_login_without_relay_state_sends_none(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        account = _person(session, "company")
        started, idp, _ = _in_progress(
            fed, session, now=now, account_id=account.id, level="substantial", authn_at=now
        )
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=True,
            share_full_id=False, now=now,
        )  # fmt: skip
    assert sorted(answer.fields) == ["SAMLResponse"]
    assert _read_at_sp(fed, answer.fields, now=now).level is Level.SUBSTANTIAL


@pytest.mark.parametrize("share", [True, False])
def test_an_allowed_window_login_is_answered_with_a_one_time_code(
    fed: InProcessFederation, share: bool
) -> None:
    home = fed.node(HOME)
    now = _now()
    authn_at = now - timedelta(minutes=2)
    requested = ("name", "citizen-id", "citizen-id-masked")
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, kind="window", audience=WINDOW, requested=requested,
            account_id=account.id, level="high", authn_at=authn_at,
        )  # fmt: skip
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=True,
            share_full_id=share, now=now,
        )  # fmt: skip
        assert answer.action == "" and answer.fields == {} and answer.account is account
        expected = ["name", "citizen-id-masked", *(["citizen-id"] if share else [])]
        assert answer.released == tuple(expected)
        assert window.is_well_formed_code(window.normalise_code(answer.code))
        session.flush()
        row = session.get(WindowCode, window._code_hash(window.normalise_code(answer.code)))
        assert row is not None
        assert (row.account_id, row.audience_region, row.level) == (account.id, WINDOW, "high")
        assert row.authn_at == authn_at and row.released == expected
        assert row.full_id_consented is share
        assert row.created_at == now and row.expires_at == now + window.CODE_LIFETIME
        session.refresh(started.request)
        assert started.request.completed_at == now


def test_a_declined_login_is_answered_as_denied_to_the_service(fed: InProcessFederation) -> None:
    home, sp = fed.node(HOME), fed.node(SP)
    now = _now()
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, relay_state="rs-declined", account_id=account.id,
            level="substantial", authn_at=now,
        )  # fmt: skip
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=False,
            share_full_id=True, now=now,
        )  # fmt: skip
        session.refresh(started.request)
        assert started.request.completed_at == now
    assert answer.action == sp.endpoint("acs") and answer.code == "" and answer.released == ()
    assert answer.account is account
    assert sorted(answer.fields) == ["RelayState", "SAMLResponse"]
    assert answer.fields["RelayState"] == "rs-declined"
    _check_status_answer(
        fed, answer.fields, now=now, sub=names.STATUS_REQUEST_DENIED, top=names.STATUS_REQUESTER,
        message="declined", reason="declined",
    )  # fmt: skip


def _check_status_answer(
    fed: InProcessFederation,
    fields: dict[str, str],
    *,
    now: datetime,
    sub: str,
    top: str,
    message: str,
    reason: str,
    in_response_to: str = "_req-steps",
) -> None:
    home, sp = fed.node(HOME), fed.node(SP)
    root = _xml(fields)
    assert root.get("Destination") == sp.endpoint("acs")
    assert root.get("InResponseTo") == in_response_to
    assert root.get("IssueInstant") == saml_instant(now)
    assert root.findtext(f"{ASSERTION}Issuer") == home.entity_id
    codes = [c.get("Value") for c in root.iter(f"{PROTOCOL}StatusCode")]
    assert codes == [top, sub]
    assert [m.text for m in root.iter(f"{PROTOCOL}StatusMessage")] == [message]
    assert root.find(f".//{ASSERTION}Assertion") is None
    # Signed by the home node: the service's own checks get as far as the status.
    with pytest.raises(SamlRefused) as refused:
        _read_at_sp(fed, fields, now=now)
    assert refused.value.reason == reason and refused.value.peer == HOME


def test_a_declined_window_login_answers_nothing_but_the_account(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, kind="window", audience=WINDOW, account_id=account.id,
            level="substantial", authn_at=now,
        )  # fmt: skip
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=False,
            share_full_id=False, now=now,
        )  # fmt: skip
        assert answer == idp_service.Answer(account=account)
        session.refresh(started.request)
        assert started.request.completed_at == now
        with pytest.raises(idp_service.LoginNotFound) as again:
            idp_service.decide(
                session, node=home, request=started.request, idp=idp, allow=False,
                share_full_id=False, now=now,
            )  # fmt: skip
        assert again.value.args == (started.handle,)


def test_an_unreachable_level_is_answered_with_a_signed_status(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        started, _, _ = _in_progress(fed, session, now=now, min_level=Level.HIGH)
        answer = idp_service.unreachable(session, node=home, request=started.request, now=now)
        session.refresh(started.request)
        assert started.request.completed_at == now
        window_login, _, _ = _in_progress(fed, session, now=now, kind="window", audience=WINDOW)
        assert (
            idp_service.unreachable(session, node=home, request=window_login.request, now=now)
            == idp_service.Answer()
        )
        with pytest.raises(idp_service.LoginNotFound) as again:
            idp_service.unreachable(session, node=home, request=window_login.request, now=now)
        assert again.value.args == (window_login.handle,)
    assert sorted(answer.fields) == ["SAMLResponse"] and answer.action == fed.node(SP).endpoint(
        "acs"
    )
    _check_status_answer(fed, answer.fields, now=now, sub=names.STATUS_NO_AUTHN_CONTEXT,
                         top=names.STATUS_RESPONDER, message="level not available",
                         reason="level-not-available")  # fmt: skip


# --- login and second factor ------------------------------------------------------------------


def _idp_row(session: Any, token: str, now: datetime) -> Any:
    return sessions.load(session, token, purpose=sessions.IDP, now=now)


def test_a_password_login_logs_in_at_the_level_a_password_reaches(
    fed: InProcessFederation,
) -> None:
    home = fed.node(HOME)
    now = _now()
    who = _demo("company")
    with home.transaction() as session:
        account = _person(session, "company")
        started, idp, old = _in_progress(fed, session, now=now, pending_account_id="someone")
        outcome = idp_service.login(
            session, node=home, request=started.request, idp=idp, username=who.username,
            password=who.password, now=now,
        )  # fmt: skip
        session.flush()
        assert outcome.step == "consent" and outcome.account is account
        assert outcome.refused == "" and outcome.browser_token
        # The session moved to a fresh token, and the login in progress with it.
        assert _idp_row(session, old, now) is None
        fresh = _idp_row(session, outcome.browser_token, now)
        assert fresh is not None and started.request.browser_session == fresh.token_hash
        assert (fresh.account_id, fresh.level, fresh.authn_at) == (account.id, "substantial", now)
        assert fresh.pending_account_id is None
        assert fresh.expires_at == now + home.session_lifetime


def test_a_password_login_asks_for_the_code_when_the_level_needs_it(
    fed: InProcessFederation,
) -> None:
    home = fed.node(HOME)
    now = _now()
    who = _demo("resident")
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, min_level=Level.HIGH, account_id="earlier", level="low",
            authn_at=now - timedelta(hours=1),
        )  # fmt: skip
        outcome = idp_service.login(
            session, node=home, request=started.request, idp=idp, username=who.username,
            password=who.password, now=now,
        )  # fmt: skip
        session.flush()
        assert outcome.step == "totp" and outcome.account is account and outcome.refused == ""
        fresh = _idp_row(session, outcome.browser_token or "", now)
        assert fresh is not None and started.request.browser_session == fresh.token_hash
        # Nobody is logged in until the code is given: the account only waits.
        assert (fresh.account_id, fresh.level, fresh.authn_at) == (None, None, None)
        assert fresh.pending_account_id == account.id


def test_a_password_login_below_the_level_and_without_a_way_up_is_unreachable(
    fed: InProcessFederation,
) -> None:
    home = fed.node(HOME)
    now = _now()
    who = _demo("visitor")
    with home.transaction() as session:
        account = _person(session, "visitor")
        started, idp, _ = _in_progress(fed, session, now=now, min_level=Level.SUBSTANTIAL)
        outcome = idp_service.login(
            session, node=home, request=started.request, idp=idp, username=who.username,
            password=who.password, now=now,
        )  # fmt: skip
        session.flush()
        assert outcome.step == "unreachable" and outcome.account is account
        fresh = _idp_row(session, outcome.browser_token or "", now)
        assert fresh is not None
        assert (fresh.account_id, fresh.level, fresh.authn_at) == (account.id, "low", now)
        assert fresh.pending_account_id is None
        # The same visitor for a "low" service: consent.
        started, idp, _ = _in_progress(fed, session, now=now, min_level=Level.LOW)
        outcome = idp_service.login(
            session, node=home, request=started.request, idp=idp, username=who.username,
            password=who.password, now=now,
        )  # fmt: skip
        assert outcome.step == "consent"


def test_a_refused_password_is_counted_and_changes_nothing(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    who = _demo("company", SP)
    with fed.node(SP).transaction() as session:
        account = accounts.find_by_username(session, who.username)
        assert account is not None and account.failed_logins == 0
    sp = fed.node(SP)
    with sp.transaction() as session:
        token, idp = sessions.create(
            session, purpose=sessions.IDP, now=now, lifetime=sp.session_lifetime
        )
        started = idp_service.begin(
            session, node=sp, kind="saml", audience_region=HOME, min_level=Level.LOW,
            requested=["name"], browser_token=token, now=now, request_id="_r",
            sp_entity_id=home.entity_id, acs_url=home.endpoint("acs"),
        )  # fmt: skip
        for username, password, reason in (
            (who.username, "wrong", "wrong-password"),
            ("nobody-at-all", who.password, "unknown-user"),
            (who.username[:-1], who.password, "unknown-user"),
        ):
            outcome = idp_service.login(
                session, node=sp, request=started.request, idp=idp, username=username,
                password=password, now=now,
            )  # fmt: skip
            assert outcome == idp_service.LoginOutcome(None, refused=reason), username
        assert _idp_row(session, token, now) is idp and idp.account_id is None
        assert started.request.browser_session == idp.token_hash
        account = accounts.find_by_username(session, who.username)
        assert account is not None and account.failed_logins == 1
        # The right password clears the count.
        assert (
            idp_service.login(
                session,
                node=sp,
                request=started.request,
                idp=idp,
                username=who.username,
                password=who.password,
                now=now,
            ).step
            == "consent"
        )
        assert account.failed_logins == 0


def test_a_second_factor_logs_in_at_high(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    who = _demo("resident")
    assert who.totp_secret
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, old = _in_progress(
            fed, session, now=now, min_level=Level.HIGH, pending_account_id=account.id
        )
        assert started.step == "totp"
        wrong = idp_service.second_factor(
            session, node=home, request=started.request, idp=idp, code="000000", now=now
        )
        assert wrong == idp_service.LoginOutcome(None, refused="totp-wrong", account=account)
        assert _idp_row(session, old, now) is idp
        code = pyotp.TOTP(who.totp_secret).at(now)
        outcome = idp_service.second_factor(
            session, node=home, request=started.request, idp=idp, code=code, now=now
        )
        session.flush()
        assert outcome.step == "consent" and outcome.account is account and outcome.refused == ""
        assert _idp_row(session, old, now) is None
        fresh = _idp_row(session, outcome.browser_token or "", now)
        assert fresh is not None and started.request.browser_session == fresh.token_hash
        assert (fresh.account_id, fresh.level, fresh.authn_at) == (account.id, "high", now)
        assert fresh.pending_account_id is None


def test_a_second_factor_for_someone_already_logged_in_and_for_nobody(
    fed: InProcessFederation,
) -> None:
    """The account waits either as pending (password just given) or as logged in at a lower
    level (a service asking for more later); without either, the login is not found."""
    home = fed.node(HOME)
    now = _now()
    who = _demo("company")
    assert who.totp_secret
    with home.transaction() as session:
        account = _person(session, "company")
        started, idp, _ = _in_progress(
            fed, session, now=now, min_level=Level.HIGH, account_id=account.id,
            level="substantial", authn_at=now - timedelta(minutes=1),
        )  # fmt: skip
        assert started.step == "totp"
        outcome = idp_service.second_factor(
            session, node=home, request=started.request, idp=idp,
            code=pyotp.TOTP(who.totp_secret).at(now), now=now,
        )  # fmt: skip
        assert outcome.step == "consent" and outcome.account is account
        nobody, idp, _ = _in_progress(fed, session, now=now, min_level=Level.HIGH)
        with pytest.raises(idp_service.LoginNotFound) as missing:
            idp_service.second_factor(
                session, node=home, request=nobody.request, idp=idp, code="123456", now=now
            )
        assert missing.value.args == (nobody.handle,)


# --- begin, receive_request, next_step, open_request -------------------------------------------


def test_a_window_login_in_progress_is_stored_with_empty_saml_fields(
    fed: InProcessFederation,
) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        account = _person(session, "resident")
        token, _ = sessions.create(
            session, purpose=sessions.IDP, now=now, lifetime=home.session_lifetime,
            account_id=account.id, level="substantial", authn_at=now,
        )  # fmt: skip
        started = idp_service.begin(
            session, node=home, kind="window", audience_region=WINDOW, min_level=Level.LOW,
            requested=("name",), browser_token=token, now=now,
        )  # fmt: skip
        assert started.step == "consent" and started.browser_token is None
        row = session.get(IdpAuthnRequest, started.handle)
        assert row is started.request and row is not None
        assert (row.kind, row.request_id, row.sp_entity_id, row.acs_url) == ("window", "", "", "")
        assert (row.relay_state, row.force_authn, row.sp_region) == ("", False, WINDOW)
        assert row.requested == ["name"] and row.min_level == "low"
        assert row.browser_session == token_hash(token) and row.completed_at is None
        assert row.created_at == now and row.expires_at == now + home.request_lifetime


def test_a_received_request_opens_a_login_in_progress(fed: InProcessFederation) -> None:
    from interregion.saml.authn_request import build_authn_request

    home, sp = fed.node(HOME), fed.node(SP)
    now = _now()

    def request(force: bool) -> bytes:
        return build_authn_request(
            request_id=f"_steps-{force}-{now.timestamp()}", issuer=sp.entity_id,
            destination=home.endpoint("sso"), acs_url=sp.endpoint("acs"), min_level=Level.HIGH,
            requested=["name", "uscc"], key=sp.signing_key(), now=now, force_authn=force,
        )  # fmt: skip

    with home.transaction() as session:
        started, verified = idp_service.receive_request(
            session, node=home, document=request(True), relay_state="r" * 80,
            browser_token=None, now=now,
        )  # fmt: skip
        assert started.step == "login" and started.browser_token
        row = session.get(IdpAuthnRequest, started.handle)
        assert row is started.request and row is not None
        assert (row.kind, row.request_id) == ("saml", verified.request_id)
        assert row.request_id == f"_steps-True-{now.timestamp()}"
        assert (row.sp_entity_id, row.sp_region) == (sp.entity_id, SP)
        assert (row.acs_url, row.relay_state) == (sp.endpoint("acs"), "r" * 80)
        assert (row.min_level, row.requested, row.force_authn) == ("high", ["name", "uscc"], True)
        idp = _idp_row(session, started.browser_token, now)
        assert idp is not None and row.browser_session == idp.token_hash
        assert idp.expires_at == now + home.session_lifetime and idp.account_id is None
        idp_hash = idp.token_hash
    # The same browser again (the replay cache writes on its own connection: a new
    # transaction), now without ForceAuthn: the same home session.
    with home.transaction() as session:
        again, _ = idp_service.receive_request(
            session, node=home, document=request(False), relay_state="",
            browser_token=started.browser_token, now=now,
        )  # fmt: skip
        assert again.browser_token is None and again.request.force_authn is False
        assert again.request.browser_session == idp_hash and again.request.relay_state == ""
    with home.transaction() as session, pytest.raises(SamlRefused) as refused:
        idp_service.receive_request(
            session, node=home, document=request(False), relay_state="r" * 81,
            browser_token=None, now=now,
        )  # fmt: skip
    assert refused.value.reason == "malformed"
    assert refused.value.message == "RelayState is longer than 80 bytes"


def test_force_authn_asks_for_a_login_newer_than_the_request(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        account = _person(session, "resident")
        started, idp, _ = _in_progress(
            fed, session, now=now, account_id=account.id, level="substantial",
            authn_at=now - timedelta(seconds=1),
        )  # fmt: skip
        row = started.request
        assert idp_service.next_step(session, request=row, idp=idp) == "consent"
        row.force_authn = True
        assert idp_service.next_step(session, request=row, idp=idp) == "login"
        idp.pending_account_id = account.id
        assert idp_service.next_step(session, request=row, idp=idp) == "totp"
        idp.pending_account_id = None
        idp.authn_at = now  # logged in at the request's own instant: fresh enough
        assert idp_service.next_step(session, request=row, idp=idp) == "consent"
        idp.authn_at = None
        assert idp_service.next_step(session, request=row, idp=idp) == "login"


def test_a_login_in_progress_opens_only_for_its_browser_until_answered(
    fed: InProcessFederation,
) -> None:
    home = fed.node(HOME)
    now = _now()
    with home.transaction() as session:
        started, idp, token = _in_progress(fed, session, now=now)
        other, _ = sessions.create(
            session, purpose=sessions.IDP, now=now, lifetime=home.session_lifetime
        )
        request, opened = idp_service.open_request(
            session, handle=started.handle, browser_token=token, now=now
        )
        assert request is started.request and opened is idp
        for handle, browser in (("", token), (started.handle, other), (started.handle, None)):
            with pytest.raises(idp_service.LoginNotFound) as refused:
                idp_service.open_request(session, handle=handle, browser_token=browser, now=now)
            assert refused.value.args == (handle,)
        assert repository.complete_idp_request(session, handle=started.handle, now=now)
        session.refresh(started.request)
        assert started.request.completed_at == now
        with pytest.raises(idp_service.LoginNotFound):
            idp_service.open_request(session, handle=started.handle, browser_token=token, now=now)
        assert not repository.complete_idp_request(session, handle=started.handle, now=now)
        assert not repository.complete_idp_request(session, handle="no-such", now=now)


def test_the_consent_view_previews_what_would_leave(fed: InProcessFederation) -> None:
    home = fed.node(HOME)
    now = _now()
    requested = ("name", "home-region", "citizen-id", "citizen-id-masked", "uscc")
    with home.transaction() as session:
        account = _person(session, "company")
        started, idp, _ = _in_progress(
            fed, session, now=now, requested=requested, account_id=account.id, level="high",
            authn_at=now,
        )  # fmt: skip
        view = idp_service.consent_view(session, node=home, request=started.request, idp=idp)
    preview = attributes.release(
        identity.attribute_values(account, home_region=HOME), requested=requested,
        full_id_consented=False,
    )  # fmt: skip
    assert view.released == identity.display_values(preview)
    assert attributes.FULL_ID.key not in preview and len(view.released) == 4
    assert view.full_id_requested is True and view.level is Level.HIGH and view.account is account


# --- the service's side: start_login, accept_response ------------------------------------------


def _start(fed: InProcessFederation, *, now: datetime, **kw: Any) -> sp_service.LoginStart:
    sp = fed.node(SP)
    with sp.transaction() as session:
        return sp_service.start_login(
            session, node=sp, home_region=kw.pop("home", HOME), next_path=kw.pop("next", "/n"),
            min_level=kw.pop("level", Level.SUBSTANTIAL), binding_token=BROWSER, now=now, **kw,
        )  # fmt: skip


def test_a_start_remembers_the_request_for_its_browser(fed: InProcessFederation) -> None:
    sp, home = fed.node(SP), fed.node(HOME)
    now = _now()
    started = _start(fed, now=now)
    assert started.action == home.endpoint("sso") and started.home_region == HOME
    assert started.relay_state == started.request_id
    document = base64.b64decode(started.saml_request)
    root = etree.fromstring(document)
    assert root.get("ID") == started.request_id
    assert root.get("Destination") == home.endpoint("sso")
    assert root.get("AssertionConsumerServiceURL") == sp.endpoint("acs")
    with sp.transaction() as session:
        row = session.get(PendingRequest, started.request_id)
        assert row is not None
        assert row.browser_binding == token_hash(BROWSER)
        assert row.created_at == now and row.expires_at == now + sp.request_lifetime
        assert row.requested == list(attributes.DEFAULT_REQUEST)
        assert (row.home_region, row.idp_entity_id, row.min_level, row.next_path) == (
            HOME, home.entity_id, "substantial", "/n",
        )  # fmt: skip
        assert row.consumed_at is None
    with sp.transaction() as session, pytest.raises(SamlRefused) as refused:
        sp_service.start_login(
            session, node=sp, home_region="990000", next_path="/", min_level=Level.LOW,
            binding_token=BROWSER, now=now,
        )  # fmt: skip
    assert refused.value.reason == "unknown-region"
    assert refused.value.message == "there is no home node for this region"
    assert refused.value.peer is None or refused.value.peer == ""


def _response(
    fed: InProcessFederation,
    *,
    in_response_to: str,
    now: datetime,
    level: Level = Level.SUBSTANTIAL,
    home: str = HOME,
    assertion_id: str | None = None,
) -> bytes:
    issuer, sp = fed.node(home), fed.node(SP)
    content = AssertionContent(
        name_id="subject-steps", audience=sp.entity_id, acs_url=sp.endpoint("acs"),
        in_response_to=in_response_to, level=level, authn_instant=now - timedelta(minutes=1),
        session_index="_s1", values={"name": "张明", "home-region": home},
    )  # fmt: skip
    document = build_response(
        content, issuer=issuer.entity_id, key=issuer.signing_key(), now=now,
        lifetime=issuer.assertion_lifetime,
    )  # fmt: skip
    if assertion_id is not None:
        from tests.interregion import forge

        def rename(root: Any) -> None:
            root.find(f".//{ASSERTION}Assertion").set("ID", assertion_id)

        document = forge.resigned(document, key=issuer.signing_key(), edit=rename)
    return document


def _accept(
    fed: InProcessFederation, document: bytes, *, now: datetime, binding: str | None = BROWSER
) -> sp_service.Accepted:
    return accept(fed, document, now=now, binding=binding)


def _refused(
    fed: InProcessFederation, document: bytes, *, now: datetime, binding: str | None = BROWSER
) -> SamlRefused:
    return refusal(fed, document, now=now, binding=binding)


def test_an_accepted_response_is_remembered_until_it_would_expire(
    fed: InProcessFederation,
) -> None:
    sp = fed.node(SP)
    now = _now()
    started = _start(fed, now=now)
    accepted = _accept(fed, _response(fed, in_response_to=started.request_id, now=now), now=now)
    assert accepted.next_path == "/n"
    assert accepted.verified.in_response_to == started.request_id
    with sp.transaction() as session:
        key = repository.assertion_key(fed.node(HOME).entity_id, accepted.verified.assertion_id)
        seen = session.get(ConsumedAssertion, key)
        assert seen is not None and seen.issuer == fed.node(HOME).entity_id
        assert seen.consumed_at == now
        assert seen.expires_at == accepted.verified.not_on_or_after + sp.skew
        row = sessions.load(session, accepted.session_token, purpose=sessions.SP, now=now)
        assert row is not None
        assert row.authn_at == accepted.verified.authn_instant == now - timedelta(minutes=1)
        assert (row.level, row.identity) == ("substantial", accepted.identity)
        assert row.created_at == now and row.expires_at == now + sp.session_lifetime
        assert (row.account_id, row.pending_account_id) == (None, None)


def test_each_refusal_of_a_response_says_why_word_for_word(fed: InProcessFederation) -> None:
    now = _now()
    started = _start(fed, now=now)
    for binding in (None, "another-browser"):
        refused = _refused(
            fed, _response(fed, in_response_to=started.request_id, now=now), now=now,
            binding=binding,
        )  # fmt: skip
        assert (refused.reason, refused.peer) == ("not-this-browser", HOME)
        assert refused.message == "this login was started in another browser"
    other = _refused(
        fed, _response(fed, in_response_to=started.request_id, now=now, home=WINDOW), now=now
    )
    assert (other.reason, other.peer) == ("in-response-to-not-pending", WINDOW)
    assert other.message == "the request was sent to another home region"
    high = _start(fed, now=now, level=Level.HIGH)
    low = _refused(fed, _response(fed, in_response_to=high.request_id, now=now), now=now)
    assert (low.reason, low.peer) == ("level-too-low", HOME)
    assert low.message == "the service needs high, the home region asserted substantial"
    assert low.detail == {"required": "high", "asserted": "substantial"}
    long_id = "_" + "a" * 99
    unknown = _refused(fed, _response(fed, in_response_to=long_id, now=now), now=now)
    assert (unknown.reason, unknown.peer) == ("in-response-to-not-pending", HOME)
    assert unknown.message == "there is no pending login request for this response"
    assert unknown.detail == {"in_response_to": long_id[:80]}
    # None of these used the request up.
    assert _accept(fed, _response(fed, in_response_to=started.request_id, now=now), now=now)


def test_an_assertion_id_recorded_by_another_post_meanwhile_is_a_replay(
    fed: InProcessFederation,
) -> None:
    """Two Responses of the home node with the same assertion ID, answering two requests,
    posted at once: both find the ID unseen, and the second to record it is refused by the
    table's key (simulated: the other post's row is written, behind the ORM's back, just as
    this post consumes its request)."""
    sp, home = fed.node(SP), fed.node(HOME)
    now = _now()
    started = _start(fed, now=now)
    shared = f"_assertion-{started.request_id}"
    document = _response(fed, in_response_to=started.request_id, now=now, assertion_id=shared)
    key = repository.assertion_key(home.entity_id, shared)
    with sp.transaction() as session:
        engine = session.get_bind()

        def other_post_commits(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("UPDATE sp_pending_request"):
                cursor.execute(
                    "INSERT INTO sp_consumed_assertion (key, issuer, consumed_at, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    (key, home.entity_id, now.isoformat(" "), now.isoformat(" ")),
                )

        event.listen(engine, "before_cursor_execute", other_post_commits)
        try:
            with pytest.raises(SamlRefused) as refused:
                sp_service.accept_response(
                    session, node=sp, document=document, binding_token=BROWSER, now=now
                )
        finally:
            event.remove(engine, "before_cursor_execute", other_post_commits)
        session.rollback()
    assert (refused.value.reason, refused.value.peer) == ("replayed", HOME)
    assert refused.value.message == "this login response has already been used"


# --- housekeeping: purge and rotate -------------------------------------------------------------


def test_purging_forgets_exactly_what_has_expired(fed: InProcessFederation) -> None:
    sp = fed.node(SP)
    now = _now()
    life = timedelta(minutes=5)
    with sp.transaction() as session:
        for name, expires in (("gone", now), ("kept", now + timedelta(seconds=1))):
            session.add(ConsumedAssertion(key=f"{name}-{now.timestamp()}", issuer="i",
                                          consumed_at=now - life, expires_at=expires))  # fmt: skip
            session.add(PendingRequest(
                id=f"_{name}-{now.timestamp()}", home_region=HOME, idp_entity_id="i",
                min_level="low", requested=[], next_path="/", browser_binding="b",
                created_at=now - life, expires_at=expires,
            ))  # fmt: skip
            session.add(IdpAuthnRequest(
                id=f"{name}-{now.timestamp()}", kind="saml", request_id="r", sp_entity_id="e",
                sp_region=SP, acs_url="a", min_level="low", requested=[], browser_session="b",
                created_at=now - life, expires_at=expires,
            ))  # fmt: skip
        session.flush()
        repository.purge_expired(session, now=now)
        session.expire_all()
        for model in (ConsumedAssertion, PendingRequest, IdpAuthnRequest):
            prefix = "_" if model is PendingRequest else ""
            assert session.get(model, f"{prefix}gone-{now.timestamp()}") is None, model
            assert session.get(model, f"{prefix}kept-{now.timestamp()}") is not None, model


def test_purging_browser_sessions_counts_what_it_forgot(fed: InProcessFederation) -> None:
    sp = fed.node(SP)
    now = _now()
    with sp.transaction() as session:
        sessions.purge_expired(session, now=now - timedelta(seconds=1))  # the other tests' ones
        expired = [
            sessions.create(session, purpose=sessions.SP, now=now, lifetime=timedelta(0))[0]
            for _ in range(3)
        ]
        kept, _ = sessions.create(
            session, purpose=sessions.SP, now=now, lifetime=timedelta(seconds=1)
        )
        assert sessions.purge_expired(session, now=now - timedelta(seconds=1)) == 0
        assert sessions.purge_expired(session, now=now) == 3
        session.expire_all()
        assert all(sessions.load(session, t, purpose=sessions.SP, now=now) is None for t in expired)
        assert sessions.load(session, kept, purpose=sessions.SP, now=now) is not None


# --- the pages' helpers: the "gone" page, redirects, what a page says about the audience --------


def test_an_unknown_login_gets_the_gone_page_and_an_audit_record(
    fed: InProcessFederation,
) -> None:
    from interregion.audit.models import AuditRecord

    client = fed.client(HOME)
    answer = client.get("/idp/totp", params={"r": "no-such-login"}, follow_redirects=False)
    assert answer.status_code == 404
    page = etree.HTML(answer.text)
    assert page.findtext(".//*[@id='reason']") == "login-not-found"
    detail = "".join(page.find(".//*[@id='refusal-detail']").itertext())
    assert detail == (
        "登录已过期或不属于本浏览器，请从服务重新开始 / "
        "This login expired or belongs to another browser; start again from the service."
    )
    seq = int(page.findtext(".//*[@id='audit-seq']"))
    with fed.node(HOME).transaction() as session:
        record = session.get(AuditRecord, seq)
        assert record is not None
        assert (record.event, record.outcome, record.reason) == (
            "idp.login-not-found", "refused", "login-not-found",
        )  # fmt: skip
        assert (record.actor, record.peer, record.detail["path"]) == ("", "", "/idp/totp")


def test_each_step_is_reached_by_its_own_address(fed: InProcessFederation) -> None:
    from interregion.sso import router_idp

    web = fed.apps[HOME].state.web
    for step in ("login", "totp", "consent", "unreachable"):
        response = router_idp._go(web, step, "h/1 2", None)  # type: ignore[arg-type]
        assert response.status_code == 303
        assert response.headers["location"] == f"/idp/{step}?r=h%2F1+2"
        assert "set-cookie" not in response.headers
    with_cookie = router_idp._go(web, "login", "h", "token-2")
    assert with_cookie.headers["location"] == "/idp/login?r=h"
    assert with_cookie.headers["set-cookie"].startswith(f"delta_idp_{HOME}=token-2.")


def test_the_pages_name_the_audience_from_the_standards_table() -> None:
    from interregion.sso import router_idp, router_sp
    from standards.regions import get

    def row(region: str, kind: str, level: str) -> IdpAuthnRequest:
        return IdpAuthnRequest(sp_region=region, kind=kind, min_level=level)

    region = get(SP)
    assert region is not None
    assert router_idp._audience(row(SP, "saml", "high")) == {
        "code": SP, "name": region.name, "name_en": region.name_en, "kind": "saml",
        "level": Level.HIGH.label,
    }  # fmt: skip
    assert router_idp._audience(row("990000", "window", "low")) == {
        "code": "990000", "name": "990000", "name_en": "990000", "kind": "window",
        "level": Level.LOW.label,
    }  # fmt: skip
    home = get(HOME)
    assert home is not None and home.short
    assert router_sp._region_view(HOME) == {
        "code": HOME, "name": home.name, "name_en": home.name_en, "short": home.short,
    }  # fmt: skip
    assert router_sp._level("high") is Level.HIGH
    assert router_sp._level("no-such-level") is router_sp.SERVICE_LEVEL
    assert (
        router_sp._level("", Level.LOW) is Level.LOW and router_sp._level(None) is Level.SUBSTANTIAL
    )
