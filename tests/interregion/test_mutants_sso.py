"""Security checks of cross-region login and the window back channel, one by one, in process.

Issue 10 item 8: deliberate one-line bugs in these checks passed the whole suite. Each test
here fails with its bug in place: the four nodes are the real app factory on real SQLite in
this process (tests/interregion/inprocess.py), the messages are signed with the nodes' real
keys, and the clock is passed in, so "a second before/after expiry" needs no waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from interregion.exchange import ExchangeRefused
from interregion.identity import repository as accounts
from interregion.identity.demo_people import demo_people
from interregion.identity.levels import Level
from interregion.saml.errors import SamlRefused
from interregion.saml.response import AssertionContent, build_response
from interregion.sso import idp_service, sp_service
from interregion.window import service as window
from tests.interregion import forge
from tests.interregion.inprocess import (
    InProcessFederation,
    mutant_test_federation,
    resident_window_code,
)

HOME, SP = "310000", "320000"
# The window pair of tests/interregion/test_window_jwt.py: 310000 is the window's region.
WINDOW_HOME, WINDOW = "330000", "310000"
BROWSER = "browser-binding-token"
CONFIRMATION = f"{{{forge.SAML}}}SubjectConfirmationData"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with mutant_test_federation(Path(tmp_path_factory.mktemp("mutants-sso"))) as federation:
        yield federation


def start(fed: InProcessFederation, *, now: datetime, level: Level = Level.SUBSTANTIAL) -> str:
    """The service's side of a login start; returns the pending request's ID."""
    sp = fed.node(SP)
    with sp.transaction() as session:
        started = sp_service.start_login(
            session, node=sp, home_region=HOME, next_path="/service", min_level=level,
            binding_token=BROWSER, now=now,
        )  # fmt: skip
    return started.request_id


def response(
    fed: InProcessFederation,
    *,
    in_response_to: str,
    now: datetime,
    level: Level = Level.SUBSTANTIAL,
    edit: Callable[[Any], None] | None = None,
) -> bytes:
    """A Response as the home node signs it (``edit``: changed, then signed again by it)."""
    home, sp = fed.node(HOME), fed.node(SP)
    content = AssertionContent(
        name_id="subject-1",
        audience=sp.entity_id,
        acs_url=sp.endpoint("acs"),
        in_response_to=in_response_to,
        level=level,
        authn_instant=now,
        session_index="_s1",
        values={"name": "张明", "home-region": HOME},
    )
    document = build_response(
        content, issuer=home.entity_id, key=home.signing_key(), now=now,
        lifetime=home.assertion_lifetime,
    )  # fmt: skip
    if edit is not None:
        document = forge.resigned(document, key=home.signing_key(), edit=edit)
    return document


def accept(
    fed: InProcessFederation, document: bytes, *, now: datetime, binding: str | None = BROWSER
) -> sp_service.Accepted:
    sp = fed.node(SP)
    with sp.transaction() as session:
        return sp_service.accept_response(
            session, node=sp, document=document, binding_token=binding, now=now
        )


def refusal(fed: InProcessFederation, document: bytes, *, now: datetime, **kw: Any) -> SamlRefused:
    with pytest.raises(SamlRefused) as refused:
        accept(fed, document, now=now, **kw)
    return refused.value


# --- the four from issue 10 ---------------------------------------------------------------


def test_an_assertion_answering_another_request_is_refused(fed: InProcessFederation) -> None:
    """The Response answers request A, its assertion's SubjectConfirmationData request B:
    both pending in this browser, both signed by the home node. Refused, and A stays open."""
    now = utcnow()
    first, second = start(fed, now=now), start(fed, now=now)

    def answer_second(root: Any) -> None:
        root.find(f".//{CONFIRMATION}").set("InResponseTo", second)

    mixed = response(fed, in_response_to=first, now=now, edit=answer_second)
    refused = refusal(fed, mixed, now=now)
    assert refused.reason == "malformed" and "another request" in refused.message
    # The same message with the two IDs agreeing is accepted: the edit alone made the refusal.
    accepted = accept(fed, response(fed, in_response_to=first, now=now), now=now)
    assert accepted.verified.in_response_to == first and accepted.next_path == "/service"


def test_a_pending_login_request_expires(fed: InProcessFederation) -> None:
    """Refused from the moment the request's lifetime is over, by the pending-request check
    itself (its detail names the request), and answered up to a second before."""
    sp = fed.node(SP)
    now = utcnow()
    request_id = start(fed, now=now)
    expired = now + sp.request_lifetime
    refused = refusal(fed, response(fed, in_response_to=request_id, now=expired), now=expired)
    assert refused.reason == "in-response-to-not-pending"
    assert refused.detail == {"in_response_to": request_id}
    just_in_time = expired - timedelta(seconds=1)
    accepted = accept(
        fed, response(fed, in_response_to=request_id, now=just_in_time), now=just_in_time
    )
    assert accepted.verified.in_response_to == request_id


def test_a_pending_request_is_kept_for_the_configured_lifetime(fed: InProcessFederation) -> None:
    sp = fed.node(SP)
    now = utcnow()
    request_id = start(fed, now=now)
    with sp.transaction() as session:
        pending = sp_service.repository.pending(session, request_id)
        assert pending is not None
        assert pending.expires_at == now + sp.request_lifetime
        assert pending.created_at == now and pending.consumed_at is None


def test_the_home_nodes_login_in_progress_expires(fed: InProcessFederation) -> None:
    """The IdP side of the same rule: a login handle stops working after its lifetime."""
    home = fed.node(HOME)
    now = utcnow()
    with home.transaction() as session:
        started = idp_service.begin(
            session, node=home, kind="saml", audience_region=SP, min_level=Level.SUBSTANTIAL,
            requested=["name"], browser_token=None, now=now,
        )  # fmt: skip
    token = started.browser_token
    assert token is not None
    expired = now + home.request_lifetime
    with home.transaction() as session:
        request, _ = idp_service.open_request(
            session, handle=started.handle, browser_token=token,
            now=expired - timedelta(seconds=1),
        )  # fmt: skip
        assert request.id == started.handle
        with pytest.raises(idp_service.LoginNotFound):
            idp_service.open_request(
                session, handle=started.handle, browser_token=token, now=expired
            )
        with pytest.raises(idp_service.LoginNotFound):
            idp_service.open_request(session, handle=started.handle, browser_token="x", now=now)


def test_a_login_in_progress_is_recorded_at_its_now_and_an_unreachable_level_answered(
    fed: InProcessFederation,
) -> None:
    """The home node's login in progress carries the time it was given (not the wall
    clock's), and an account that cannot reach the level gets a signed status answer that
    says so in its StatusMessage."""
    import base64

    from lxml import etree

    from interregion.sso.models import IdpAuthnRequest

    home = fed.node(HOME)
    now = utcnow() + timedelta(minutes=10)
    with home.transaction() as session:
        started = idp_service.begin(
            session, node=home, kind="saml", audience_region=SP, min_level=Level.HIGH,
            requested=["name"], browser_token=None, now=now, request_id="_req-unreachable",
            acs_url="https://sp.example/acs", relay_state="rs-1",
        )  # fmt: skip
    with home.transaction() as session:
        request = session.get(IdpAuthnRequest, started.handle)
        assert request is not None and request.created_at == now
        answer = idp_service.unreachable(session, node=home, request=request, now=now)
    assert answer.action == "https://sp.example/acs" and answer.fields["RelayState"] == "rs-1"
    document = etree.fromstring(base64.b64decode(answer.fields["SAMLResponse"]))
    messages = document.findall(".//{urn:oasis:names:tc:SAML:2.0:protocol}StatusMessage")
    assert [m.text for m in messages] == ["level not available"]
    assert document.get("InResponseTo") == "_req-unreachable"


def _window_code(fed: InProcessFederation, *, level: Level, now: datetime) -> str:
    return resident_window_code(fed, home=WINDOW_HOME, window_region=WINDOW, level=level, now=now)


@pytest.mark.parametrize(
    ("asserted", "needed", "passes"),
    [
        (Level.LOW, Level.SUBSTANTIAL, False),
        (Level.SUBSTANTIAL, Level.HIGH, False),
        (Level.LOW, Level.LOW, True),
        (Level.HIGH, Level.SUBSTANTIAL, True),
    ],
)
def test_the_window_path_enforces_the_minimum_level(
    fed: InProcessFederation, asserted: Level, needed: Level, passes: bool
) -> None:
    """Over the real signed exchange: the home node asserts the level the person logged in
    at; the window refuses an identity below the level it asked for."""
    now = utcnow()
    code = _window_code(fed, level=asserted, now=now)
    fetch = dict(node=fed.node(WINDOW), home_region=WINDOW_HOME, code=code, min_level=needed)
    if passes:
        found = window.fetch_identity(**fetch, now=now)  # type: ignore[arg-type]
        assert found.level is asserted and found.home_region == WINDOW_HOME
        assert found.values["name"] and found.assertion.count(".") == 2
        return
    with pytest.raises(ExchangeRefused) as refused:
        window.fetch_identity(**fetch, now=now)  # type: ignore[arg-type]
    assert refused.value.reason == "level-too-low"
    assert refused.value.status == 403 and refused.value.peer == WINDOW_HOME


# --- the rest of the service's checks, each on its own --------------------------------------


def test_an_accepted_login_opens_a_session_with_what_was_asserted(
    fed: InProcessFederation,
) -> None:
    sp = fed.node(SP)
    now = utcnow()
    request_id = start(fed, now=now)
    accepted = accept(fed, response(fed, in_response_to=request_id, now=now), now=now)
    assert accepted.identity == {
        "name_id": "subject-1",
        "issuer": fed.entity_id(HOME),
        "home_region": HOME,
        "level": "substantial",
        "authn_instant": now.replace(microsecond=0).isoformat(),
        "values": {"name": "张明", "home-region": HOME},
    }
    with sp.transaction() as session:
        row = sp_service.sessions.load(session, accepted.session_token, purpose="sp", now=now)
        assert row is not None and row.level == "substantial" and row.identity == accepted.identity
        assert row.expires_at == now + sp.session_lifetime
        assert (
            sp_service.sessions.load(session, accepted.session_token, purpose="idp", now=now)
            is None
        )
        pending = sp_service.repository.pending(session, request_id)
        assert pending is not None and pending.consumed_at == now
        assert sp_service.repository.assertion_seen(
            session, issuer=fed.entity_id(HOME), assertion_id=accepted.verified.assertion_id
        )


def test_a_response_is_used_once_and_answers_once(fed: InProcessFederation) -> None:
    now = utcnow()
    request_id = start(fed, now=now)
    document = response(fed, in_response_to=request_id, now=now)
    accept(fed, document, now=now)
    replayed = refusal(fed, document, now=now)
    assert (replayed.reason, replayed.peer) == ("replayed", HOME)
    assert replayed.message == "this login response has already been used"
    # A second, new assertion for the same request: the request is answered already.
    again = refusal(fed, response(fed, in_response_to=request_id, now=now), now=now)
    assert again.reason == "in-response-to-not-pending" and again.peer == HOME
    assert again.message == "there is no pending login request for this response"
    assert again.detail == {"in_response_to": request_id}


def test_an_unknown_request_is_refused(fed: InProcessFederation) -> None:
    now = utcnow()
    refused = refusal(fed, response(fed, in_response_to="_never-sent", now=now), now=now)
    assert refused.reason == "in-response-to-not-pending"
    assert refused.detail == {"in_response_to": "_never-sent"}


def test_the_browser_that_started_the_login_must_finish_it(fed: InProcessFederation) -> None:
    now = utcnow()
    request_id = start(fed, now=now)
    for binding in (None, "another-browser"):
        document = response(fed, in_response_to=request_id, now=now)
        refused = refusal(fed, document, now=now, binding=binding)
        assert refused.reason == "not-this-browser" and refused.peer == HOME
    # Refusing the wrong browser did not use the request up.
    assert accept(fed, response(fed, in_response_to=request_id, now=now), now=now)


@pytest.mark.parametrize(
    ("asked", "asserted", "passes"),
    [
        (Level.HIGH, Level.SUBSTANTIAL, False),
        (Level.SUBSTANTIAL, Level.LOW, False),
        (Level.SUBSTANTIAL, Level.SUBSTANTIAL, True),
        (Level.LOW, Level.HIGH, True),
    ],
)
def test_the_level_asked_for_is_enforced(
    fed: InProcessFederation, asked: Level, asserted: Level, passes: bool
) -> None:
    now = utcnow()
    request_id = start(fed, now=now, level=asked)
    document = response(fed, in_response_to=request_id, now=now, level=asserted)
    if passes:
        assert accept(fed, document, now=now).verified.level is asserted
        return
    refused = refusal(fed, document, now=now)
    assert refused.reason == "level-too-low" and refused.peer == HOME
    assert refused.detail == {"required": asked.value, "asserted": asserted.value}


def test_a_response_from_another_home_than_the_request_went_to(fed: InProcessFederation) -> None:
    """The request went to 310000; 330000 (a real member, its real key) answers it."""
    other, sp = fed.node(WINDOW_HOME), fed.node(SP)
    now = utcnow()
    request_id = start(fed, now=now)
    content = AssertionContent(
        name_id="subject-2", audience=sp.entity_id, acs_url=sp.endpoint("acs"),
        in_response_to=request_id, level=Level.HIGH, authn_instant=now, session_index="_s",
        values={"name": "王五"},
    )  # fmt: skip
    document = build_response(
        content, issuer=other.entity_id, key=other.signing_key(), now=now,
        lifetime=other.assertion_lifetime,
    )  # fmt: skip
    refused = refusal(fed, document, now=now)
    assert refused.reason == "in-response-to-not-pending" and refused.peer == WINDOW_HOME
    assert "another home region" in refused.message
    # The request itself is still open for the right home node.
    assert accept(fed, response(fed, in_response_to=request_id, now=now), now=now)


def test_a_start_for_an_unknown_region_and_what_a_start_sends(fed: InProcessFederation) -> None:
    sp = fed.node(SP)
    now = utcnow()
    with sp.transaction() as session, pytest.raises(SamlRefused) as refused:
        sp_service.start_login(
            session, node=sp, home_region="999999", next_path="/", min_level=Level.LOW,
            binding_token=BROWSER, now=now,
        )  # fmt: skip
    assert refused.value.reason == "unknown-region"
    with sp.transaction() as session:
        started = sp_service.start_login(
            session, node=sp, home_region=HOME, next_path="/x", min_level=Level.HIGH,
            binding_token=BROWSER, now=now, requested=("name", "uscc"),
        )  # fmt: skip
    assert started.home_region == HOME and started.relay_state == started.request_id
    assert started.action == fed.node(HOME).endpoint("sso")
    home = fed.node(HOME)
    verified = read_request(fed, started.saml_request, now=now)
    assert verified.request_id == started.request_id and verified.min_level is Level.HIGH
    assert verified.requested == ["name", "uscc"] and verified.acs_url == sp.endpoint("acs")
    assert verified.sp.entity_id == sp.entity_id
    with sp.transaction() as session:
        pending = sp_service.repository.pending(session, started.request_id)
        assert pending is not None
        assert (pending.home_region, pending.idp_entity_id) == (HOME, home.entity_id)
        assert (pending.min_level, pending.next_path) == ("high", "/x")
        assert pending.requested == ["name", "uscc"]
    assert [m.region_code for m in sp_service.identity_providers(sp)] == sorted(
        m.region_code for m in sp.federation().members if "identity-provider" in m.roles
    )


def read_request(fed: InProcessFederation, field: str, *, now: datetime) -> Any:
    from interregion.saml.authn_request import read_authn_request
    from interregion.saml.bindings import decode_post_field

    home = fed.node(HOME)
    return read_authn_request(
        decode_post_field(field, field="SAMLRequest", max_bytes=100_000),
        registry=home.federation(), trust=home.registry, sso_url=home.endpoint("sso"),
        replay_cache=home.replay_cache, now=now, skew=home.skew, lifetime=home.request_lifetime,
        limits=home.xml_limits,
    )  # fmt: skip


# --- sessions and the repository -----------------------------------------------------------


def test_browser_sessions(fed: InProcessFederation) -> None:
    from interregion.sso import sessions

    node = fed.node(SP)
    now = utcnow()
    life = timedelta(minutes=10)
    with node.transaction() as session:
        token, row = sessions.create(session, purpose=sessions.IDP, now=now, lifetime=life,
                                     account_id="account-1", level="high", authn_at=now,
                                     pending_account_id="account-2", identity={"a": 1})  # fmt: skip
        assert row.expires_at == now + life and row.created_at == now
        assert sessions.load(session, token, purpose=sessions.IDP, now=now) is row
        assert sessions.load(session, token, purpose=sessions.SP, now=now) is None
        assert sessions.load(session, token, purpose=sessions.IDP, now=now + life) is None
        assert sessions.load(session, token + "x", purpose=sessions.IDP, now=now) is None
        assert sessions.load(session, "", purpose=sessions.IDP, now=now) is None
        assert sessions.load(session, None, purpose=sessions.IDP, now=now) is None
        fresh_token, fresh = sessions.rotate(session, row, now=now, lifetime=life)
        session.flush()
        assert fresh_token != token and fresh.level == "high" and fresh.identity == {"a": 1}
        # Everything the session knew moves with it: who is logged in, since when, who is
        # half-way through a second factor, and what it is for.
        assert (fresh.account_id, fresh.authn_at, fresh.pending_account_id) == (
            "account-1",
            now,
            "account-2",
        )
        assert fresh.purpose == sessions.IDP and fresh.expires_at == now + life
        assert sessions.load(session, token, purpose=sessions.IDP, now=now) is None
        assert sessions.load(session, fresh_token, purpose=sessions.IDP, now=now) is fresh
        sessions.end(session, fresh_token)
        sessions.end(session, None)
        assert sessions.load(session, fresh_token, purpose=sessions.IDP, now=now) is None
        old, _ = sessions.create(session, purpose=sessions.SP, now=now, lifetime=life)
        keep, _ = sessions.create(session, purpose=sessions.SP, now=now, lifetime=life * 2)
        assert sessions.purge_expired(session, now=now + life) >= 1
        session.expire_all()
        assert sessions.load(session, keep, purpose=sessions.SP, now=now) is not None
        assert sessions.load(session, old, purpose=sessions.SP, now=now) is None


def test_consuming_a_pending_request(fed: InProcessFederation) -> None:
    from interregion.sso import repository

    node = fed.node(SP)
    now = utcnow()
    request_id = start(fed, now=now)
    expires = now + node.request_lifetime
    with node.transaction() as session:
        assert not repository.consume_pending(session, request_id=request_id, now=expires)
        assert not repository.consume_pending(session, request_id="_other", now=now)
        assert repository.consume_pending(session, request_id=request_id, now=now)
        assert not repository.consume_pending(session, request_id=request_id, now=now)
    key = repository.assertion_key("issuer", "id")
    assert (
        key == repository.assertion_key("issuer", "id") != repository.assertion_key("issuer", "id2")
    )
    assert key != repository.assertion_key("issue", "rid") and len(key) == 64


# --- the window back channel ---------------------------------------------------------------


def test_codes_are_normalised_and_checked() -> None:
    assert window.normalise_code("abcd-efgh 2345") == "ABCDEFGH2345"
    assert window.normalise_code("ＡＢＣＤ－１２３４") == "ABCD1234"
    assert window.is_well_formed_code("0123456789AB")
    assert not window.is_well_formed_code("0123456789A")
    assert not window.is_well_formed_code("0123456789ABC")
    for letter in "ILOU":
        assert not window.is_well_formed_code("0123456789A" + letter)
    assert not window.is_well_formed_code("甲" * 12)


def test_an_issued_code_is_shown_once_in_groups_and_stored_hashed(fed: InProcessFederation) -> None:
    from sqlalchemy import select

    from interregion.window.models import WindowCode

    now = utcnow()
    code = _window_code(fed, level=Level.HIGH, now=now)
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert window.is_well_formed_code("".join(groups))
    home = fed.node(WINDOW_HOME)
    with home.transaction() as session:
        rows = session.scalars(select(WindowCode).where(WindowCode.created_at == now)).all()
    assert len(rows) == 1
    row = rows[0]
    assert code.replace("-", "") not in (row.code_hash, row.account_id)
    assert row.expires_at == now + window.CODE_LIFETIME and row.audience_region == WINDOW
    assert row.level == "high" and row.released == ["name"] and row.redeemed_at is None


def _fetch(
    fed: InProcessFederation, code: str, *, now: datetime, window_region: str = WINDOW
) -> Any:
    return window.fetch_identity(
        node=fed.node(window_region), home_region=WINDOW_HOME, code=code,
        min_level=Level.LOW, now=now,
    )  # fmt: skip


def test_a_code_is_redeemed_once_by_its_region_within_its_lifetime(
    fed: InProcessFederation,
) -> None:
    now = utcnow()
    code = _window_code(fed, level=Level.SUBSTANTIAL, now=now)
    with pytest.raises(ExchangeRefused) as elsewhere:
        _fetch(fed, code, now=now, window_region=SP)
    assert elsewhere.value.reason == "code-not-valid"
    found = _fetch(fed, code.lower(), now=now)
    assert found.values == {"name": found.values["name"]} and found.subject
    with pytest.raises(ExchangeRefused) as again:
        _fetch(fed, code, now=now)
    assert again.value.reason == "code-not-valid"
    assert again.value.status == 403
    # The home node's own record of the refusal names the window that asked.
    with fed.node(WINDOW_HOME).transaction() as session:
        record = session.get(AuditRecord, again.value.peer_audit_record)
        assert record is not None
        assert (record.reason, record.peer) == ("code-not-valid", WINDOW)
        assert record.detail["message"] == (
            "the code is unknown, used, expired or meant for another region"
        )
        # ... and the record of the answer before it says what was released.
        answered = [
            r.detail for r in session.query(AuditRecord).order_by(AuditRecord.seq.desc()).limit(40)
            if r.outcome == "ok" and "released" in r.detail
        ]  # fmt: skip
        assert answered and answered[0]["released"] == ["name"]
        assert isinstance(answered[0]["licences"], int)
    # The home node redeems on its own clock: codes issued in the past stand for time passing.
    stale = _window_code(fed, level=Level.SUBSTANTIAL, now=now - window.CODE_LIFETIME)
    with pytest.raises(ExchangeRefused) as expired:
        _fetch(fed, stale, now=utcnow())
    assert expired.value.reason == "code-not-valid"
    fresh_enough = now - window.CODE_LIFETIME + timedelta(seconds=30)
    assert _fetch(fed, _window_code(fed, level=Level.LOW, now=fresh_enough), now=utcnow()).subject


def test_a_malformed_code_is_refused_before_anything_is_sent(fed: InProcessFederation) -> None:
    with pytest.raises(ExchangeRefused) as refused:
        _fetch(fed, "too-short", now=utcnow())
    assert refused.value.reason == "malformed" and refused.value.status == 422
    assert refused.value.audit_record is None


GOOD_CLAIMS = {
    "sub": "pairwise-1",
    "attributes": {"name": "张明", "shoe-size": "42", "uscc": 5},
    "home_region": WINDOW_HOME,
    "acr": Level.SUBSTANTIAL.uri,
}


def _identity(**changes: Any) -> window.WindowIdentity:
    claims = {**GOOD_CLAIMS, **changes}
    return window._identity_from(claims, home_region=WINDOW_HOME, min_level=Level.SUBSTANTIAL)


def test_the_window_reads_an_assertion_strictly() -> None:
    found = _identity()
    assert (found.home_region, found.subject, found.level) == (WINDOW_HOME, "pairwise-1",
                                                               Level.SUBSTANTIAL)  # fmt: skip
    assert found.values == {"name": "张明"}  # unknown keys and non-strings dropped
    assert found.licence_consent == "" and found.licences == ()
    assert _identity(attributes={"name": "名" * 600}).values["name"] == "名" * 500
    lacks = "the assertion lacks a subject or attributes"
    for changes, reason, message in (
        ({"sub": ""}, "malformed", lacks),
        ({"sub": 5}, "malformed", lacks),
        ({"attributes": []}, "malformed", lacks),
        ({"home_region": SP}, "malformed", "the assertion is about another region"),
        ({"acr": "urn:delta:loa:ultra"}, "unknown-level", None),
        ({"acr": Level.LOW.uri}, "level-too-low", None),
    ):
        with pytest.raises(ExchangeRefused) as refused:
            _identity(**changes)
        assert refused.value.reason == reason, changes
        assert message is None or refused.value.message == message
        assert refused.value.status == 403 and refused.value.peer == WINDOW_HOME


def test_the_window_keeps_only_well_formed_licence_items() -> None:
    items = [{"identifier": "L" * 200, "name": "N" * 200}, "junk", {"other": 1}] + [
        {"identifier": str(i), "name": "n"} for i in range(40)
    ]
    found = _identity(licence_consent="consent-1", licences=items)
    assert found.licence_consent == "consent-1"
    assert found.licences[0] == {"identifier": "L" * 120, "name": "N" * 100}
    assert found.licences[1] == {"identifier": "", "name": ""}
    assert len(found.licences) == 31  # 32 items looked at, the one string dropped
    assert _identity(licence_consent=5, licences="x").licences == ()
    assert _identity(licences=5).licences == _identity(licences=None).licences == ()
    assert _identity(licence_consent=5).licence_consent == ""
    as_json = found.as_json()
    assert as_json["level"] == "substantial" and as_json["attributes"] == {"name": "张明"}
    assert as_json["licences"] == list(found.licences) and as_json["subject"] == "pairwise-1"
    assert as_json["home_region"] == WINDOW_HOME and as_json["licence_consent"] == "consent-1"
    assert as_json["assertion"] == ""


@pytest.mark.parametrize("code", ["甲乙丙丁甲乙丙丁甲乙丙丁", 5, None, "0123456789A"])
def test_the_home_node_refuses_a_malformed_code_sent_anyway(
    fed: InProcessFederation, code: object
) -> None:
    """A window node skipping its own check (or a hostile one): the home node answers 400
    malformed, over the real signed exchange, and audits it."""
    with pytest.raises(ExchangeRefused) as refused:
        fed.node(WINDOW).exchange.call(
            window.IDENTITY_ASSERTION_KIND, peer_region=WINDOW_HOME, claims={"code": code},
            accept=lambda claims: pytest.fail("a malformed code was answered"), now=utcnow(),
        )  # fmt: skip
    assert refused.value.reason == "malformed" and refused.value.peer == WINDOW_HOME
    assert refused.value.peer_audit_record is not None
    # The home node's own record of the refusal names the window and says why, word for word.
    with fed.node(WINDOW_HOME).transaction() as session:
        record = session.get(AuditRecord, refused.value.peer_audit_record)
        assert record is not None and (record.reason, record.peer) == ("malformed", WINDOW)
        assert record.detail["message"] == "the request carries no well-formed code"
    # What the home node answers, as the window node sees it on the wire.
    from signing.jwt import issue_jwt
    from signing.keys import Purpose

    sender, home = fed.node(WINDOW), fed.node(WINDOW_HOME)
    token = issue_jwt(
        {"code": code}, key=sender.signing_key(Purpose.JWT), issuer=sender.entity_id,
        audience=home.entity_id, typ=window.IDENTITY_ASSERTION_REQUEST,
        lifetime=timedelta(seconds=60),
    )  # fmt: skip
    answer = fed.client(WINDOW_HOME).post("/idp/identity-assertions", json={"request": token})
    assert answer.status_code == 400, answer.text
    assert answer.json()["reason"] == "malformed"
    assert "the request carries no well-formed code" in answer.text


def _answer_at(fed: InProcessFederation, code: str, *, now: datetime) -> Any:
    """The home node's handler of the identity back channel, called as the exchange calls
    it once the request is checked, with the exchange's ``now`` chosen by the test."""
    from interregion.exchange.protocol import Incoming

    home = fed.node(WINDOW_HOME)
    incoming = Incoming(
        kind=window.IDENTITY_ASSERTION_KIND, requester=home.federation().member(WINDOW),
        claims={"code": window.normalise_code(code)}, token="t", sha256="s", now=now,
    )  # fmt: skip
    with home.transaction() as session:
        return window.answer_request(incoming, session, node=home)


