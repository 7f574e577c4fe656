"""A real browser (Chromium via Playwright) through a full cross-region login at level high."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pyotp
import pytest

from tests.interregion.cluster import Cluster
from tests.interregion.flows import person

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="chromium missing: run scripts/ensure-test-prereqs"
    ),
]


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="zh-CN")
            yield context.new_page()
        finally:
            browser.close()


def test_cross_region_login_with_totp_in_chromium(cluster: Cluster, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    who = person("340000", "resident")
    assert who.totp_secret
    service = f"{cluster.url('310000')}/service"

    page.goto(service)
    expect(page).to_have_url(f"{cluster.url('310000')}/sso/choose?next=%2Fservice")
    page.click("#home-340000-high")  # chooser -> signed AuthnRequest, auto-posted by the page

    page.wait_for_url(f"{cluster.url('340000')}/idp/login**")
    page.fill("#username", who.username)
    page.fill("#password", who.password)
    page.click("button[type=submit]")

    page.wait_for_url(f"{cluster.url('340000')}/idp/totp**")
    page.fill("#code", pyotp.TOTP(who.totp_secret).now())
    page.click("button[type=submit]")

    page.wait_for_url(f"{cluster.url('340000')}/idp/consent**")
    released = page.inner_text("#released")
    assert who.name in released and who.citizen_id not in released  # masked on the consent page
    assert "上海" in page.inner_text("main")  # names the receiving region
    page.check("input[name=share_full_id]")
    page.click("button[value=allow]")  # signed Response, auto-posted to the ACS by the page

    page.wait_for_url(service)
    expect(page.locator("#person-name")).to_have_text(who.name)
    expect(page.locator("#level")).to_have_attribute("data-level", "high")
    expect(page.locator("#home-region")).to_have_attribute("data-code", "340000")
    assert who.citizen_id in page.inner_text("#identity")  # consented: shown to the service

    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["delta_sp_310000"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
