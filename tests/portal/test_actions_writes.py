"""The write actions behind the pages -- user_update|patch|delete, package_revise,
package_owner_org_update, package_collaborator_*, dataset_purge, bulk_update_* --
with CKAN's parameters, results and errors, on SQLite and PostgreSQL, in process;
package_search agrees with every change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.inprocess import LocalPortal, backend_portal

ROLES = {"org_admin": "admin", "editor": "editor", "member": "member"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPortal]:
    with backend_portal(request, tmp_path_factory, "writes", ingest_worker=False) as portal:
        for role in (*ROLES, "outsider", "mover"):
            portal.add_user(role)
        admin = portal.api("sysadmin")
        for org in ("the-org", "elsewhere"):
            assert admin.post("organization_create", {"name": org}).ok
        memberships = [("the-org", role, capacity) for role, capacity in ROLES.items()]
        memberships += [("elsewhere", "outsider", "editor")]
        memberships += [("the-org", "mover", "editor"), ("elsewhere", "mover", "editor")]
        for org, role, capacity in memberships:
            assert admin.post(
                "organization_member_create", {"id": org, "username": role, "role": capacity}
            ).ok
        yield portal


def _dataset(portal: LocalPortal, **fields: Any) -> dict[str, Any]:
    data = {"name": portal.new_name(), "owner_org": "the-org", "notes": "旧说明", **fields}
    created = portal.api("editor").post("package_create", data)
    assert created.ok, created.body
    return dict(created.result)


def _found(portal: LocalPortal, role: str | None, package: dict[str, Any]) -> bool:
    answer = portal.api(role).post(
        "package_search", {"q": f"name:{package['name']}", "include_private": True}
    )
    return bool(answer.result["count"] == 1)


# -- users ------------------------------------------------------------------------------------


def test_user_update_is_yours_and_replaces_fields(portal: LocalPortal) -> None:
    me = portal.api("member")
    assert me.post("user_patch", {"id": "member", "about": "关于我"}).ok
    updated = me.post(
        "user_update", {"id": "member", "email": "m2@example.org", "fullname": "张三"}
    )
    assert updated.result["fullname"] == "张三" and updated.result["email"] == "m2@example.org"
    assert updated.result["about"] == ""  # replaced: not given
    patched = me.post("user_patch", {"id": "member", "about": "数据分析"}).result
    assert (patched["fullname"], patched["about"]) == ("张三", "数据分析")
    # Others' accounts: refused; sysadmin-only fields: refused or ignored.
    for who in (None, "editor"):
        refused = portal.api(who).post("user_patch", {"id": "member", "fullname": "x"})
        assert refused.status == 403 and refused.error_type == "Authorization Error"
    renamed = me.post("user_patch", {"id": "member", "name": "member-renamed"})
    assert renamed.status == 409 and "name" in renamed.error
    assert me.post("user_patch", {"id": "member", "sysadmin": True}).result["sysadmin"] is False
    missing = me.post("user_update", {"id": "member", "fullname": "x"})
    assert missing.status == 409 and missing.error["email"] == ["Missing value"]
    short = me.post("user_patch", {"id": "member", "password": "short"})
    assert short.status == 409 and "password" in short.error
    assert me.post("user_patch", {"id": "nobody-at-all"}).status == 404
    # Nothing of the refused calls was written.
    shown = me.post("user_show", {"id": "member"}).result
    assert (shown["name"], shown["fullname"], shown["sysadmin"]) == ("member", "张三", False)


def test_user_delete_is_for_sysadmins_and_ends_everything(portal: LocalPortal) -> None:
    token = portal.add_user("doomed")
    admin = portal.api("sysadmin")
    assert admin.post(
        "organization_member_create", {"id": "the-org", "username": "doomed", "role": "editor"}
    ).ok
    for who in (None, "org_admin", "doomed"):
        assert portal.api(who).post("user_delete", {"id": "doomed"}).status == 403
    assert admin.post("user_delete", {"id": "doomed"}).ok
    refused = portal.api("doomed").post("package_list", {})
    assert refused.status == 403 and "token" in refused.error["message"]
    assert token  # the token above is the one refused
    members = admin.post("member_list", {"id": "the-org", "object_type": "user"}).result
    doomed_id = admin.post("user_show", {"id": "doomed"}).result["id"]
    assert doomed_id not in {m[0] for m in members}
    assert portal.api("member").post("user_show", {"id": "doomed"}).status == 404
    assert admin.post("user_delete", {"id": "doomed"}).status == 404
    last = admin.post("user_delete", {"id": "writes-admin"})
    assert last.status == 409 and last.error_type == "Validation Error"
    demoted = admin.post("user_patch", {"id": "writes-admin", "sysadmin": False})
    assert demoted.status == 409 and "sysadmin" in demoted.error
    # Sysadmins make others sysadmins (a form's "true" too), and then the last may go.
    portal.add_user("promoted")
    assert admin.post("user_patch", {"id": "promoted", "sysadmin": "true"}).result["sysadmin"]
    promoted = portal.api("promoted")
    assert promoted.post("user_patch", {"id": "writes-admin", "sysadmin": False}).ok
    # No longer a sysadmin: its own "sysadmin" is ignored.
    unchanged = admin.post("user_patch", {"id": "writes-admin", "sysadmin": True})
    assert unchanged.result["sysadmin"] is False
    assert promoted.post("user_patch", {"id": "writes-admin", "sysadmin": True}).ok
    assert admin.post("user_delete", {"id": "promoted"}).ok


# -- package_revise ---------------------------------------------------------------------------


def test_package_revise_match_filter_update_include(portal: LocalPortal) -> None:
    resources = [{"url": f"https://example.org/{n}.csv", "name": n} for n in ("a", "b")]
    package = _dataset(portal, resources=resources)
    editor = portal.api("editor")
    mismatch = editor.post(
        "package_revise",
        {"match": {"id": package["id"], "notes": "别的"}, "update": {"notes": "x"}},
    )
    assert mismatch.status == 409 and mismatch.error["match"] == ["notes"]
    revised = editor.post(
        "package_revise",
        {"match": {"name": package["name"], "notes": "旧说明"}, "update": {"notes": "新说明"}},
    ).result
    assert revised["package"]["notes"] == "新说明"
    # Flattened keys: appending one (first, as CKAN), then the last one by index and
    # another by its id prefix.
    first_id = package["resources"][0]["id"]
    revised = editor.post(
        "package_revise",
        {
            "match__id": package["id"],
            "match__resources__0__name": "a",
            "update__resources__-1__description": "新加的",
            f"update__resources__{first_id[:8]}": {"name": "a2"},
            "update__resources__extend": [{"url": "https://example.org/c.csv", "name": "c"}],
        },
    ).result["package"]
    assert [r["name"] for r in revised["resources"]] == ["a2", "b", "c"]
    assert revised["resources"][2]["description"] == "新加的"
    assert revised["resources"][0]["id"] == first_id  # the same resource, changed
    filtered = editor.post(
        "package_revise",
        {"match": {"id": package["id"]}, "filter": ["-resources__1"], "include": ["-*"]},
    )
    assert filtered.result == {}
    narrowed = editor.post(
        "package_revise",
        {"match": {"id": package["id"]}, "include": "+package__num_resources,-package__*"},
    )
    assert narrowed.result == {"package": {"num_resources": 2}}
    # A form post carries nested values as JSON text.
    form = portal.client.post(
        "/api/3/action/package_revise",
        data={"match": f'{{"id": "{package["id"]}"}}', "update__title": "表单标题"},
        headers={"Authorization": portal.tokens["editor"]},
    )
    assert form.status_code == 200, form.text
    assert form.json()["result"]["package"]["title"] == "表单标题"
    found = portal.api(None).post("package_search", {"q": f"name:{package['name']}"}).result
    assert found["results"][0]["title"] == "表单标题"


def test_package_revise_errors_and_refusals(portal: LocalPortal) -> None:
    package = _dataset(portal, private=True, resources=[{"url": "https://example.org/a.csv"}])
    editor = portal.api("editor")
    assert editor.post("package_revise", {"update": {"notes": "x"}}).error == {
        "__type": "Validation Error",
        "match__id": ["Missing value"],
    }
    unmatched = editor.post(
        "package_revise", {"match__id": package["id"], "update__resources__7__name": "x"}
    )
    assert unmatched.status == 409 and "update__resources__7__name" in unmatched.error
    wrong = editor.post("package_revise", {"match__id": package["id"], "update": ["x"]})
    assert wrong.status == 409
    for who, status in ((None, 403), ("outsider", 403), ("member", 403)):
        refused = portal.api(who).post(
            "package_revise", {"match": {"id": package["id"], "notes": "?"}, "update": {"x": 1}}
        )
        # Refused before matching: the answer tells nothing of the dataset's values.
        assert refused.status == status and "match" not in refused.error, who
    assert editor.post("package_revise", {"match__id": "no-such"}).status == 404
    shown = editor.post("package_show", {"id": package["id"]}).result
    assert shown["notes"] == "旧说明"


# -- package_owner_org_update -----------------------------------------------------------------


def test_package_owner_org_update_moves_and_search_follows(portal: LocalPortal) -> None:
    package = _dataset(portal, private=True)
    assert _found(portal, "member", package)
    assert not _found(portal, "outsider", package)
    refused = portal.api("editor").post(
        "package_owner_org_update", {"id": package["id"], "organization_id": "elsewhere"}
    )
    assert refused.status == 403  # not an editor of elsewhere
    missing = portal.api("mover").post(
        "package_owner_org_update", {"id": package["id"], "organization_id": "no-such-org"}
    )
    assert missing.status == 404
    moved = portal.api("mover").post(
        "package_owner_org_update", {"id": package["id"], "organization_id": "elsewhere"}
    )
    assert moved.ok and moved.result is None
    shown = portal.api("outsider").post("package_show", {"id": package["id"]}).result
    assert shown["organization"]["name"] == "elsewhere"
    assert _found(portal, "outsider", package)
    assert not _found(portal, "member", package)
    assert portal.api("member").post("package_show", {"id": package["id"]}).status == 403


# -- collaborators ----------------------------------------------------------------------------


def test_collaborators_read_then_edit_then_lose_it(portal: LocalPortal) -> None:
    package = _dataset(portal, private=True, tags=[{"name": "协作标签"}])
    outsider = portal.api("outsider")
    admin = portal.api("org_admin")
    ref = {"id": package["id"], "user_id": "outsider"}
    assert outsider.post("package_show", {"id": package["id"]}).status == 403
    for who in ("editor", "member", "outsider", None):
        refused = portal.api(who).post("package_collaborator_create", {**ref, "capacity": "member"})
        assert refused.status == 403, who
    bad = admin.post("package_collaborator_create", {**ref, "capacity": "admin"})
    assert bad.status == 409 and "capacity" in bad.error
    made = admin.post("package_collaborator_create", {**ref, "capacity": "member"}).result
    assert made["package_id"] == package["id"] and made["capacity"] == "member"
    assert set(made) == {"package_id", "user_id", "capacity", "modified"}
    # A member collaborator reads it everywhere, and writes nothing.
    assert outsider.post("package_show", {"id": package["id"]}).ok
    assert _found(portal, "outsider", package)
    names = [
        r["name"] for r in outsider.post("package_autocomplete", {"q": package["name"]}).result
    ]
    assert names == [package["name"]]
    assert outsider.post("tag_show", {"id": "协作标签"}).ok
    assert outsider.post("package_patch", {"id": package["id"], "notes": "x"}).status == 403
    # As an editor it writes too.
    assert admin.post("package_collaborator_create", {**ref, "capacity": "editor"}).ok
    assert outsider.post("package_patch", {"id": package["id"], "notes": "协作者改"}).ok
    listed = admin.post("package_collaborator_list", {"id": package["id"]}).result
    assert [(c["user_id"], c["capacity"]) for c in listed] == [(made["user_id"], "editor")]
    assert (
        admin.post("package_collaborator_list", {"id": package["id"], "capacity": "member"}).result
        == []
    )
    assert outsider.post("package_collaborator_list", {"id": package["id"]}).status == 403
    mine = outsider.post("package_collaborator_list_for_user", {"id": "outsider"}).result
    assert [(c["package_id"], c["capacity"]) for c in mine] == [(package["id"], "editor")]
    for who in (None, "org_admin"):
        others = portal.api(who).post("package_collaborator_list_for_user", {"id": "outsider"})
        assert others.status == 403, who
    assert admin.post("package_collaborator_delete", ref).ok
    assert admin.post("package_collaborator_delete", ref).status == 404
    assert outsider.post("package_show", {"id": package["id"]}).status == 403
    assert not _found(portal, "outsider", package)
    assert outsider.post("tag_show", {"id": "协作标签"}).status == 404


def test_a_collaborator_never_gets_closed_data(portal: LocalPortal) -> None:
    package = _dataset(portal, open_class="closed", resources=[{"url": "https://example.org/x"}])
    resource_id = package["resources"][0]["id"]
    assert (
        portal.api("editor")
        .post("datastore_create", {"resource_id": resource_id, "records": [{"a": 1}]})
        .ok
    )
    ref = {"id": package["id"], "user_id": "outsider", "capacity": "member"}
    assert portal.api("org_admin").post("package_collaborator_create", ref).ok
    outsider = portal.api("outsider")
    assert outsider.post("package_show", {"id": package["id"]}).ok
    assert outsider.post("datastore_search", {"resource_id": resource_id}).status == 403
    assert portal.api("member").post("datastore_search", {"resource_id": resource_id}).ok


# -- dataset_purge ----------------------------------------------------------------------------


def test_dataset_purge_removes_everything_for_sysadmins_only(portal: LocalPortal) -> None:
    package = _dataset(portal, resources=[{"url": "https://example.org/p.csv"}])
    resource_id = package["resources"][0]["id"]
    assert (
        portal.api("editor")
        .post("datastore_create", {"resource_id": resource_id, "records": [{"a": 1}]})
        .ok
    )
    uploaded = portal.client.post(
        "/api/3/action/resource_create",
        data={"package_id": package["id"], "name": "file"},
        files={"upload": ("data.csv", "区县,人口\n徐汇区,1\n".encode())},
        headers={"Authorization": portal.tokens["editor"]},
    )
    assert uploaded.status_code == 200, uploaded.text
    file_url = uploaded.json()["result"]["url"]
    assert portal.client.get(file_url).status_code == 200
    objects = portal.app.state.portal.storage.objects
    stored = {path for path in objects.rglob("*") if path.is_file()}
    for who in (None, "editor", "org_admin"):
        assert portal.api(who).post("dataset_purge", {"id": package["id"]}).status == 403
    admin = portal.api("sysadmin")
    assert admin.post("dataset_purge", {"id": package["name"]}).ok
    assert portal.client.get(file_url).status_code == 404
    # Its stored file is gone, and only its.
    left = {path for path in objects.rglob("*") if path.is_file()}
    assert len(stored - left) == 1 and left <= stored
    assert admin.post("package_show", {"id": package["id"]}).status == 404
    assert admin.post("resource_show", {"id": resource_id}).status == 404
    assert admin.post("datastore_search", {"resource_id": resource_id}).status == 404
    assert not _found(portal, "sysadmin", package)
    assert admin.post("dataset_purge", {"id": package["id"]}).status == 404
    # A deleted dataset stays unknown to those who may not see it.
    gone = _dataset(portal)
    assert portal.api("editor").post("package_delete", {"id": gone["id"]}).ok
    assert portal.api("outsider").post("dataset_purge", {"id": gone["id"]}).status == 404
    assert portal.api("editor").post("dataset_purge", {"id": gone["id"]}).status == 403
    assert admin.post("dataset_purge", {"id": gone["id"]}).ok
    # Its name is free again.
    assert (
        portal.api("editor")
        .post("package_create", {"name": package["name"], "owner_org": "the-org"})
        .ok
    )


def test_a_dataset_with_data_use_applications_is_not_purged(portal: LocalPortal) -> None:
    package = _dataset(portal, open_class="conditional")
    applied = portal.api("outsider").post(
        "data_application_create",
        {
            "package_id": package["id"],
            "purpose": "研究长三角公共服务配置",
            "applicant_organization": "复旦大学",
            "intended_use": "学术研究",
            "agreement_accepted": True,
        },
    )
    assert applied.ok, applied.body
    refused = portal.api("sysadmin").post("dataset_purge", {"id": package["id"]})
    assert refused.status == 409 and refused.error_type == "Validation Error"
    assert portal.api(None).post("package_show", {"id": package["id"]}).ok


# -- bulk_update_* ----------------------------------------------------------------------------


def test_bulk_updates_change_the_orgs_datasets_and_search_follows(portal: LocalPortal) -> None:
    ours = [_dataset(portal) for _ in range(2)]
    theirs = (
        portal.api("outsider")
        .post("package_create", {"name": portal.new_name(), "owner_org": "elsewhere"})
        .result
    )
    ids = [p["id"] for p in ours] + [theirs["id"]]
    for who in (None, "member", "outsider"):
        refused = portal.api(who).post(
            "bulk_update_private", {"org_id": "the-org", "datasets": ids}
        )
        assert refused.status == 403, who
    editor = portal.api("editor")
    assert editor.post("bulk_update_private", {"org_id": "the-org", "datasets": ids}).ok
    for package in ours:
        assert not _found(portal, None, package) and _found(portal, "member", package)
    # Datasets of other organisations are skipped.
    assert portal.api(None).post("package_show", {"id": theirs["id"]}).result["private"] is False
    assert editor.post("bulk_update_public", {"org_id": "the-org", "datasets": ids}).ok
    assert all(_found(portal, None, package) for package in ours)
    assert editor.post("bulk_update_delete", {"org_id": "the-org", "datasets": ids[:1]}).ok
    assert not _found(portal, "member", ours[0]) and _found(portal, None, ours[1])
    assert editor.post("package_show", {"id": ours[0]["id"]}).result["state"] == "deleted"
    assert (
        editor.post("bulk_update_delete", {"org_id": "no-such-org", "datasets": ids}).status == 404
    )
    missing = editor.post("bulk_update_public", {"org_id": "the-org"})
    assert missing.status == 409 and missing.error["datasets"] == ["Missing value"]
