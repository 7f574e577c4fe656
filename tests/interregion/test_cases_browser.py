"""Chromium drives one case end to end across three real nodes.

A Zhejiang resident (330000) asks a Shanghai window (310000) for a housing-fund matter that
Jiangsu (320000) decides: at home she logs in and consents (a one-time code for the window),
the clerk takes the case in with her 居民身份证 e-licence replacing the ID copy, prints the
receipt; the Jiangsu reviewer asks for another invoice (补正), the clerk sends it, the
reviewer accepts and approves; the clerk and the applicant -- by case number and query code,
and after logging in at home -- see each step. axe-core checks the staff pages (WCAG 2.1 AA).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from delta.assets import vendor_path
from interregion.staff.demo import demo_staff
from tests.interregion.cases_support import pdf_bytes
from tests.interregion.cluster import Cluster
from tests.interregion.flows import person

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="chromium missing: run scripts/ensure-test-prereqs"
    ),
]
WINDOW, DECIDER, HOME = "310000", "320000", "330000"
MATTER = "320000-GJJ-016"  # 住房公积金提取（购房）
STEP_TIMEOUT_MS = 30_000


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def staff_login(page: Any, base: str, region: str, role: str) -> None:
    who = next(s for s in demo_staff(region) if s.role == role)
    page.goto(f"{base}/cases")
    page.wait_for_url("**/staff/login**")
    page.fill("#username", who.username)
    page.fill("#password", who.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/totp**")
    step = int(time.time()) // 30
    for offset in (0, 1, 2):  # a code works once: another test may have used this step's
        page.fill("#code", pyotp.TOTP(who.totp_secret).at((step + offset) * 30))
        page.click("button[type=submit]")
        page.wait_for_load_state()
        if "/staff/totp" not in page.url:
            return
    raise AssertionError(f"{who.username} could not log in")


def upload(page: Any, material: str, name: str, data: bytes) -> None:
    page.select_option("#material", material)
    page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf",
                                          "buffer": data}])  # fmt: skip
    page.click("#upload")
    page.wait_for_load_state()


def status_becomes(page: Any, url: str, status: str, selector: str = "#case-status") -> None:
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        page.goto(url)
        if page.get_attribute(selector, "data-status") == status:
            return
        time.sleep(0.3)
    raise AssertionError(f"{url} never showed {status}: {page.inner_text('main')[:800]}")


def accessible(page: Any) -> None:
    """axe-core (from the npm registry) finds no WCAG 2.1 A/AA violations on the page."""
    page.add_script_tag(path=str(vendor_path("axe.min.js")))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']}))"
        ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    assert result == [], f"{page.url}: {result}"


def test_one_case_from_a_shanghai_window_to_jiangsu_and_back(
    cluster: Cluster, chromium: Any
) -> None:
    window, decider, home = (cluster.url(c) for c in (WINDOW, DECIDER, HOME))
    applicant = chromium.new_context(locale="zh-CN")
    clerk = chromium.new_context(locale="zh-CN", bypass_csp=True)  # bypass: to inject axe-core
    reviewer = chromium.new_context(locale="zh-CN", bypass_csp=True)
    me, desk, dept = applicant.new_page(), clerk.new_page(), reviewer.new_page()
    for page in (me, desk, dept):
        page.set_default_timeout(STEP_TIMEOUT_MS)

    # At home (on her phone): log in, agree to release her identity and licences to the window.
    who = person(HOME, "resident")
    me.goto(f"{home}/idp/window?to={WINDOW}")
    me.fill("#username", who.username)
    me.fill("#password", who.password)
    me.click("button[type=submit]")
    me.wait_for_url("**/idp/consent**")
    assert "居民身份证" in me.inner_text("main")  # the licences a window may check
    me.click("button[value=allow]")
    code = me.inner_text("#window-code").strip()

    # The Shanghai clerk: new case, identity, licence, consent, scans, receipt.
    staff_login(desk, window, WINDOW, "clerk")
    desk.goto(f"{window}/cases/new?region={DECIDER}")
    desk.select_option("#matter", MATTER)
    accessible(desk)
    desk.click("#open-case")
    desk.wait_for_url(f"{window}/cases/{WINDOW}-*")
    desk.select_option("#home", HOME)
    desk.fill("#code", code)
    desk.click("#verify-identity")
    desk.wait_for_selector("#applicant")
    assert who.name in desk.inner_text("#applicant")
    assert who.citizen_id not in desk.inner_text("main")  # masked
    desk.select_option("#licence-material", "M90")
    id_card = desk.locator("#licence-id option", has_text="居民身份证").first.inner_text()
    desk.select_option("#licence-id", label=id_card)
    desk.click("#verify-licence")
    desk.wait_for_selector("#licences td[data-status=valid]")
    desk.check("#consent-check")
    desk.fill("#contact", "13912345678")
    desk.click("#sign-consent")
    desk.wait_for_selector("#consent-signed")
    number = desk.inner_text("#case-number").strip()
    for material, name in (("M01", "申请表.pdf"), ("M02", "不动产权证书.pdf"), ("M04", "发票.pdf")):
        upload(desk, material, name, pdf_bytes(f"{material} {number}"))
    accessible(desk)
    assert desk.locator("#missing").count() == 0
    desk.click("#submit-case")
    desk.wait_for_selector("#receipt")
    assert desk.inner_text("#receipt-number").strip() == number
    query_code = desk.inner_text("#query-code").strip()
    assert desk.locator(".qr svg").count() == 1
    tracking = desk.inner_text("#tracking-url").strip()
    assert tracking.startswith(f"{window}/cases/track?number={number}")

    # The applicant follows it with the receipt (no login).
    track_url = f"{window}/cases/track?number={number}&code={query_code}"
    status_becomes(me, track_url, "submitted", ".track-status")

    # The Jiangsu reviewer: the queue, the case, verified licence, asks for another invoice.
    staff_login(dept, decider, DECIDER, "reviewer")
    case_at_b = f"{decider}/cases/{number}"
    status_becomes(dept, case_at_b, "submitted")
    dept.goto(f"{decider}/cases")
    dept.click(f"a[href='/cases/{number}']")
    assert dept.get_attribute("#licences td[data-status]", "data-status") == "valid"
    assert dept.locator("#materials a").count() == 3
    accessible(dept)
    dept.check("#need-M04")
    dept.fill("#correction-note", "购房发票不清晰，请重新扫描 / the invoice is unreadable")
    dept.click("#ask-correction")
    dept.wait_for_selector("#case-status[data-status=correction]")

    # The window sees the 补正, and so does the applicant; the clerk sends the new invoice.
    case_at_a = f"{window}/cases/{number}"
    status_becomes(desk, case_at_a, "correction")
    assert "发票不清晰" in desk.inner_text("#correction")
    status_becomes(me, track_url, "correction", ".track-status")
    upload(desk, "M04", "发票-重扫.pdf", pdf_bytes(f"clear invoice {number}"))
    desk.fill("#supplement-note", "已重新扫描发票")
    desk.click("#send-supplement")
    desk.wait_for_selector("#case-status[data-status=submitted]")

    # The reviewer accepts and approves.
    status_becomes(dept, case_at_b, "submitted")
    assert dept.locator("#materials a").count() == 4
    dept.click("#accept")
    dept.wait_for_selector("#case-status[data-status=accepted]")
    dept.check("#outcome-approved")
    dept.fill("#decision-note", "准予提取住房公积金")
    dept.click("#decide")
    dept.wait_for_selector("#case-status[data-status=approved]")

    # Back at the window, and with the applicant: every step, in order.
    status_becomes(desk, case_at_a, "approved")
    kinds = desk.eval_on_selector_all("#timeline li", "items => items.map(i => i.dataset.kind)")
    assert kinds == ["submitted", "correction-requested", "supplemented", "accepted", "decided"]
    accessible(desk)
    status_becomes(me, track_url, "approved", ".track-status")
    timeline = me.inner_text(".track-timeline")
    for step in ("已收件", "需补正", "已补正", "已受理", "准予"):
        assert step in timeline, timeline
    # After logging in at home (single sign-on: she is still logged in at 330000).
    me.goto(f"{window}/cases/mine")
    me.click(f"#home-{HOME}")
    me.wait_for_url("**/idp/consent**")
    me.click("button[value=allow]")
    me.wait_for_url(f"{window}/cases/mine")
    assert number in me.inner_text("main")
    for context in (applicant, clerk, reviewer):
        context.close()
