"""Bad input gets CKAN's errors and changes nothing (checked by counting afterwards)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.portal.conftest import Deployment


def catalog_state(deployment: Deployment) -> tuple[int, list[str]]:
    admin = deployment.api("sysadmin")
    names = admin.post("package_list", {"include_private": True, "include_drafts": True}).result
    orgs = admin.post("organization_list", {}).result
    admin.close()
    return len(names), orgs


@pytest.fixture
def unchanged(deployment: Deployment):  # type: ignore[no-untyped-def]
    before = catalog_state(deployment)
    yield
    assert catalog_state(deployment) == before, "bad input changed the catalog"


def post_raw(
    deployment: Deployment, action: str, content: bytes, content_type: str
) -> httpx.Response:
    return httpx.post(
        f"{deployment.url}/api/3/action/{action}",
        content=content,
        headers={"Content-Type": content_type, "Authorization": deployment.tokens["sysadmin"]},
        timeout=60,
    )


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"name": "x"', b"[1, 2, 3]", b'"a string"', b"\xff\xfe\xfa", b"[" * 100_000],
    ids=["broken", "truncated", "list", "string", "binary", "deep-nesting"],
)
def test_malformed_json(deployment: Deployment, body: bytes) -> None:
    response = post_raw(deployment, "package_create", body, "application/json")
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["success"] is False
    assert envelope["error"]["__type"] == "Bad Request"


@pytest.mark.usefixtures("unchanged")
def test_unknown_action(deployment: Deployment) -> None:
    answer = deployment.api().post("package_explode", {})
    assert answer.status == 400
    assert "Action name not known" in answer.error["message"]


@pytest.mark.usefixtures("unchanged")
def test_write_action_over_get_is_refused(deployment: Deployment) -> None:
    answer = deployment.api("sysadmin").get("package_create", name="via-get", owner_org="perm-org")
    assert answer.status == 400
    assert "POST" in answer.error["message"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "UPPER", "owner_org": "perm-org"}, "name"),
        ({"name": "a", "owner_org": "perm-org"}, "name"),
        ({"name": "x" * 101, "owner_org": "perm-org"}, "name"),
        ({"name": "bad name!", "owner_org": "perm-org"}, "name"),
        ({"name": "ok-name-1", "owner_org": "perm-org", "title": "长" * 10_000}, "title"),
        ({"name": "ok-name-2", "owner_org": "perm-org", "title": ["list"]}, "title"),
        ({"name": "ok-name-3", "owner_org": "perm-org", "private": "maybe"}, "private"),
        ({"name": "ok-name-4", "owner_org": "perm-org", "tags": "not-a-list"}, "tags"),
        ({"name": "ok-name-5", "owner_org": "perm-org", "tags": [{"name": "x"}]}, "tags"),
        (
            {"name": "ok-name-6", "owner_org": "perm-org", "resources": [{}, {"size": -1}]},
            "resources",
        ),
        ({"name": "ok-name-7", "owner_org": "perm-org", "region_code": "31000X"}, "region_code"),
        ({"name": "ok-name-8", "owner_org": "perm-org", "open_class": "sort-of"}, "open_class"),
        ({"name": "ok-name-9", "owner_org": "perm-org", "theme": "不存在"}, "theme"),
        (
            {"name": "ok-name-10", "owner_org": "perm-org", "temporal_start": "yesterday"},
            "temporal_start",
        ),
        ({"name": "ok-name-11", "owner_org": "no-such-org"}, "owner_org"),
        ({"name": "ok-name-12"}, "owner_org"),
        ({"name": "ok-name-13", "owner_org": "perm-org", "notes": "abc\x00def"}, "notes"),
        ({"name": "ok-name-14", "owner_org": "perm-org", "title": "bell\x07"}, "title"),
        (
            {
                "name": "ok-name-15",
                "owner_org": "perm-org",
                "extras": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}],
            },
            "extras",
        ),
        (
            {
                "name": "ok-name-16",
                "owner_org": "perm-org",
                "extras": [{"key": "title", "value": "x"}],
            },
            "extras",
        ),
        ({"owner_org": "perm-org"}, "name"),
    ],
)
def test_validation_errors(deployment: Deployment, data: dict[str, Any], field: str) -> None:
    answer = deployment.api("sysadmin").post("package_create", data)
    assert answer.status == 409, answer.body
    error = answer.error
    assert error["__type"] == "Validation Error"
    assert field in error, error
    messages = error[field]
    assert messages and isinstance(messages, list)


@pytest.mark.usefixtures("unchanged")
def test_duplicate_name_and_partial_write(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    name = deployment.new_name()
    assert admin.post("package_create", {"name": name, "owner_org": "perm-org"}).ok
    again = admin.post("package_create", {"name": name, "owner_org": "perm-org"})
    assert again.status == 409
    assert again.error["name"] == ["That URL is already in use."]
    # A valid dataset with one bad resource must not be half-written.
    broken = admin.post(
        "package_update",
        {"id": name, "title": "new title", "resources": [{"url": "http://a"}, {"size": "huge"}]},
    )
    assert broken.status == 409
    shown = admin.post("package_show", {"id": name}).result
    assert shown["title"] == "" and shown["resources"] == []
    assert admin.post("package_delete", {"id": name}).ok


def test_oversize_body(deployment: Deployment) -> None:
    huge = b'{"name": "big", "notes": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    response = post_raw(deployment, "package_create", huge, "application/json")
    assert response.status_code == 413
    assert response.json()["success"] is False
    assert deployment.api("sysadmin").post("package_show", {"id": "big"}).status == 404


@pytest.mark.usefixtures("unchanged")
def test_null_bytes_everywhere(deployment: Deployment) -> None:
    api = deployment.api("sysadmin")
    assert api.post("package_show", {"id": "abc\x00"}).status == 409
    assert api.get("package_show", id="abc\x00").status == 409
    assert api.post("organization_create", {"name": "nul-org", "title": "a\x00b"}).status == 409
    assert api.post("package_search", {"q": "\x00"}).status in (400, 409)


@pytest.mark.usefixtures("unchanged")
def test_wrong_types_in_read_actions(deployment: Deployment) -> None:
    api = deployment.api()
    assert api.post("package_show", {"id": ["a", "b"]}).status == 409
    assert api.post("package_show", {}).status == 409
    assert api.post("package_list", {"limit": "lots"}).status == 409
    assert api.post("package_list", {"offset": -5}).status == 409
    assert api.post("current_package_list_with_resources", {"limit": 10**9}).status == 409
    assert api.post("organization_show", {"id": {"$ne": 1}}).status == 409
    assert api.post("package_show", {"id": "does-not-exist"}).status == 404


@pytest.mark.usefixtures("unchanged")
def test_invalid_token_is_refused_not_ignored(deployment: Deployment) -> None:
    api = deployment.api()
    api.client.headers["Authorization"] = "dlt_forged-token"
    answer = api.post("package_create", {"name": "forged", "owner_org": "perm-org"})
    assert answer.status == 403
    api.client.headers["Authorization"] = deployment.tokens["editor"] + "x"
    assert api.post("package_list", {}).status == 403


@pytest.mark.usefixtures("unchanged")
def test_form_and_multipart_bodies(deployment: Deployment) -> None:
    response = post_raw(deployment, "package_show", b"id=%00", "application/x-www-form-urlencoded")
    assert response.status_code == 409
    response = httpx.post(
        f"{deployment.url}/api/3/action/package_create",
        data={"name": "MULTI bad", "owner_org": "perm-org"},
        files={"unrelated": ("a.txt", b"x")},
        headers={"Authorization": deployment.tokens["sysadmin"]},
    )
    assert response.status_code == 409


def _json_post(deployment: Deployment, action: str, body: str) -> httpx.Response:
    """JSON exactly as written (escapes such as \\ud800 stay escapes on the wire)."""
    return post_raw(deployment, action, body.encode("ascii"), "application/json")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("package_create", '{"name": "surrogate-a", "owner_org": "perm-org", "title": "a\\ud800"}'),
        ("package_create", '{"name": "surrogate-b", "owner_org": "perm-org", "notes": "\\udfff"}'),
        (
            "package_create",
            '{"name": "surrogate-c", "owner_org": "perm-org", '
            '"extras": [{"key": "k\\ud800", "value": "v"}]}',
        ),
        ("package_create", '{"name": "surrogate-d", "owner_org": "perm-org", "\\ud800": 1}'),
        ("package_show", '{"id": "\\ud800"}'),
        ("package_search", '{"q": "\\ud83d"}'),
        ("package_search", '{"fq": "title:\\udc00"}'),
    ],
)
def test_lone_surrogates_are_refused(deployment: Deployment, action: str, body: str) -> None:
    """Valid JSON, but not text any database stores: a clear 409, not a 500."""
    response = _json_post(deployment, action, body)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["__type"] == "Validation Error"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_not_json(deployment: Deployment, number: str) -> None:
    body = f'{{"name": "nan-{abs(hash(number))}", "owner_org": "perm-org", "extras_x": {number}}}'
    response = _json_post(deployment, "package_create", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["__type"] == "Bad Request"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("package_list", {"limit": 10**30}),
        ("package_list", {"offset": 10**30}),
        ("current_package_list_with_resources", {"offset": 10**20}),
        ("current_package_list_with_resources", {"page": 10**20}),
        ("organization_list", {"limit": 5, "offset": 10**20}),
        ("data_application_list", {"offset": 10**20}),
    ],
)
def test_huge_numbers_are_validation_errors(
    deployment: Deployment, action: str, data: dict[str, Any]
) -> None:
    answer = deployment.api("sysadmin").post(action, data)
    assert answer.status == 409, answer.body
    assert answer.error_type == "Validation Error"


def test_huge_numbers_in_writes_change_nothing(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    package = admin.post(
        "package_create", {"name": deployment.new_name("huge"), "owner_org": "perm-org"}
    ).result
    for size in (2**63, 10**30):
        answer = admin.post(
            "resource_create", {"package_id": package["id"], "url": "http://a", "size": size}
        )
        assert answer.status == 409, answer.body
        assert "size" in answer.error
    assert admin.post("package_show", {"id": package["id"]}).result["resources"] == []
    # Beyond the year 9999: an expiry that cannot exist.
    token = admin.post(
        "api_token_create", {"user": "sysadmin-user", "name": "forever", "expires_in": 10_000_000}
    )
    assert token.status == 409, token.body
    assert "expires_in" in token.error
    names = [t["name"] for t in admin.post("api_token_list", {"user": "sysadmin-user"}).result]
    assert "forever" not in names
    decided = admin.post(
        "data_application_decide",
        {
            "id": "no-such-application",
            "decision": "approve",
            "expires_at": "9999-12-31T23:59-05:00",
        },
    )
    assert decided.status == 409, decided.body
    assert "expires_at" in decided.error
    admin.close()


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("value", ["abc\\u0000", "abc\\ud800"], ids=["nul", "surrogate"])
def test_json_inside_a_form_is_checked_too(deployment: Deployment, value: str) -> None:
    """CKAN accepts a JSON document posted as the single key of a form; the text checks
    must apply to it as to any other body."""
    document = f'{{"name": "form-json", "owner_org": "perm-org", "title": "{value}"}}'
    body = quote(document).encode("ascii")
    response = post_raw(deployment, "package_create", body, "application/x-www-form-urlencoded")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["__type"] == "Validation Error"