def test_a_code_is_answered_until_the_instant_it_expires(fed: InProcessFederation) -> None:
    # The handler goes by the exchange's now alone (an hour ahead: the consent it signs needs
    # a signing key already valid then).
    issued = utcnow() + timedelta(hours=1)
    expires = issued + window.CODE_LIFETIME
    code = _window_code(fed, level=Level.LOW, now=issued)
    with pytest.raises(ExchangeRefused) as at_expiry:
        _answer_at(fed, code, now=expires)
    assert (at_expiry.value.reason, at_expiry.value.status) == ("code-not-valid", 403)
    assert _answer_at(fed, code, now=expires - timedelta(seconds=1)).claims["loa"] == "low"


def test_the_licence_consent_is_issued_at_the_exchanges_now(fed: InProcessFederation) -> None:
    from signing.jwt import decode_unverified

    now = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    reply = _answer_at(fed, _window_code(fed, level=Level.LOW, now=now), now=now)
    assert reply.claims["licences"] and reply.detail["licences"] == len(reply.claims["licences"])
    consent = decode_unverified(reply.claims["licence_consent"]).claims
    assert consent["iat"] == int(now.timestamp()) and consent["requester"] == WINDOW


def test_a_code_of_an_account_deleted_since_is_refused(fed: InProcessFederation) -> None:
    from sqlalchemy import update

    from interregion.window.models import WindowCode

    now = utcnow()
    code = _window_code(fed, level=Level.LOW, now=now)
    with fed.node(WINDOW_HOME).transaction() as session:
        session.execute(
            update(WindowCode)
            .where(WindowCode.code_hash == window._code_hash(window.normalise_code(code)))
            .values(account_id="an-account-deleted-since")
        )
    with pytest.raises(ExchangeRefused) as refused:
        _answer_at(fed, code, now=now)
    assert (refused.value.reason, refused.value.status) == ("code-not-valid", 403)
    assert (refused.value.message, refused.value.peer) == ("the account no longer exists", WINDOW)


