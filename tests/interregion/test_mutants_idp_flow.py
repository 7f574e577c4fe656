"""The home node's side of a cross-region login (interregion/sso: idp_service, router_idp),
in process: the four real node apps of tests/interregion/inprocess.py, a browser (the
tests' httpx Browser) whose requests go to those apps, and the demo people's real
passwords and TOTP secrets. The cluster tests (test_sso_pairs.py, test_sso_negative.py)
click through the same pages across processes, where a mutant is never seen.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from lxml import etree

from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from interregion.identity.levels import Level
from interregion.saml import authn_request, names
from interregion.saml.bindings import new_saml_id
from interregion.sso import repository
from interregion.sso.models import IdpAuthnRequest
from interregion.window import service as window
from tests.interregion.browser import Browser, Page
from tests.interregion.flows import capture, consent, full_login, log_in, person, start
from tests.interregion.inprocess import (
    InProcessFederation,
    mutant_test_federation,
    node_url,
)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with mutant_test_federation(Path(tmp_path_factory.mktemp("mutants-idp"))) as federation:
        yield federation


class Urls:
    """What tests/interregion/flows.py asks of a cluster: each node's address."""

    def url(self, code: str) -> str:
        return node_url(code)


URLS: Any = Urls()  # flows.py's Cluster type, duck-typed


@pytest.fixture
def browser(fed: InProcessFederation) -> Iterator[Browser]:
    browser = Browser()
    browser.client.close()
    browser.client = httpx.Client(transport=fed.routed(), follow_redirects=True, timeout=30)
    yield browser
    browser.client.close()


def test_a_resident_logs_in_and_shares_the_full_id(browser: Browser) -> None:
    who = person("310000", "resident")
    page = full_login(browser, URLS, sp="320000", who=who, home="310000", share_full_id=True)
    assert page.url == f"{node_url('320000')}/service", page.text[:2000]
    assert page.text_of("person-name") == who.name
    assert page.attr_of("home-region", "data-code") == "310000"
    assert page.attr_of("level", "data-level") == "substantial"
    shown = page.table()
    assert who.citizen_id in shown.values()
    assert who.birth_date.isoformat() in shown.values()
    # Logged in at home now: a second service goes straight to consent, no password.
    again = start(browser, URLS, sp="330000", home="310000")
    assert "/idp/consent" in again.url, again.url
    page = browser.follow_autoposts(consent(browser, again, share_full_id=False))
    assert page.url == f"{node_url('330000')}/service", page.text[:2000]
    assert who.citizen_id not in page.text
    assert page.text_of("person-name") == who.name


def test_a_company_representative_keeps_the_id_masked(browser: Browser) -> None:
    who = person("320000", "company")
    page = full_login(browser, URLS, sp="330000", who=who, home="320000", share_full_id=False)
    assert page.url == f"{node_url('330000')}/service", page.text[:2000]
    assert page.text_of("person-name") == who.name
    shown = page.table()
    assert who.citizen_id not in page.text
    assert who.company_uscc in shown.values() and who.company_name in shown.values()


def test_a_high_level_login_asks_for_the_second_factor(browser: Browser) -> None:
    who = person("330000", "resident")
    page = start(browser, URLS, sp="340000", home="330000", level="high")
    page = browser.submit(page, username=who.username, password=who.password)
    assert "/idp/totp" in page.url, page.url
    wrong = browser.submit(page, code="000000")
    assert "/idp/totp" in wrong.url and "error" in wrong.url
    assert who.totp_secret
    code = pyotp.TOTP(who.totp_secret).at(time.time())
    page = browser.submit(wrong, code=code)
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False))
    assert page.url == f"{node_url('340000')}/service", page.text[:2000]
    assert page.attr_of("level", "data-level") == "high"


def test_a_wrong_password_shows_the_form_again(browser: Browser) -> None:
    who = person("340000", "resident")
    page = start(browser, URLS, sp="310000", home="340000")
    assert "/idp/login" in page.url
    wrong = browser.submit(page, username=who.username, password="not-the-password")
    assert "/idp/login" in wrong.url and "error" in wrong.url, wrong.url
    unknown = browser.submit(page, username="nobody-here", password="not-the-password")
    assert "/idp/login" in unknown.url and "error" in unknown.url
    # The right password still works on the same login in progress.
    page = log_in(browser, wrong, who)
    assert "/idp/consent" in page.url or "/idp/totp" in page.url, page.url


def test_a_low_level_account_cannot_serve_a_substantial_service(browser: Browser) -> None:
    visitor = person("310000", "visitor")
    page = log_in(browser, start(browser, URLS, sp="320000", home="310000"), visitor)
    assert "/idp/unreachable" in page.url, page.url
    page = browser.follow_autoposts(page)
    assert page.status == 403, page.text[:1000]
    assert page.text_of("reason") == "level-not-available"


def test_declined_consent_is_refused_at_the_service(browser: Browser) -> None:
    who = person("320000", "resident")
    page = log_in(browser, start(browser, URLS, sp="310000", home="320000"), who)
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False, allow=False))
    assert page.status == 403, page.text[:1000]
    assert page.text_of("reason") == "declined"


@pytest.mark.parametrize("path", ["/idp/continue", "/idp/login", "/idp/consent", "/idp/totp"])
def test_an_unknown_login_in_progress_is_gone(browser: Browser, path: str) -> None:
    page = browser.get(f"{node_url('310000')}{path}?r=no-such-handle")
    assert page.status == 404, (page.status, page.text[:500])
    assert page.text_of("reason")


