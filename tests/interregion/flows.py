"""The browser flows of the federation, step by step, as a person would click through them."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pyotp

from interregion.identity.demo_people import DemoPerson, demo_people
from tests.interregion.browser import Browser, Form, Page
from tests.interregion.cluster import Cluster


def person(code: str, suffix: str) -> DemoPerson:
    return next(p for p in demo_people(code) if p.username.endswith(f"-{suffix}"))


@dataclass
class Captured:
    """A Response on its way to the ACS, held back before the browser posts it."""

    form: Form
    request_id: str

    @property
    def xml(self) -> bytes:
        return base64.b64decode(self.form.fields["SAMLResponse"])

    def with_xml(self, document: bytes) -> dict[str, str]:
        return {**self.form.fields, "SAMLResponse": base64.b64encode(document).decode()}


def start(
    browser: Browser, cluster: Cluster, *, sp: str, home: str, level: str | None = None,
    next_path: str = "/service",
) -> Page:  # fmt: skip
    """The service's start link; returns the home node's first page (login or consent)."""
    query = {"home": home, "next": next_path, **({"level": level} if level else {})}
    page = browser.get(f"{cluster.url(sp)}/sso/start?{urlencode(query)}")
    assert page.is_autopost, page.text[:1000]
    return browser.submit(page)


def pending_request_id(browser: Browser, cluster: Cluster, *, sp: str, home: str) -> str:
    """Start a login and stop at the home node; returns the pending AuthnRequest ID."""
    page = browser.get(f"{cluster.url(sp)}/sso/start?{urlencode({'home': home})}")
    return page.form().fields["RelayState"]


def log_in(browser: Browser, page: Page, who: DemoPerson, *, totp_step_offset: int = 0) -> Page:
    """Fill the login form (and the TOTP form if asked); returns the next page."""
    assert "/idp/login" in page.url, page.url
    page = browser.submit(page, username=who.username, password=who.password)
    if "/idp/totp" in page.url:
        assert who.totp_secret
        code = pyotp.TOTP(who.totp_secret).at(time.time() + 30 * totp_step_offset)
        page = browser.submit(page, code=code)
    return page


def consent(browser: Browser, page: Page, *, share_full_id: bool, allow: bool = True) -> Page:
    assert "/idp/consent" in page.url, f"{page.url}\n{page.text[:1500]}"
    decision = "allow" if allow else "deny"
    if share_full_id:
        return browser.submit(page, decision=decision, share_full_id="yes")
    return browser.submit(page, decision=decision)


def capture(page: Page) -> Captured:
    """The auto-POST page that carries the Response; not submitted."""
    assert page.is_autopost, page.text[:1500]
    form = page.form()
    return Captured(form=form, request_id=form.fields.get("RelayState", ""))


def full_login(
    browser: Browser, cluster: Cluster, *, sp: str, who: DemoPerson, home: str,
    share_full_id: bool = False, level: str | None = None,
) -> Page:  # fmt: skip
    """From the service's start link to the service page."""
    page = log_in(browser, start(browser, cluster, sp=sp, home=home, level=level), who)
    return browser.follow_autoposts(consent(browser, page, share_full_id=share_full_id))


def captured_response(
    browser: Browser, cluster: Cluster, *, sp: str, home: str, who: DemoPerson,
    share_full_id: bool = False,
) -> Captured:  # fmt: skip
    page = log_in(browser, start(browser, cluster, sp=sp, home=home), who)
    return capture(consent(browser, page, share_full_id=share_full_id))
