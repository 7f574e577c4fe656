"""Guessing at the login forms: the lockout holds against parallel requests and the second factor.

These tests lock accounts on purpose, so they run against a node of their
own (the shared federation's demo accounts must stay usable for the rest).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest

from tests.interregion.browser import Browser, Page
from tests.interregion.cluster import Cluster, new_cluster
from tests.interregion.flows import person

HOME, WINDOW = "320000", "330000"
MAX_FAILURES = 5  # interregion.identity.service.MAX_FAILED_LOGINS
FOLDED_WITHIN = 2.5  # seconds: the fold window below, and the writer's look every 0.25 s


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # Identical refusals are one record and a count once their window closes
    # (test_audit_flood.py): a one-second window, so the counts are in within seconds.
    running = new_cluster(tmp_path_factory.mktemp("lockout"), DELTA_NODE_AUDIT_FOLD_SECONDS="1")
    try:
        running.start((HOME,))
        yield running
    finally:
        running.stop()


def login_page(browser: Browser, node: Cluster, *, level: str) -> Page:
    """The home node's login form (the window flow needs no second node)."""
    page = browser.get(f"{node.url(HOME)}/idp/window?to={WINDOW}&level={level}")
    assert "/idp/login" in page.url, page.text[:1000]
    return page


def in_parallel(count: int, attempt: Callable[[int], int]) -> list[int]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(attempt, range(count)))


def reasons(node: Cluster, event: str, actor: str) -> list[str]:
    """The reason of every refusal recorded, in order (a folded record: once per refusal)."""
    time.sleep(FOLDED_WITHIN)
    rows = node.query(
        HOME, "SELECT reason, detail FROM audit_record WHERE event = ? AND actor = ? ORDER BY seq",
        event, actor,
    )  # fmt: skip
    return [reason for reason, detail in rows for _ in range(json.loads(detail).get("folded", 1))]


def test_parallel_wrong_passwords_cannot_outrun_the_lockout(node: Cluster) -> None:
    who = person(HOME, "visitor")
    browser = Browser()
    try:
        page = login_page(browser, node, level="low")
        form = page.form()
        guess = {**form.fields, "username": who.username, "password": "guess"}

        def attempt(_: int) -> int:
            return browser.client.post(form.action, data=guess, follow_redirects=False).status_code

        assert set(in_parallel(20, attempt)) == {303}
        right = browser.submit(page, username=who.username, password=who.password)
        assert right.status == 401 and "/idp/login" in right.url, "the account must be locked"
    finally:
        browser.close()
    checked = reasons(node, "idp.login", f"username:{who.username}")
    # Only MAX_FAILURES guesses ever reach the password check; the rest meet the lock.
    assert len([r for r in checked if r in ("wrong-password", "locked-now")]) == MAX_FAILURES
    assert checked.count("locked-now") == 1
    assert checked[-1] == "locked"


def account_actor(node: Cluster, who_suffix: str) -> str:
    rows = node.query(
        HOME, "SELECT id FROM idp_account WHERE username = ?", person(HOME, who_suffix).username
    )
    return f"account:{rows[0][0]}"


def totp_page(browser: Browser, node: Cluster, who_suffix: str) -> Page:
    who = person(HOME, who_suffix)
    page = browser.submit(
        login_page(browser, node, level="high"), username=who.username, password=who.password
    )
    assert "/idp/totp" in page.url, page.text[:1000]
    return page


def right_code(who_suffix: str) -> str:
    secret = person(HOME, who_suffix).totp_secret
    assert secret
    return pyotp.TOTP(secret).now()


def wrong_code(who_suffix: str, index: int) -> str:
    """A code that is not valid in any step the node accepts now."""
    secret = person(HOME, who_suffix).totp_secret
    assert secret
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + 30 * offset) for offset in (-2, -1, 0, 1, 2)}
    candidates = (f"{n * 7919 % 1_000_000:06d}" for n in range(index, 1_000_000))
    return next(code for code in candidates if code not in valid)


def test_totp_codes_in_other_digits(node: Cluster) -> None:
    """Chinese input methods type full-width digits: the right code so typed is the right
    code; digits of other scripts are simply wrong. Neither may crash the node (a str
    comparison of non-ASCII text raises in hmac.compare_digest)."""
    browser = Browser()
    try:
        page = totp_page(browser, node, "resident")
        arabic = "".join(chr(0x0660 + int(d)) for d in right_code("resident"))
        refused = browser.submit(page, code=arabic)
        assert refused.status == 401 and "/idp/totp" in refused.url, refused.text[:300]
        full_width = "".join(chr(0xFF10 + int(d)) for d in right_code("resident"))
        accepted = browser.submit(refused, code=full_width)
        assert accepted.status == 200 and "/idp/consent" in accepted.url, accepted.text[:300]
    finally:
        browser.close()


def test_totp_guesses_count_across_password_logins(node: Cluster) -> None:
    """Someone who knows the password must not get unlimited guesses at the second factor,
    neither in one go nor by logging in with the password again between guesses."""
    first, second = Browser(), Browser()
    try:
        page = totp_page(first, node, "company")
        for index in range(3):
            page = first.submit(page, code=wrong_code("company", index))
            assert page.status == 401 and "/idp/totp" in page.url
        page = totp_page(second, node, "company")  # the password again: the count goes on
        for index in range(3, MAX_FAILURES):
            page = second.submit(page, code=wrong_code("company", index))
            assert page.status == 401
        page = second.submit(page, code=right_code("company"))
        assert page.status == 401 and "/idp/totp" in page.url, "the right code must be refused"
        assert node.last_audit(HOME, "idp.totp")["reason"] == "locked"
    finally:
        first.close()
        second.close()
    third = Browser()
    try:
        who = person(HOME, "company")
        again = third.submit(login_page(third, node, level="high"), username=who.username,
                             password=who.password)  # fmt: skip
        assert again.status == 401 and "/idp/login" in again.url, "locked for passwords too"
    finally:
        third.close()


def test_parallel_totp_guesses_cannot_outrun_the_lockout(node: Cluster) -> None:
    browser = Browser()
    try:
        page = totp_page(browser, node, "resident")
        form = page.form()

        def attempt(index: int) -> int:
            data = {**form.fields, "code": wrong_code("resident", index)}
            return browser.client.post(form.action, data=data, follow_redirects=False).status_code

        assert set(in_parallel(20, attempt)) == {303}
        page = browser.submit(page, code=right_code("resident"))
        assert page.status == 401 and "/idp/totp" in page.url, "the right code must be refused"
    finally:
        browser.close()
    checked = reasons(node, "idp.totp", account_actor(node, "resident"))
    assert len([r for r in checked if r in ("totp-wrong", "locked-now")]) == MAX_FAILURES
    assert checked.count("locked-now") == 1
    assert checked[-1] == "locked"
