"""Licence steps the tests share: department tokens, issuing over the API, consent at home."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from interregion.identity.demo_people import DemoPerson
from interregion.licences.demo import department_uscc, face_data, holder_of
from standards.licence_types import BY_SLUG
from tests.interregion.browser import Browser, Page
from tests.interregion.flows import log_in, person

# Which demo department issues which types (organisation codes in licences/demo.py).
DEPARTMENT_OF = {
    "driving-licence": "DELTA2001", "resident-id-card": "DELTA2001",
    "household-register": "DELTA2001", "business-licence": "DELTA2002",
    "food-business-licence": "DELTA2002", "teacher-qualification": "DELTA2007",
}  # fmt: skip
# The licence each kind of holder has checked in the end-to-end tests, and for what.
CHECKED = {
    "resident": ("driving-licence", "vehicle-services"),
    "company": ("business-licence", "enterprise-registration"),
}


def department(region: str, slug: str) -> str:
    return department_uscc(region, DEPARTMENT_OF[slug])


def issue(
    client: httpx.Client, base: str, token: str, *, region: str, who: DemoPerson, slug: str,
    valid_from: date | None = None, valid_until: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    licence_type = BY_SLUG[slug]
    name, code = holder_of(who)
    body: dict[str, Any] = {
        "type": licence_type.code, "holder_name": name, "holder_code": code,
        "face_data": face_data(licence_type, who, region),
    }  # fmt: skip
    if valid_from:
        body["valid_from"] = valid_from.isoformat()
    if valid_until:
        body["valid_until"] = valid_until.isoformat()
    answer = client.post(f"{base}/api/licences", json=body, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def change(
    client: httpx.Client, base: str, token: str, identifier: str, action: str
) -> httpx.Response:
    return client.post(
        f"{base}/api/licences/{identifier}/{action}", json={"reason": "test"}, headers=bearer(token)
    )


def holder_login(browser: Browser, base: str, region: str, kind: str) -> Page:
    """Log in at home and land on the holder's licence page."""
    page = browser.get(f"{base}/licences/mine")
    page = log_in(browser, page, person(region, kind))
    assert "/licences/mine" in page.url and page.status == 200, (page.url, page.text[:1500])
    return page


def consent(browser: Browser, base: str, *, to: str, scenario: str, identifiers: list[str]) -> str:
    page = browser.get(f"{base}/licences/mine")
    form = page.form(form_index(page, "//form[@id='consent-form']"))
    answer = browser.client.post(
        form.action, data={**form.fields, "to": to, "scenario": scenario, "licences": identifiers}
    )
    assert answer.status_code == 200, answer.text[:1500]
    token = Page(str(answer.url), answer.status_code, answer.text).text_of("consent-token")
    assert token.count(".") == 2, answer.text[:1500]
    return token


def form_index(page: Page, xpath: str) -> int:
    """The position of the form ``xpath`` finds among the page's forms (for Page.form)."""
    tree = page.tree
    return list(tree.xpath("//form")).index(tree.xpath(xpath)[0])


def verify(client: httpx.Client, base: str, **query: Any) -> httpx.Response:
    return client.post(f"{base}/licences/verifications", json=query)
