"""JWT identity assertions for the cross-region windows (back channel)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from interregion.clock import utcnow
from interregion.window.service import IDENTITY_ASSERTION_REQUEST
from signing.jwt import IDENTITY_ASSERTION, decode_unverified, issue_jwt, verify_jwt
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from tests.interregion import forge
from tests.interregion.browser import Browser
from tests.interregion.cases_support import cluster_token, staff_login
from tests.interregion.cluster import Cluster
from tests.interregion.flows import consent, log_in, person

HOME, WINDOW = "330000", "310000"


def window_code(cluster: Cluster, browser: Browser, *, home: str, window: str, who: str,
                share_full_id: bool = False) -> str:  # fmt: skip
    page = browser.get(f"{cluster.url(home)}/idp/window?to={window}")
    page = log_in(browser, page, person(home, who))
    page = consent(browser, page, share_full_id=share_full_id)
    code = page.text_of("window-code")
    assert len(code) == 14, page.text[:1500]
    return code


def ask(cluster: Cluster, *, window: str, home: str, code: str) -> httpx.Response:
    # Window staff only (interregion/staff): the window's clerk's API token.
    token = cluster_token(cluster, window, "clerk")
    return httpx.post(
        f"{cluster.url(window)}/window/identity-assertions",
        json={"home": home, "code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_window_gets_a_verified_identity(cluster: Cluster, browser: Browser) -> None:
    who = person(HOME, "company")
    code = window_code(
        cluster, browser, home=HOME, window=WINDOW, who="company", share_full_id=True
    )
    answer = ask(cluster, window=WINDOW, home=HOME, code=code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["home_region"] == HOME and body["level"] == "substantial"
    assert body["attributes"]["name"] == who.name
    assert body["attributes"]["citizen-id"] == who.citizen_id  # consented
    assert body["attributes"]["uscc"] == who.company_uscc
    token = body["assertion"]
    unverified = decode_unverified(token)
    assert unverified.header["typ"] == IDENTITY_ASSERTION
    assert unverified.claims["aud"] == cluster.entity_id(WINDOW)
    assert unverified.claims["exp"] - unverified.claims["iat"] <= 120
    # The JWT stands on its own: anyone with the home node's published JWKS can check it.
    jwks = httpx.get(f"{cluster.url(HOME)}/federation/jwks", timeout=10).json()
    claims = verify_jwt(
        token,
        trust=TrustStore.from_jwks(jwks, issuer=cluster.entity_id(HOME), purposes={"jwt"}),
        issuer=cluster.entity_id(HOME),
        audience=cluster.entity_id(WINDOW),
        typ=IDENTITY_ASSERTION,
        replay_cache=MemoryReplayCache(),
    )
    assert claims["sub"] == body["subject"]
    assert cluster.last_audit(WINDOW, "window.assertion-accepted")["peer"] == HOME
    assert cluster.last_audit(HOME, "window.assertion-issued")["peer"] == WINDOW


def test_without_consent_to_the_full_id_it_stays_masked(cluster: Cluster, browser: Browser) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    body = ask(cluster, window=WINDOW, home=HOME, code=code).json()
    assert "citizen-id" not in body["attributes"]
    assert body["attributes"]["citizen-id-masked"].count("*") == 13


def test_a_code_works_once(cluster: Cluster, browser: Browser) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    assert ask(cluster, window=WINDOW, home=HOME, code=code).status_code == 200
    again = ask(cluster, window=WINDOW, home=HOME, code=code)
    assert again.status_code == 403
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["reason"] == "code-not-valid"
    assert cluster.last_audit(HOME, "window.assertion-refused")["reason"] == "code-not-valid"


def test_a_code_works_only_for_the_region_it_was_given_to(
    cluster: Cluster, browser: Browser
) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    elsewhere = ask(cluster, window="340000", home=HOME, code=code)
    assert elsewhere.status_code == 403 and elsewhere.json()["reason"] == "code-not-valid"
    # ...and the failed attempt elsewhere did not burn it.
    assert ask(cluster, window=WINDOW, home=HOME, code=code).status_code == 200


def test_the_window_desk_page(cluster: Cluster, browser: Browser) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    desk = Browser()
    try:
        staff_login(desk, cluster.url(WINDOW), WINDOW, "clerk", next_path="/window")
        page = desk.get(f"{cluster.url(WINDOW)}/window")
        page = desk.submit(page, home=HOME, code=code.lower())
        assert page.status == 200, page.text[:1000]
        assert person(HOME, "resident").name in page.text
    finally:
        desk.close()


def back_channel(cluster: Cluster, token: str) -> httpx.Response:
    return httpx.post(
        f"{cluster.url(HOME)}/idp/identity-assertions", json={"request": token}, timeout=30
    )


def request_token(cluster: Cluster, code: str, **options: object) -> str:
    defaults: dict[str, object] = {
        "key": cluster.signing_key(WINDOW),
        "issuer": cluster.entity_id(WINDOW),
        "audience": cluster.entity_id(HOME),
        "typ": IDENTITY_ASSERTION_REQUEST,
        "lifetime": timedelta(seconds=60),
    }
    defaults.update(options)
    return issue_jwt({"code": code}, **defaults)  # type: ignore[arg-type]


def test_back_channel_requests_are_checked(cluster: Cluster, browser: Browser) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    cases = {
        "unknown-key-id": request_token(cluster, code, key=forge.foreign_key()),
        "wrong-audience": request_token(cluster, code, audience=cluster.entity_id("320000")),
        "wrong-token-type": request_token(cluster, code, typ=IDENTITY_ASSERTION),
        "token-expired": request_token(cluster, code, now=utcnow() - timedelta(minutes=3)),
        "unknown-issuer": request_token(cluster, code, issuer="http://127.0.0.1:9/saml/metadata"),
    }
    for reason, token in cases.items():
        answer = back_channel(cluster, token)
        assert answer.status_code == 403, (reason, answer.text)
        assert answer.json()["reason"] == reason
    good = request_token(cluster, code)
    assert back_channel(cluster, good).status_code == 200
    replayed = back_channel(cluster, good)
    assert replayed.status_code == 403 and replayed.json()["reason"] == "replayed-token"


@pytest.mark.parametrize("body", [{}, {"request": ""}, {"request": "a.b.c"}, {"request": 5}])
def test_bad_back_channel_input(cluster: Cluster, body: dict) -> None:
    answer = httpx.post(f"{cluster.url(HOME)}/idp/identity-assertions", json=body, timeout=10)
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("code", ["甲乙丙丁甲乙丙丁甲乙丙丁", "٠١٢٣-٤٥٦٧-٨٩٠١", "ÀÉÎÕÜÀÉÎÕÜÀÉ"])
def test_codes_outside_the_alphabet_are_refused_cleanly(cluster: Cluster, code: str) -> None:
    """Letters and digits of other scripts are alphanumeric to Python but no code of ours:
    a clear refusal at the window and at the home node, never a 500."""
    log_before = len(cluster.log(HOME))
    answer = ask(cluster, window=WINDOW, home=HOME, code=code)
    assert answer.status_code == 422, answer.text
    assert answer.json()["reason"] == "malformed"
    # A window node sending such a code anyway (signed, so it reaches the code check).
    direct = back_channel(cluster, request_token(cluster, code))
    assert direct.status_code == 400, direct.text
    assert direct.json()["reason"] == "malformed"
    assert cluster.last_audit(HOME, "window.assertion-refused")["reason"] == "malformed"
    assert "unhandled error" not in cluster.log(HOME)[log_before:]


def test_a_code_typed_in_full_width_characters_works(cluster: Cluster, browser: Browser) -> None:
    code = window_code(cluster, browser, home=HOME, window=WINDOW, who="resident")
    full_width = "".join(chr(ord(char) + 0xFEE0) if char.isalnum() else "－" for char in code)
    answer = ask(cluster, window=WINDOW, home=HOME, code=full_width)
    assert answer.status_code == 200, answer.text