def test_the_window_records_whose_identity_it_accepted(fed: InProcessFederation) -> None:
    now = utcnow()
    found = _fetch(fed, _window_code(fed, level=Level.LOW, now=now), now=now)
    accepted = window.IDENTITY_ASSERTION_KIND.event("accepted")
    with fed.node(WINDOW).transaction() as session:
        record = (
            session.query(AuditRecord).filter(AuditRecord.event == accepted)
            .order_by(AuditRecord.seq.desc()).first()
        )  # fmt: skip
        assert record is not None and record.peer == WINDOW_HOME
        assert record.actor == f"{found.subject}@{WINDOW_HOME}"
        assert record.detail["level"] == "low" and record.detail["attributes"] == ["name"]


# --- the home node's steps, called one by one ----------------------------------------------


def _home_person(session: Any, suffix: str) -> Any:
    who = next(p for p in demo_people(HOME) if p.username.endswith(suffix))
    account = accounts.find_by_username(session, who.username)
    assert account is not None
    return account


def _home_login(
    fed: InProcessFederation,
    session: Any,
    *,
    now: datetime,
    min_level: Level = Level.SUBSTANTIAL,
    requested: tuple[str, ...] = ("name", "home-region"),
    **idp_fields: Any,
) -> tuple[Any, Any]:
    """A login in progress at the home node and its browser session (``idp_fields``: what
    the session already knows, e.g. who logged in at which level)."""
    from interregion.sso import sessions

    home, sp = fed.node(HOME), fed.node(SP)
    token, idp = sessions.create(
        session, purpose=sessions.IDP, now=now, lifetime=home.session_lifetime, **idp_fields
    )
    started = idp_service.begin(
        session, node=home, kind="saml", audience_region=SP, min_level=min_level,
        requested=list(requested), browser_token=token, now=now, request_id="_req-steps",
        sp_entity_id=sp.entity_id, acs_url=sp.endpoint("acs"),
    )  # fmt: skip
    return started, idp


