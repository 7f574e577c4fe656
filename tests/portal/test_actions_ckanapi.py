"""A few of the page actions through the real ``ckanapi`` client (RemoteCKAN) against a
served portal on SQLite and PostgreSQL: results as CKAN shapes them, refusals as the
exceptions ckanapi raises for CKAN's error types."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import pytest

from tests.portal.conftest import Deployment


def _remote(deployment: Deployment, role: str | None = None) -> ckanapi.RemoteCKAN:
    key = deployment.tokens[role] if role else None
    return ckanapi.RemoteCKAN(deployment.url, apikey=key, user_agent="delta-tests")


@pytest.fixture
def editor(deployment: Deployment) -> Iterator[ckanapi.RemoteCKAN]:
    with _remote(deployment, "editor") as remote:
        yield remote


def test_autocomplete_and_revise_through_ckanapi(
    deployment: Deployment, editor: ckanapi.RemoteCKAN
) -> None:
    name = deployment.new_name("ckanapi-revise")
    editor.action.package_create(
        name=name, owner_org="perm-org", notes="旧", resources=[{"url": "https://example.org/a"}]
    )
    with _remote(deployment) as anonymous:
        found = anonymous.action.package_autocomplete(q=name)
        assert found == [
            {"name": name, "title": "", "match_field": "name", "match_displayed": name}
        ]
        revised = editor.action.package_revise(
            match={"name": name, "notes": "旧"},
            update__resources__0__description="第一个",
            update={"notes": "新"},
        )
        assert revised["package"]["notes"] == "新"
        assert revised["package"]["resources"][0]["description"] == "第一个"
        with pytest.raises(ckanapi.ValidationError) as mismatch:
            editor.action.package_revise(match={"name": name, "notes": "旧"})
        assert mismatch.value.error_dict["match"] == ["notes"]
        with pytest.raises(ckanapi.NotAuthorized):
            anonymous.action.package_revise(match={"name": name}, update={"notes": "x"})
        with pytest.raises(ckanapi.NotFound):
            anonymous.action.tag_show(id="no-such-tag-at-all")


def test_bulk_and_collaborators_through_ckanapi(
    deployment: Deployment, editor: ckanapi.RemoteCKAN
) -> None:
    name = deployment.new_name("ckanapi-bulk")
    package = editor.action.package_create(name=name, owner_org="perm-org")
    editor.action.bulk_update_private(org_id="perm-org", datasets=[package["id"]])
    with _remote(deployment, "outsider") as outsider, _remote(deployment, "org_admin") as admin:
        with pytest.raises(ckanapi.NotAuthorized):
            outsider.action.package_show(id=name)
        assert outsider.action.package_search(q=f"name:{name}", include_private=True)["count"] == 0
        admin.action.package_collaborator_create(
            id=name, user_id="outsider-user", capacity="member"
        )
        assert outsider.action.package_show(id=name)["private"] is True
        assert outsider.action.package_search(q=f"name:{name}", include_private=True)["count"] == 1
        listed = admin.action.package_collaborator_list(id=name)
        assert [c["capacity"] for c in listed] == ["member"]
        with pytest.raises(ckanapi.NotAuthorized):
            outsider.action.bulk_update_public(org_id="perm-org", datasets=[package["id"]])
        admin.action.package_collaborator_delete(id=name, user_id="outsider-user")
        with pytest.raises(ckanapi.NotAuthorized):
            outsider.action.package_show(id=name)
