"""End to end with real node processes: for all 12 ordered region pairs (A asks, B issued),
a resident's and a company's licence checked live over the exchange and list-based (A's
status-list cache): valid, suspended, resumed, revoked (final), expired.

The session's four-node cluster, with a two-second status-list TTL so "within the TTL" is
observable; the holder logs in at home once per region and kind, and one consent
per pair covers that pair's five licences (each licence uses it once).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from itertools import permutations
from typing import Any

import httpx
import pytest

from interregion.licences.demo import holder_of
from standards.regions import DELTA_PROVINCES
from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster
from tests.interregion.conftest import TTL_SECONDS
from tests.interregion.flows import person
from tests.interregion.licence_flows import (
    CHECKED,
    change,
    consent,
    department,
    holder_login,
    issue,
    verify,
)
from tests.support.processes import BIN

STATES = ("valid", "suspended", "resumed", "revoked", "expired")
EXPIRED_DATES = {"valid_from": date(2012, 1, 1), "valid_until": date(2017, 12, 31)}
STATE_CHANGES = {"suspended": ["suspend"], "resumed": ["suspend", "resume"], "revoked": ["revoke"]}
EXPECTED = {"valid": "valid", "suspended": "suspended", "resumed": "valid",
            "revoked": "revoked", "expired": "expired"}  # fmt: skip


@pytest.fixture(scope="module")
def licence_cluster(cluster: Cluster) -> Cluster:
    """The session's four nodes (conftest.py gives them the short status-list TTL)."""
    return cluster