def test_a_login_in_progress_starts_where_the_browser_stands(fed: InProcessFederation) -> None:
    """begin returns the row it stored; next_step reads the account to choose between a
    second factor and "beyond this account's reach"."""
    from interregion.sso.models import IdpAuthnRequest

    now = utcnow()
    with fed.node(HOME).transaction() as session:
        resident, visitor = _home_person(session, "-resident"), _home_person(session, "-visitor")
        started, _ = _home_login(fed, session, now=now)
        assert started.step == "login" and started.browser_token is None
        row = session.get(IdpAuthnRequest, started.handle)
        assert row is not None and started.request is row
        assert row.min_level == "substantial" and row.created_at == now
        # Logged in by password (substantial); high asked for: the TOTP step, as the
        # resident has a second factor, "unreachable" for the visitor, who has none.
        for account, step in ((resident, "totp"), (visitor, "unreachable")):
            started, _ = _home_login(
                fed, session, now=now, min_level=Level.HIGH,
                **{"account_id": account.id, "level": "substantial", "authn_at": now},
            )  # fmt: skip
            assert started.step == step, account.username


def test_the_consent_page_needs_a_logged_in_account(fed: InProcessFederation) -> None:
    now = utcnow()
    home = fed.node(HOME)
    with home.transaction() as session:
        account = _home_person(session, "-resident")
        for fields in ({"level": "substantial"}, {"account_id": account.id}):
            started, idp = _home_login(fed, session, now=now, authn_at=now, **fields)
            with pytest.raises(idp_service.LoginNotFound) as missing:
                idp_service.consent_view(session, node=home, request=started.request, idp=idp)
            assert missing.value.args == (started.handle,)
        started, idp = _home_login(
            fed, session, now=now, account_id=account.id, level="substantial", authn_at=now
        )
        view = idp_service.consent_view(session, node=home, request=started.request, idp=idp)
        assert view.account is account and view.level is Level.SUBSTANTIAL
        assert not view.full_id_requested
        # What the page previews: the name and the home region (the node's own), nothing else.
        assert len(view.released) == 2, view.released
        assert account.name in dict(view.released).values()
        started, idp = _home_login(
            fed, session, now=now, account_id=account.id, level="substantial", authn_at=now,
            requested=("name", "citizen-id"),
        )  # fmt: skip
        view = idp_service.consent_view(session, node=home, request=started.request, idp=idp)
        assert view.full_id_requested


