"""interregion/window/router.py in process: the window API and the home node's window start,
called over HTTP (TestClient) on the real node apps of tests/interregion/inprocess.py, with a
real staff API token and a real one-time code from the home node. The cluster tests
(test_window_jwt.py) cover the same routes across processes, where a mutant is never seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from interregion.identity.attributes import DEFAULT_REQUEST
from interregion.identity.levels import Level
from interregion.sso.models import IdpAuthnRequest
from interregion.staff import demo as staff_demo
from interregion.staff import service as staff_service
from interregion.window import router
from interregion.window import service as window
from tests.interregion.inprocess import (
    InProcessFederation,
    mutant_test_federation,
    resident_window_code,
)

# The window pair of test_window_jwt.py: 310000 is the window's region, 330000 the home.
HOME, WINDOW = "330000", "310000"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with mutant_test_federation(Path(tmp_path_factory.mktemp("mutants-window"))) as federation:
        yield federation


def _token(fed: InProcessFederation, role: str) -> str:
    node = fed.node(WINDOW)
    with node.transaction() as session:
        staff_demo.seed_demo_staff(session, region=WINDOW)
        who = next(s for s in staff_demo.demo_staff(WINDOW) if s.role == role)
        account = staff_service.find(session, who.username)
        assert account is not None
        token, _ = staff_service.issue_token(
            session, account=account, label="test", lifetime=timedelta(hours=1), now=utcnow()
        )
    return token


def _code(fed: InProcessFederation, level: Level) -> str:
    return resident_window_code(fed, home=HOME, window_region=WINDOW, level=level, now=utcnow())


def _ask(fed: InProcessFederation, token: str, **body: Any) -> Any:
    return fed.client(WINDOW).post(
        "/window/identity-assertions", json={"home": HOME, **body},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def _record(fed: InProcessFederation, seq: int) -> AuditRecord:
    with fed.node(WINDOW).transaction() as session:
        record = session.get(AuditRecord, seq)
        assert record is not None
        session.expunge(record)
        return record


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_window_staff_get_the_verified_identity(fed: InProcessFederation, role: str) -> None:
    token = _token(fed, role)
    answer = _ask(fed, token, code=_code(fed, Level.SUBSTANTIAL))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["home_region"] == HOME and body["level"] == "substantial"
    assert set(body["attributes"]) == {"name"} and body["attributes"]["name"]
    assert body["subject"] and body["assertion"].count(".") == 2


def test_other_staff_and_no_token_are_refused(fed: InProcessFederation) -> None:
    code = _code(fed, Level.SUBSTANTIAL)
    assert _ask(fed, _token(fed, "reviewer"), code=code).status_code == 403
    assert _ask(fed, "dst_not-a-token", code=code).status_code == 401
    # The code was not spent by the refused calls.
    assert _ask(fed, _token(fed, "clerk"), code=code).status_code == 200


@pytest.mark.parametrize(
    ("asserted", "asked", "passes"),
    [
        (Level.SUBSTANTIAL, None, True),  # the default is substantial
        (Level.LOW, None, False),
        (Level.LOW, "substantial", False),
        (Level.SUBSTANTIAL, "high", False),
        (Level.HIGH, "high", True),
        (Level.LOW, "low", True),
        (Level.LOW, "ultra", False),  # an unknown level asks for substantial, not less
        (Level.SUBSTANTIAL, "ultra", True),
        (Level.LOW, "", False),
    ],
)
def test_the_level_the_window_asks_for(
    fed: InProcessFederation, asserted: Level, asked: str | None, passes: bool
) -> None:
    extra = {} if asked is None else {"level": asked}
    answer = _ask(fed, _token(fed, "clerk"), code=_code(fed, asserted), **extra)
    if passes:
        assert answer.status_code == 200, answer.text
        assert answer.json()["level"] == asserted.value
        return
    assert answer.status_code == 403, answer.text
    assert answer.json()["reason"] == "level-too-low"


def test_a_refusal_is_a_problem_with_its_audit_record(fed: InProcessFederation) -> None:
    answer = _ask(fed, _token(fed, "clerk"), code=_code(fed, Level.LOW), level="high")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["title"] == "Refused" and body["status"] == 403
    assert body["reason"] == "level-too-low" and " " in body["detail"]
    record = _record(fed, body["audit_record"])
    assert record.outcome == "refused" and record.reason == "level-too-low"


def test_a_malformed_code_is_refused_and_audited_here(fed: InProcessFederation) -> None:
    """Refused before anything is sent: no record exists yet, the route writes one."""
    answer = _ask(fed, _token(fed, "clerk"), code="too-short")
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["title"] == "Refused" and body["status"] == 422 and body["reason"] == "malformed"
    assert body["detail"] and " " in body["detail"]
    record = _record(fed, body["audit_record"])
    assert record.event == window.IDENTITY_ASSERTION_KIND.event("refused")
    assert (record.outcome, record.reason) == ("refused", "malformed")
    assert record.detail["message"] == body["detail"]
    assert record.peer == HOME


def test_a_refusal_keeps_the_record_the_exchange_wrote(fed: InProcessFederation) -> None:
    refusal = window.AssertionRefused(reason="x", message="already audited", audit_record=7)
    assert router._audited(fed.apps[WINDOW].state.web, refusal) == 7
    assert refusal.audit_record == 7


def _pending(fed: InProcessFederation, location: str) -> IdpAuthnRequest:
    handle = parse_qs(urlsplit(location).query)["r"][0]
    with fed.node(HOME).transaction() as session:
        request = session.get(IdpAuthnRequest, handle)
        assert request is not None
        session.expunge(request)
        return request


@pytest.mark.parametrize(
    ("level", "expected"),
    [(None, "substantial"), ("high", "high"), ("low", "low"), ("ultra", "substantial"),
     ("", "substantial")],
)  # fmt: skip
def test_the_window_login_starts_at_home(
    fed: InProcessFederation, level: str | None, expected: str
) -> None:
    client = fed.client(HOME)
    client.cookies.clear()
    query = f"/idp/window?to={WINDOW}" + ("" if level is None else f"&level={level}")
    answer = client.get(query, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/idp/") and "?r=" in location
    assert answer.headers.get("set-cookie")  # a new browser session at home
    request = _pending(fed, location)
    assert request.kind == "window" and request.sp_region == WINDOW
    assert request.min_level == expected
    assert request.requested == list(DEFAULT_REQUEST)
    client.cookies.clear()


def test_the_window_login_without_a_region_shows_the_choice(fed: InProcessFederation) -> None:
    for query in ("/idp/window", "/idp/window?to=999999"):
        answer = fed.client(HOME).get(query, follow_redirects=False)
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
        assert WINDOW in answer.text