def test_expired_logins_in_progress_are_purged(fed: InProcessFederation, browser: Browser) -> None:
    start(browser, URLS, sp="320000", home="310000")
    node = fed.node("310000")
    with node.transaction() as session:
        before = session.query(IdpAuthnRequest).count()
        assert before >= 1
        repository.purge_expired(session, now=utcnow())
        assert session.query(IdpAuthnRequest).count() == before  # none expired yet
        repository.purge_expired(session, now=utcnow() + node.request_lifetime + timedelta(1))
        assert session.query(IdpAuthnRequest).count() == 0


def _name_id(page: Page) -> str:
    root = etree.fromstring(capture(page).xml)
    name_id = root.find(f".//{{{names.SAML}}}Subject/{{{names.SAML}}}NameID")
    assert name_id is not None and name_id.text
    return str(name_id.text)


def test_the_subject_is_pairwise_per_service_and_the_relay_state_comes_back(
    browser: Browser,
) -> None:
    who = person("340000", "company")
    subjects = []
    for sp in ("310000", "320000", "310000"):
        query = urlencode({"home": "340000", "next": "/service"})
        first = browser.get(f"{node_url(sp)}/sso/start?{query}")
        relay_state = first.form().fields["RelayState"]
        page = browser.submit(first)
        if "/idp/login" in page.url:
            page = log_in(browser, page, who)
        answer = consent(browser, page, share_full_id=False)
        assert capture(answer).form.fields["RelayState"] == relay_state
        subjects.append(_name_id(answer))
        assert browser.follow_autoposts(answer).url == f"{node_url(sp)}/service"
    assert subjects[0] == subjects[2] and subjects[0] != subjects[1]


def test_a_window_login_ends_with_a_code_for_that_window(
    fed: InProcessFederation, browser: Browser
) -> None:
    """The home side of the window path: login, consent, and a one-time code whose identity
    the window then fetches at the level the person logged in at."""
    who = person("320000", "company")
    page = browser.get(f"{node_url('320000')}/idp/window?to=310000&level=substantial")
    page = log_in(browser, page, who)
    page = consent(browser, page, share_full_id=False)
    code = page.text_of("window-code")
    assert page.status == 200 and len(code.replace("-", "")) >= 8, page.text[:1500]
    found = window.fetch_identity(
        node=fed.node("310000"), home_region="320000", code=code, min_level=Level.LOW,
        now=utcnow(),
    )  # fmt: skip
    assert found.level is Level.SUBSTANTIAL and found.home_region == "320000"
    assert found.values["name"] == who.name and found.subject


def test_an_unknown_login_is_audited(fed: InProcessFederation, browser: Browser) -> None:
    page = browser.get(f"{node_url('330000')}/idp/consent?r=another-unknown-handle")
    assert page.status == 404 and page.text_of("reason") == "login-not-found"
    with fed.node("330000").transaction() as session:
        record = session.get(AuditRecord, int(page.text_of("audit-seq")))
        assert record is not None
        assert (record.event, record.outcome, record.reason) == (
            "idp.login-not-found", "refused", "login-not-found",
        )  # fmt: skip
        assert record.detail["path"] == "/idp/consent"


def _signed_request(fed: InProcessFederation, *, force_authn: bool) -> dict[str, str]:
    """An AuthnRequest of service 340000 to home 330000, signed with the service's key."""
    document = authn_request.build_authn_request(
        request_id=new_saml_id(), issuer=fed.entity_id("340000"),
        destination=f"{node_url('330000')}/saml/sso", acs_url=f"{node_url('340000')}/saml/acs",
        min_level=Level.SUBSTANTIAL, requested=["name"], key=fed.node("340000").signing_key(),
        now=utcnow(), force_authn=force_authn,
    )  # fmt: skip
    return {"SAMLRequest": base64.b64encode(document).decode(), "RelayState": "r-1"}


def test_force_authn_asks_for_the_password_again(
    fed: InProcessFederation, browser: Browser
) -> None:
    who = person("330000", "company")
    page = full_login(browser, URLS, sp="310000", who=who, home="330000", share_full_id=False)
    assert page.url == f"{node_url('310000')}/service"
    # Logged in at home: a plain request goes to consent, a ForceAuthn one to the password.
    plain = browser.post(f"{node_url('330000')}/saml/sso", _signed_request(fed, force_authn=False))
    assert "/idp/consent" in plain.url, plain.url
    forced = browser.post(f"{node_url('330000')}/saml/sso", _signed_request(fed, force_authn=True))
    assert "/idp/login" in forced.url, forced.url
    assert "/idp/consent" in log_in(browser, forced, who).url


def test_a_relay_state_over_80_bytes_is_refused(fed: InProcessFederation, browser: Browser) -> None:
    fields = {**_signed_request(fed, force_authn=False), "RelayState": "r" * 81}
    page = browser.post(f"{node_url('330000')}/saml/sso", fields)
    assert page.status in (400, 403), page.text[:1000]
    assert page.text_of("reason") == "malformed"
    assert page.text_of("refusal-detail").endswith("RelayState is longer than 80 bytes")
    fields["RelayState"] = "r" * 80
    assert "/idp/login" in browser.post(f"{node_url('330000')}/saml/sso", fields).url