def test_the_answer_needs_a_complete_login_and_is_given_once(fed: InProcessFederation) -> None:
    import base64

    from lxml import etree

    now = utcnow()
    home = fed.node(HOME)
    decide = dict(node=home, allow=True, share_full_id=False)
    with home.transaction() as session:
        account = _home_person(session, "-resident")
        complete = {"account_id": account.id, "level": "substantial", "authn_at": now}
        for missing in complete:
            fields = {k: v for k, v in complete.items() if k != missing}
            started, idp = _home_login(fed, session, now=now, **fields)
            with pytest.raises(idp_service.LoginNotFound) as refused:
                idp_service.decide(session, request=started.request, idp=idp, now=now, **decide)  # type: ignore[arg-type]
            assert refused.value.args == (started.handle,), missing
            assert started.request.completed_at is None
        started, idp = _home_login(fed, session, now=now, **complete)
        later = now + timedelta(seconds=7)
        answer = idp_service.decide(session, request=started.request, idp=idp, now=later, **decide)  # type: ignore[arg-type]
        session.refresh(started.request)
        assert started.request.completed_at == later
        document = etree.fromstring(base64.b64decode(answer.fields["SAMLResponse"]))
        statement = document.find(f".//{{{forge.SAML}}}AuthnStatement")
        assert statement is not None
        index = statement.get("SessionIndex") or ""
        assert len(index) == 32 and int(index, 16) >= 0  # 128 random bits
        # Answered: neither a second answer nor an "unreachable" one.
        with pytest.raises(idp_service.LoginNotFound) as again:
            idp_service.decide(session, request=started.request, idp=idp, now=later, **decide)  # type: ignore[arg-type]
        assert again.value.args == (started.handle,)
        with pytest.raises(idp_service.LoginNotFound) as again:
            idp_service.unreachable(session, node=home, request=started.request, now=later)
        assert again.value.args == (started.handle,)


