"""``/api/docs`` and ``/api/redoc`` of the portal and of a region node ask nothing of any
origin but ours (they work offline), and everything they reference loads."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from lxml import html

PAGES = ("/api/docs", "/api/redoc")
REFERENCE_ATTRIBUTES = ("src", "href", "data-openapi-url", "spec-url")


@pytest.fixture(params=["portal_app", "node_app"])
def client(request: pytest.FixtureRequest) -> TestClient:
    return request.getfixturevalue(request.param)


def references(page: str) -> list[str]:
    tree = html.fromstring(page)
    return [value for attribute in REFERENCE_ATTRIBUTES for value in tree.xpath(f"//@{attribute}")]


@pytest.mark.parametrize("path", PAGES)
def test_the_page_references_only_our_origin(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    found = references(page.text)
    assert len(found) >= 3, found
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in found), found
    assert not re.search(r"(https?:)?//[a-z0-9]", page.text, re.IGNORECASE), page.text
    assert "<script>" not in page.text  # only scripts from files (a CSP with 'self' holds)
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy


@pytest.mark.parametrize("path", PAGES)
def test_what_the_page_references_loads(client: TestClient, path: str) -> None:
    kinds = set()
    for ref in references(client.get(path).text):
        answer = client.get(ref)
        assert answer.status_code == 200, ref
        assert answer.content, ref
        kinds.add(answer.headers["content-type"].split(";")[0])
    assert {"text/javascript", "application/json", "image/png"} <= kinds


def test_the_start_script_names_no_other_origin(client: TestClient) -> None:
    scripts = html.fromstring(client.get("/api/docs").text).xpath("//script/@src")
    ours = [src for src in scripts if not src.startswith("/static/vendor/")]
    assert len(ours) == 1
    script = client.get(ours[0]).text
    assert "SwaggerUIBundle(" in script
    assert "validatorUrl: null" in script  # the default sends our document to swagger.io
    assert not re.search(r"https?://", script)


@pytest.mark.parametrize(("asked", "lands"), [("/docs", "/api/docs"), ("/redoc", "/api/redoc")])
def test_the_usual_addresses_lead_there(client: TestClient, asked: str, lands: str) -> None:
    answer = client.get(asked, follow_redirects=False)
    assert answer.status_code in (302, 307)
    assert answer.headers["location"] == lands


def test_the_openapi_document_is_where_the_pages_say(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