@pytest.fixture(scope="module")
def tokens(licence_cluster: Cluster) -> dict[str, dict[str, str]]:
    """Department API tokens from `delta licence token`, the four regions in parallel."""
    runs = {}
    for region in DELTA_PROVINCES:
        options = [arg for kind in CHECKED.values()
                   for arg in ("--department", department(region, kind[0]))]  # fmt: skip
        runs[region] = subprocess.Popen(
            [str(BIN / "delta"), "licence", "token", "--region", region, *options],
            env=licence_cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    made = {}
    for region, process in runs.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        made[region] = {row["department"]: row["token"] for row in json.loads(out)}
    return made


@pytest.fixture(scope="module")
def matrix(licence_cluster: Cluster, tokens: dict) -> Iterator[dict[tuple[str, str, str], Any]]:
    """Per issuer and kind: five licences brought into the five states (shared by the three
    askers); per asker: the holder's consent at home. Returns what each pair checks."""
    cluster, http = licence_cluster, httpx.Client(timeout=30)
    issued: dict[tuple[str, str, str], Any] = {}
    browsers: list[Browser] = []
    try:
        for issuer in DELTA_PROVINCES:
            for kind, (slug, scenario) in CHECKED.items():
                browser = Browser()
                browsers.append(browser)
                base, token = cluster.url(issuer), tokens[issuer][department(issuer, slug)]
                holder_login(browser, base, issuer, kind)
                licences = {
                    state: issue(http, base, token, region=issuer, who=person(issuer, kind),
                                 slug=slug, **(EXPIRED_DATES if state == "expired" else {}))
                    for state in STATES
                }  # fmt: skip
                for state, actions in STATE_CHANGES.items():
                    for action in actions:
                        identifier = licences[state]["identifier"]
                        assert change(http, base, token, identifier, action).status_code == 200
                identifiers = [lic["identifier"] for lic in licences.values()]
                for asker in DELTA_PROVINCES:
                    if asker != issuer:
                        granted = consent(browser, base, to=asker, scenario=scenario,
                                          identifiers=identifiers)  # fmt: skip
                        issued[(asker, issuer, kind)] = {
                            "licences": licences, "consent": granted, "scenario": scenario,
                            "token": token,
                        }  # fmt: skip
        yield issued
    finally:
        http.close()
        for browser in browsers:
            browser.close()


def test_demo_licences_cover_every_state(licence_cluster: Cluster) -> None:
    listing = json.loads(licence_cluster.cli("demo", "licences", "--region", "330000"))
    statuses = {row["status"] for row in listing}
    assert statuses == {"valid", "suspended", "revoked", "expired"}
    per_holder: dict[str, int] = {}
    for row in listing:
        per_holder[row["holder_username"]] = per_holder.get(row["holder_username"], 0) + 1
    # Runs before the matrix issues more licences to the same demo people.
    assert per_holder and all(2 <= count <= 4 for count in per_holder.values()), per_holder
    assert {"zhe-resident", "zhe-company"} <= set(per_holder)


PAIRS = [(a, b, kind) for a, b in permutations(DELTA_PROVINCES, 2) for kind in CHECKED]


@pytest.mark.parametrize(("asker", "issuer", "kind"), PAIRS)
def test_live_and_list_based_status(licence_cluster: Cluster, matrix: dict,
                                    asker: str, issuer: str, kind: str) -> None:  # fmt: skip
    case, url = matrix[(asker, issuer, kind)], licence_cluster.url(asker)
    with httpx.Client(timeout=30) as http:
        for state in STATES:
            licence = case["licences"][state]
            answer = verify(http, url, licence=licence["identifier"], scenario=case["scenario"],
                            consent=case["consent"], service="e2e")  # fmt: skip
            assert answer.status_code == 200, (state, answer.text)
            body = answer.json()
            assert body["status"] == EXPECTED[state], (state, body)
            assert body["licence"]["issuer_region"] == issuer, body
            assert body["fields"]["holder_name"] == holder_of(person(issuer, kind))[0], body
        # Revoked is final: the issuer refuses to bring it back.
        revived = change(http, licence_cluster.url(issuer), case["token"],
                         case["licences"]["revoked"]["identifier"], "resume")  # fmt: skip
        assert revived.status_code == 409 and revived.json()["reason"] == "status-conflict"
        # List-based: the asker's own cache of the issuer's lists (at most TTL old).
        for state in STATES:
            credential = case["licences"][state]["credential"]
            checked = http.post(
                f"{url}/licences/credentials/verify", json={"credential": credential}
            )
            assert checked.status_code == 200, (state, checked.text)
            assert checked.json()["status"] == EXPECTED[state], (state, checked.json())


def test_a_suspension_reaches_list_based_verifiers_within_the_ttl(
    licence_cluster: Cluster, matrix: dict
) -> None:
    """A asks once (caching B's list), B suspends, A's list-based answer changes within TTL."""
    asker, issuer, kind = "330000", "340000", "resident"
    case, url = matrix[(asker, issuer, kind)], licence_cluster.url(asker)
    valid = case["licences"]["valid"]
    with httpx.Client(timeout=30) as http:
        first = http.post(
            f"{url}/licences/credentials/verify", json={"credential": valid["credential"]}
        )
        assert first.json()["status"] == "valid"
        suspended = change(
            http, licence_cluster.url(issuer), case["token"], valid["identifier"], "suspend"
        )
        assert suspended.status_code == 200
        started, seen = time.monotonic(), "valid"
        while seen == "valid" and time.monotonic() - started < TTL_SECONDS + 3:
            seen = http.post(
                f"{url}/licences/credentials/verify", json={"credential": valid["credential"]}
            ).json()["status"]
            time.sleep(0.2)
        assert seen == "suspended"
        assert time.monotonic() - started <= TTL_SECONDS + 1.5
        change(http, licence_cluster.url(issuer), case["token"], valid["identifier"], "resume")


def test_verify_credential_cli(licence_cluster: Cluster, matrix: dict, tmp_path: Any) -> None:
    case = matrix[("310000", "320000", "company")]
    path = tmp_path / "credential.jwt"
    path.write_text(case["licences"]["revoked"]["credential"])
    result = licence_cluster.run_cli(
        "licence", "verify-credential", "--region", "310000", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "revoked"
    header, payload, signature = case["licences"]["valid"]["credential"].split(".")
    path.write_text(f"{header}.{payload}.{signature[:-4]}AAAA")
    forged = licence_cluster.run_cli(
        "licence", "verify-credential", "--region", "310000", str(path)
    )
    assert forged.returncode == 1
    assert json.loads(forged.stdout)["genuine"] is False


def test_window_staff_verify_the_applicants_licences_under_the_same_consent(
    licence_cluster: Cluster,
) -> None:
    """The applicant sees the licences and fields on the consent page; the window then checks
    them with the issuing (home) region under that consent, once per licence."""
    from tests.interregion.cases_support import cluster_token
    from tests.interregion.flows import consent as agree
    from tests.interregion.flows import log_in

    home, window = "330000", "310000"
    applicant = Browser()
    try:
        page = applicant.get(f"{licence_cluster.url(home)}/idp/window?to={window}")
        page = log_in(applicant, page, person(home, "resident"))
        shown = page.table("window-licences")
        assert "机动车驾驶证" in shown and "户口簿" not in shown  # not mutually recognised
        code = agree(applicant, page, share_full_id=False).text_of("window-code")
    finally:
        applicant.close()
    # The window API is for window staff (interregion/staff): the window clerk's API token.
    staff = {"Authorization": f"Bearer {cluster_token(licence_cluster, window, 'clerk')}"}
    with httpx.Client(timeout=30) as http:
        found = http.post(f"{licence_cluster.url(window)}/window/identity-assertions",
                          json={"home": home, "code": code}, headers=staff)  # fmt: skip
        assert found.status_code == 200, found.text
        identity = found.json()
        names = {item["name"]: item["identifier"] for item in identity["licences"]}
        assert "机动车驾驶证" in names and identity["licence_consent"].count(".") == 2
        # The demo 居民身份证 (the matrix issues more driving licences to the same person).
        answer = verify(http, licence_cluster.url(window), licence=names["居民身份证"],
                        scenario="window-identity", consent=identity["licence_consent"],
                        service="专窗")  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (
            body["status"] == "valid"
            and body["fields"]["holder_name"] == person(home, "resident").name
        )
        assert "holder_code" not in body["fields"]  # the window scenario gets the masked code
        again = verify(http, licence_cluster.url(window), licence=names["居民身份证"],
                       scenario="window-identity", consent=identity["licence_consent"])  # fmt: skip
        assert again.json()["reason"] == "consent-reused"
    assert licence_cluster.last_audit(home, "licence-verification.answered")["peer"] == window
    assert licence_cluster.last_audit(window, "licence-verification.accepted")["peer"] == home


def test_the_window_desk_checks_a_licence(licence_cluster: Cluster) -> None:
    from tests.interregion.cases_support import staff_login
    from tests.interregion.flows import consent as agree
    from tests.interregion.flows import log_in
    from tests.interregion.licence_flows import form_index

    home, window = "320000", "340000"
    applicant, desk = Browser(), Browser()
    try:
        page = applicant.get(f"{licence_cluster.url(home)}/idp/window?to={window}")
        page = log_in(applicant, page, person(home, "company"))
        code = agree(applicant, page, share_full_id=False).text_of("window-code")
        # The desk is for window staff (interregion/staff): the window's demo clerk.
        staff_login(desk, licence_cluster.url(window), window, "clerk", next_path="/window")
        page = desk.get(f"{licence_cluster.url(window)}/window")
        page = desk.submit(page, home=home, code=code)
        assert page.status == 200 and "营业执照" in page.text, page.text[:1500]
        result = desk.submit(page, form_index(page, "//form[@class='licence-check'][1]"))
        assert result.status == 200, result.text[:1500]
        assert result.text_of("licence-status") == "valid"
    finally:
        applicant.close()
        desk.close()