def test_a_request_answered_by_another_post_meanwhile_is_refused(
    fed: InProcessFederation,
) -> None:
    """The race between two posts of Responses to one request: this post read the request
    as still pending, the other one consumed it before this one's UPDATE (simulated in one
    transaction: the pending row is read, then changed behind the ORM's back, as the other
    post's commit would), so only the conditional UPDATE notices."""
    from sqlalchemy import text

    from interregion.sso import repository

    now = utcnow()
    request_id = start(fed, now=now)
    document = response(fed, in_response_to=request_id, now=now)
    sp = fed.node(SP)
    with sp.transaction() as session:
        pending = repository.pending(session, request_id)
        assert pending is not None and pending.consumed_at is None
        session.connection().execute(
            text("UPDATE sp_pending_request SET consumed_at = :now WHERE id = :id"),
            {"now": now, "id": request_id},
        )
        with pytest.raises(SamlRefused) as refused:
            sp_service.accept_response(
                session, node=sp, document=document, binding_token=BROWSER, now=now
            )
    assert (refused.value.reason, refused.value.peer) == ("in-response-to-not-pending", HOME)
    assert refused.value.message == "the login request was already answered"


def test_a_second_factor_cannot_lift_an_account_above_its_proofing(
    fed: InProcessFederation,
) -> None:
    """A correct TOTP code of an account proofed only at "low" still leaves a
    "substantial" login beyond its reach (demo accounts with a second factor are all
    proofed "high", so the visitor gets one for this test only)."""
    import pyotp

    now = utcnow()
    home = fed.node(HOME)
    with home.transaction() as session:
        visitor = _home_person(session, "-visitor")
        assert visitor.proofing_level == "low" and visitor.totp_secret is None
        visitor.totp_secret = pyotp.random_base32()
        try:
            started, idp = _home_login(fed, session, now=now, pending_account_id=visitor.id)
            assert started.step == "totp"
            code = pyotp.TOTP(visitor.totp_secret).at(now)
            outcome = idp_service.second_factor(
                session, node=home, request=started.request, idp=idp, code=code, now=now
            )
            assert (
                outcome.step == "unreachable"
                and outcome.account is not None
                and outcome.account.id == visitor.id
            )
            assert outcome.browser_token
        finally:
            visitor.totp_secret = None


