"""Logging in at home: levels, TOTP, lockout, CSRF, single sign-on, safe redirects."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import httpx
import pyotp
import pytest

from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster
from tests.interregion.flows import consent, full_login, log_in, person, start


def test_level_high_needs_the_totp_code(cluster: Cluster, browser: Browser) -> None:
    who = person("320000", "resident")
    page = start(browser, cluster, sp="330000", home="320000", level="high")
    page = browser.submit(page, username=who.username, password=who.password)
    assert "/idp/totp" in page.url, "a password alone must not reach level high"
    assert who.totp_secret
    page = browser.submit(page, code=pyotp.TOTP(who.totp_secret).now())
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False))
    assert page.url.endswith("/service")
    assert page.attr_of("level", "data-level") == "high"


def test_a_totp_code_is_good_once(cluster: Cluster) -> None:
    who = person("310000", "company")
    assert who.totp_secret
    code = pyotp.TOTP(who.totp_secret).now()
    first, second = Browser(), Browser()
    try:
        page = start(first, cluster, sp="340000", home="310000", level="high")
        page = first.submit(page, username=who.username, password=who.password)
        assert "/idp/consent" in first.submit(page, code=code).url
        page = start(second, cluster, sp="340000", home="310000", level="high")
        page = second.submit(page, username=who.username, password=who.password)
        again = second.submit(page, code=code)
        assert again.status == 401 and "/idp/totp" in again.url
        assert cluster.last_audit("310000", "idp.totp")["reason"] == "totp-reused"
    finally:
        first.close()
        second.close()


def test_wrong_passwords_lock_the_account(cluster: Cluster, browser: Browser) -> None:
    who = person("340000", "visitor")
    page = start(browser, cluster, sp="310000", home="340000", level="low")
    for _ in range(5):
        page = browser.submit(page, username=who.username, password="guess")
        assert page.status == 401 and "/idp/login" in page.url
    page = browser.submit(page, username=who.username, password=who.password)
    assert page.status == 401, "the right password is refused while the account is locked"
    assert cluster.last_audit("340000", "idp.login")["reason"] == "locked"
    unknown = browser.submit(page, username="no-such-person", password="x")
    assert unknown.status == 401  # the same neutral answer for unknown users
    assert cluster.last_audit("340000", "idp.login")["reason"] == "unknown-user"


def test_forms_need_their_csrf_token(cluster: Cluster, browser: Browser) -> None:
    page = start(browser, cluster, sp="320000", home="310000")
    form = page.form()
    fields = {**form.fields, "username": "hu-resident", "password": "delta-hu-resident"}
    for token in ("", "forged"):
        refused = browser.post(form.action, {**fields, "csrf": token})
        assert refused.status == 403 and refused.text_of("reason") == "csrf"
    outsider = Browser()  # another browser replaying the form has the wrong seed cookie
    try:
        assert outsider.post(form.action, fields).status == 403
    finally:
        outsider.close()
    assert cluster.last_audit("310000", "web.csrf")["outcome"] == "refused"


def test_login_at_home_is_reused_for_the_next_region(cluster: Cluster, browser: Browser) -> None:
    """One authentication, many services: the second region needs only consent."""
    who = person("330000", "resident")
    assert full_login(browser, cluster, sp="310000", who=who, home="330000").url.endswith(
        "/service"
    )
    page = start(browser, cluster, sp="340000", home="330000")
    assert "/idp/consent" in page.url
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False))
    assert page.url == f"{cluster.url('340000')}/service"


def test_the_home_session_token_changes_at_login(cluster: Cluster, browser: Browser) -> None:
    page = start(browser, cluster, sp="310000", home="320000")
    name = "delta_idp_320000"
    before = browser.client.cookies.get(name)
    log_in(browser, page, person("320000", "company"))
    after = browser.client.cookies.get(name)
    assert before and after and before != after


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\r\nLocation: https://evil.example",
    ],
)
def test_no_open_redirect_after_login(cluster: Cluster, browser: Browser, target: str) -> None:
    query = urlencode({"home": "310000", "next": target})
    page = browser.get(f"{cluster.url('320000')}/sso/start?{query}")
    page = browser.submit(page)
    page = log_in(browser, page, person("310000", "resident"))
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False))
    assert urlsplit(page.url).netloc == urlsplit(cluster.url("320000")).netloc
    assert page.url == f"{cluster.url('320000')}/service"


def test_a_relative_next_is_kept(cluster: Cluster, browser: Browser) -> None:
    page = start(browser, cluster, sp="320000", home="310000", next_path="/service?tab=2")
    page = log_in(browser, page, person("310000", "resident"))
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False))
    assert page.url == f"{cluster.url('320000')}/service?tab=2"


def test_service_needs_a_login_and_logout_ends_it(cluster: Cluster, browser: Browser) -> None:
    page = browser.get(f"{cluster.url('340000')}/service")
    assert "/sso/choose" in page.url
    for code in ("310000", "320000", "330000", "340000"):
        assert f"/sso/start?home={code}" in page.text
    page = full_login(
        browser, cluster, sp="340000", who=person("310000", "resident"), home="310000"
    )
    assert page.url.endswith("/service")
    page = browser.submit(page)  # the logout form
    assert "/sso/choose" in browser.get(f"{cluster.url('340000')}/service").url


def test_a_login_handle_from_another_browser_is_useless(cluster: Cluster, browser: Browser) -> None:
    page = start(browser, cluster, sp="320000", home="310000")
    other = Browser()
    try:
        stolen = other.get(page.url)
        assert stolen.status == 404 and stolen.text_of("reason") == "login-not-found"
    finally:
        other.close()


def test_non_ascii_tokens_are_refused_not_crashed_on(cluster: Cluster, browser: Browser) -> None:
    """hmac.compare_digest raises on non-ASCII str: a CSRF field or a cookie holding such text
    must be an ordinary refusal (or an ignored cookie), never a 500."""
    page = start(browser, cluster, sp="320000", home="310000")
    form = page.form()
    refused = browser.post(form.action, {**form.fields, "csrf": "é", "username": "x"})
    assert refused.status == 403 and refused.text_of("reason") == "csrf"
    url = cluster.url("320000")
    for name, path, goes_to in (
        ("delta_csrf_320000", "/service", "/sso/choose"),
        ("delta_sp_320000", "/service", "/sso/choose"),
        ("delta_idp_320000", "/idp/window?to=310000", "/idp/login"),
    ):
        cookie = f"{name}=token.\xe9\xe9".encode("latin-1")
        answer = httpx.get(f"{url}{path}", headers={"cookie": cookie}, timeout=10)
        assert answer.status_code == 303 and goes_to in answer.headers["location"], name
