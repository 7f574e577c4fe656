"""Security checks of cross-region login and the window back channel, one by one, in process.

Issue 10 item 8: deliberate one-line bugs in these checks passed the whole suite. Each test
here fails with its bug in place: the four nodes are the real app factory on real SQLite in
this process (tests/interregion/inprocess.py), the messages are signed with the nodes' real
keys, and the clock is passed in, so "a second before/after expiry" needs no waiting.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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
from tests.interregion.inprocess import InProcessFederation, in_process_federation

HOME, SP = "310000", "320000"
# The window pair of tests/interregion/test_window_jwt.py: 310000 is the window's region.
WINDOW_HOME, WINDOW = "330000", "310000"
BROWSER = "browser-binding-token"
CONFIRMATION = f"{{{forge.SAML}}}SubjectConfirmationData"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    home = Path(tmp_path_factory.mktemp("mutants-sso"))
    template = os.environ.get("DELTA_TEST_FEDERATION_TEMPLATE")
    if template:
        # scripts/mutation-run: a federation started once, copied for each mutant's run
        # (provisioning and four databases take half a minute; copying takes a moment).
        shutil.copytree(template, home, dirs_exist_ok=True)
    with in_process_federation(home) as federation:
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


def _window_code(fed: InProcessFederation, *, level: Level, now: datetime) -> str:
    home = fed.node(WINDOW_HOME)
    username = next(p for p in demo_people(WINDOW_HOME) if p.username.endswith("-resident"))
    with home.transaction() as session:
        account = accounts.find_by_username(session, username.username)
        assert account is not None
        return window.issue_code(
            session, node=home, account=account, audience_region=WINDOW, level=level,
            authn_at=now, released=["name"], full_id_consented=False, now=now,
        )  # fmt: skip


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