def test_a_region_outside_the_standards_table_is_shown_by_its_code() -> None:
    from interregion.sso import router_sp

    assert router_sp._region_view("990000") == {
        "code": "990000", "name": "990000", "name_en": "990000", "short": "",
    }  # fmt: skip
    known = router_sp._region_view(HOME)
    assert known["code"] == HOME and known["name"] != HOME and known["name_en"] != HOME


def test_the_home_nodes_session_cookie_comes_back_across_sites(fed: InProcessFederation) -> None:
    """The in-process nodes are plain http, where every cookie is SameSite=Lax; a node
    served over https must send its IdP session cookie as SameSite=None (the SAML POST
    arrives from another site)."""
    import dataclasses

    from interregion.sso import router_idp
    from interregion.web.cookies import CookieJar

    web = fed.apps[HOME].state.web
    https = dataclasses.replace(
        web, cookies=CookieJar(key=b"k" * 32, region_code=HOME, secure=True)
    )
    cookie = router_idp._go(https, "login", "handle-1", "token-1").headers["set-cookie"]
    assert cookie.startswith(f"delta_idp_{HOME}=token-1.")
    assert "samesite=none" in cookie.lower() and "secure" in cookie.lower()
    redirect = router_idp._go(https, "consent", "handle-1", None)
    assert "set-cookie" not in redirect.headers and "handle-1" in redirect.headers["location"]


