"""CORS on the API: pages of other sites read anonymously; writes and tokens only from
the sites an operator names (DELTA_CORS_WRITE_ORIGINS); never credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from delta.settings import Settings, load_settings
from tests.support.inprocess_portal import portal_client, portal_settings, sysadmin_token

ELSEWHERE = "https://journalist.example"
PUBLISHER = "https://publisher.example"
SEARCH = "/api/3/action/package_search"
CREATE = "/api/3/action/package_create"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cors")


@pytest.fixture(scope="module")
def settings(home: Path) -> Settings:
    return portal_settings(home, cors_write_origins=f"{PUBLISHER}/")


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with portal_client(settings) as client:
        yield client


@pytest.fixture(scope="module")
def token(settings: Settings) -> str:
    return sysadmin_token(settings)


def preflight(client: TestClient, path: str, origin: str, method: str, headers: str = ""):  # type: ignore[no-untyped-def]
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=asked)


def test_any_site_reads_anonymously(client: TestClient) -> None:
    answer = client.get(SEARCH, params={"q": "x"}, headers={"Origin": ELSEWHERE})
    assert answer.json()["success"] is True
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Origin" in answer.headers["vary"]
    assert "access-control-allow-credentials" not in answer.headers


def test_a_json_post_to_a_read_action_is_preflighted_and_allowed(client: TestClient) -> None:
    asked = preflight(client, SEARCH, ELSEWHERE, "POST", "Content-Type")
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == "*"
    assert "POST" in asked.headers["access-control-allow-methods"]
    assert "content-type" in asked.headers["access-control-allow-headers"]
    assert "authorization" not in asked.headers["access-control-allow-headers"]
    assert int(asked.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in asked.headers
    answer = client.post(SEARCH, json={"q": "x"}, headers={"Origin": ELSEWHERE})
    assert answer.json()["success"] is True
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("path", "method", "headers", "says"),
    [
        (CREATE, "POST", "Content-Type", "DELTA_CORS_WRITE_ORIGINS"),
        ("/api/action/package_delete", "POST", "", "DELTA_CORS_WRITE_ORIGINS"),
        (SEARCH, "POST", "Content-Type, Authorization", "authorization"),
        (SEARCH, "GET", "X-CKAN-API-Key", "x-ckan-api-key"),
        (SEARCH, "DELETE", "", "DELETE"),
    ],
)
def test_other_sites_may_not_write_or_send_tokens(
    client: TestClient, path: str, method: str, headers: str, says: str
) -> None:
    asked = preflight(client, path, ELSEWHERE, method, headers)
    assert asked.status_code == 403
    assert asked.headers["content-type"] == "application/problem+json"
    assert says in asked.json()["detail"]
    assert "access-control-allow-origin" not in asked.headers


def test_a_write_answer_carries_no_permission_for_other_sites(
    client: TestClient, token: str
) -> None:
    answer = client.post(CREATE, json={"name": "nope"}, headers={"Origin": ELSEWHERE})
    assert "access-control-allow-origin" not in answer.headers
    with_token = client.get(SEARCH, headers={"Origin": ELSEWHERE, "Authorization": token})
    assert "access-control-allow-origin" not in with_token.headers


def test_a_named_site_writes_with_a_token(client: TestClient, token: str) -> None:
    asked = preflight(client, CREATE, PUBLISHER, "POST", "authorization,content-type")
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == PUBLISHER
    assert "authorization" in asked.headers["access-control-allow-headers"]
    headers = {"Origin": PUBLISHER, "Authorization": token}
    org = client.post(
        "/api/3/action/organization_create",
        json={"name": "cors-org", "title": "跨域局", "region_code": "310000"},
        headers=headers,
    )
    assert org.json()["success"] is True
    created = client.post(
        CREATE, json={"name": "cors-dataset", "owner_org": "cors-org"}, headers=headers
    )
    assert created.json()["success"] is True
    assert created.headers["access-control-allow-origin"] == PUBLISHER
    assert "access-control-allow-credentials" not in created.headers


def test_downloads_and_descriptors_are_readable_elsewhere(client: TestClient) -> None:
    answer = client.get("/dataset/cors-dataset/datapackage.json", headers={"Origin": ELSEWHERE})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Content-Disposition" in answer.headers["access-control-expose-headers"]
    asked = preflight(client, "/dataset/x/resource/y/download/z.csv", ELSEWHERE, "GET", "Range")
    assert asked.status_code == 204


def test_pages_and_answers_without_origin(client: TestClient) -> None:
    assert (
        "access-control-allow-origin" not in client.get("/", headers={"Origin": ELSEWHERE}).headers
    )
    plain = client.get(SEARCH)
    assert "access-control-allow-origin" not in plain.headers
    assert "Origin" in plain.headers["vary"]  # a cache must not give this one to a page elsewhere


def test_cors_can_be_switched_off_or_narrowed(home: Path) -> None:
    for value, allowed in (("", False), ("https://one.example", True)):
        settings = portal_settings(home, cors_origins=value)
        with portal_client(settings) as client:
            answer = client.get(SEARCH, headers={"Origin": "https://one.example"})
            other = client.get(SEARCH, headers={"Origin": ELSEWHERE})
            assert ("access-control-allow-origin" in answer.headers) is allowed
            assert "access-control-allow-origin" not in other.headers
            if allowed:
                assert answer.headers["access-control-allow-origin"] == "https://one.example"
            assert preflight(client, SEARCH, ELSEWHERE, "POST").status_code == 403


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("cors_write_origins", "*"),
        ("cors_origins", "*, https://a.example"),
        ("cors_origins", "javascript:alert(1)"),
        ("cors_write_origins", "https://a.example/path"),
    ],
)
def test_settings_refuse_what_is_not_a_list_of_origins(variable: str, value: str) -> None:
    with pytest.raises(ValidationError):
        load_settings(**{variable: value})