def test_a_declined_consent_is_answered_as_denied_and_logging_out_ends_the_session(
    fed: InProcessFederation,
) -> None:
    import base64

    from lxml import etree

    from interregion.saml import names
    from interregion.sso import sessions

    now = utcnow()
    home = fed.node(HOME)
    with home.transaction() as session:
        account = _home_person(session, "-resident")
        started, idp = _home_login(
            fed, session, now=now, account_id=account.id, level="substantial", authn_at=now
        )
        answer = idp_service.decide(
            session, node=home, request=started.request, idp=idp, allow=False,
            share_full_id=False, now=now,
        )  # fmt: skip
        assert answer.account is account and answer.released == ()
        document = etree.fromstring(base64.b64decode(answer.fields["SAMLResponse"]))
        protocol = "{urn:oasis:names:tc:SAML:2.0:protocol}"
        assert [m.text for m in document.iter(f"{protocol}StatusMessage")] == ["declined"]
        codes = [c.get("Value") for c in document.iter(f"{protocol}StatusCode")]
        assert names.STATUS_REQUEST_DENIED in codes
        assert document.find(f".//{{{forge.SAML}}}Assertion") is None
        token, _ = sessions.create(
            session, purpose=sessions.IDP, now=now, lifetime=home.session_lifetime
        )
        idp_service.end_session(session, browser_token=token)
        assert sessions.load(session, token, purpose=sessions.IDP, now=now) is None
