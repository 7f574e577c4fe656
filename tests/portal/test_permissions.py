"""Permissions against a real server, beyond the access table: nothing hidden leaks
through any list, search or dump; membership management; sysadmin-only actions;
accounts and tokens; activity history; leaving an organisation.

Who may read, have the data of, write and delete each kind of dataset is the access
table (tests/support/access_table.py), checked on every path by
tests/portal/test_access_matrix.py and rule by rule by tests/datasets/test_policy.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.conftest import Deployment
from tests.support.access_table import KIND
from tests.support.ckan import Api

KINDS = ("public", "private", "draft", "deleted", "closed")
# The kinds anonymous callers may not read, by the table.
HIDDEN = tuple(kind for kind in KINDS if "anonymous" not in KIND[kind].read)


def make_dataset(deployment: Deployment, kind: str) -> dict[str, Any]:
    admin = deployment.api("sysadmin")
    data: dict[str, Any] = {
        "name": deployment.new_name(kind),
        "title": f"权限测试 {kind} secret-{kind}",
        "owner_org": "perm-org",
        "notes": f"marker-{kind}-notes",
        "tags": [{"name": f"tag-{kind}-only"}],
        "resources": [{"url": "https://example.invalid/a.csv", "name": f"res-{kind}"}],
    }
    if kind == "private":
        data["private"] = True
    if kind == "draft":
        data["state"] = "draft"
    if kind == "closed":
        data["open_class"] = "closed"
    created = admin.post("package_create", data).result
    if kind == "deleted":
        assert admin.post("package_delete", {"id": created["id"]}).ok
    admin.close()
    return created


@pytest.fixture(scope="module")
def datasets(deployment: Deployment) -> dict[str, dict[str, Any]]:
    return {kind: make_dataset(deployment, kind) for kind in KINDS}


@pytest.mark.parametrize("role", (None, "outsider"), ids=lambda r: r or "anonymous")
def test_no_leak_through_any_read_action(
    deployment: Deployment, datasets: dict[str, dict[str, Any]], role: str | None
) -> None:
    """Private, draft, deleted and closed datasets appear in no list, search or dump."""
    api = deployment.api(role)
    hidden = {kind: datasets[kind] for kind in HIDDEN}
    reads = [
        api.post("package_list", {"include_private": True, "include_drafts": True}),
        api.get("package_list"),
        api.post("current_package_list_with_resources", {"limit": 1000}),
        api.post(
            "package_search",
            {
                "q": "权限测试",
                "include_private": True,
                "include_drafts": True,
                "include_deleted": True,
                "rows": 1000,
            },
        ),
        api.post("package_search", {"q": "*:*", "include_private": True, "rows": 1000}),
        api.post("package_search", {"fq": "tags:tag-private-only", "include_private": True}),
        api.post("organization_show", {"id": "perm-org", "include_datasets": True}),
        api.post("tag_list", {}),
        api.post("organization_list", {"all_fields": True}),
    ]
    for answer in reads:
        assert answer.ok, answer.body
        text = str(answer.body)
        for kind, dataset in hidden.items():
            assert dataset["name"] not in text, f"{kind} dataset leaked: {answer.body}"
            assert dataset["id"] not in text
            assert f"secret-{kind}" not in text
            assert f"tag-{kind}-only" not in text
    # The public one is there, so the reads above did see data.
    assert datasets["public"]["name"] in str(reads[0].body)


def test_members_see_private_in_lists(
    deployment: Deployment, datasets: dict[str, dict[str, Any]]
) -> None:
    api = deployment.api("member")
    names = api.post("package_list", {"include_private": True, "include_drafts": True}).result
    assert datasets["private"]["name"] in names
    assert datasets["draft"]["name"] in names
    assert datasets["deleted"]["name"] not in names
    assert datasets["private"]["name"] not in api.post("package_list", {}).result
    found = api.post(
        "package_search", {"q": "权限测试", "include_private": True, "rows": 100}
    ).result
    assert datasets["private"]["name"] in {r["name"] for r in found["results"]}


def test_membership_management(deployment: Deployment) -> None:
    """Org admins manage members; editors and members may not, and cannot promote themselves."""
    for role in ("editor", "member", "outsider", None):
        answer = deployment.api(role).post(
            "organization_member_create",
            {"id": "perm-org", "username": "member-user", "role": "admin"},
        )
        assert answer.status == 403, (role, answer.body)
    shown = deployment.api("org_admin").post("organization_show", {"id": "perm-org"}).result
    assert {u["name"]: u["capacity"] for u in shown["users"]}["member-user"] == "member"
    admin = deployment.api("org_admin")
    assert admin.post(
        "organization_member_create",
        {"id": "perm-org", "username": "outsider-user", "role": "member"},
    ).ok
    assert admin.post(
        "organization_member_delete", {"id": "perm-org", "username": "outsider-user"}
    ).ok
    # An org admin of perm-org has no power over other-org.
    assert (
        admin.post(
            "organization_member_create",
            {"id": "other-org", "username": "member-user", "role": "admin"},
        ).status
        == 403
    )
    assert admin.post("organization_update", {"id": "other-org", "title": "hijacked"}).status == 403
    # Editors cannot move datasets into an organisation they do not edit.
    dataset = make_dataset(deployment, "public")
    moved = deployment.api("editor").post(
        "package_patch", {"id": dataset["id"], "owner_org": "other-org"}
    )
    assert moved.status == 403
    # Member lists are not shown to outsiders.
    assert (
        "users"
        not in deployment.api("outsider").post("organization_show", {"id": "perm-org"}).result
    )


def test_sysadmin_only_actions(deployment: Deployment) -> None:
    for role in (None, "org_admin", "editor"):
        api = deployment.api(role)
        assert api.post("organization_create", {"name": deployment.new_name("org")}).status == 403
        assert api.post("group_create", {"name": deployment.new_name("grp")}).status == 403
        assert api.post("user_list", {}).status == 403
        assert (
            api.post(
                "user_create",
                {"name": deployment.new_name("u"), "email": "a@b.c", "password": "long-enough-pw"},
            ).status
            == 403
        )


def test_user_show_hides_email_and_hash(deployment: Deployment) -> None:
    shown = (
        deployment.api("outsider")
        .post("user_show", {"id": "editor-user", "include_password_hash": True})
        .result
    )
    assert "email" not in shown
    assert "password_hash" not in str(shown) and "argon2" not in str(shown)
    own = deployment.api("editor").post("user_show", {"id": "editor-user"}).result
    assert own["email"] == "editor@example.org"


def test_user_show_counts_only_datasets_the_viewer_may_see(deployment: Deployment) -> None:
    """number_created_packages must not reveal that hidden datasets exist (as CKAN)."""
    editor, outsider = deployment.api("editor"), deployment.api("outsider")

    def counts() -> tuple[int, int]:
        return (
            outsider.post("user_show", {"id": "editor-user"}).result["number_created_packages"],
            editor.post("user_show", {"id": "editor-user"}).result["number_created_packages"],
        )

    before = counts()
    for extra in ({"private": True}, {"open_class": "closed"}, {"state": "draft"}):
        data = {"name": deployment.new_name("counted"), "owner_org": "perm-org", **extra}
        assert editor.post("package_create", data).ok
    assert counts() == (before[0], before[1] + 3)
    public = {"name": deployment.new_name("counted"), "owner_org": "perm-org"}
    assert editor.post("package_create", public).ok
    assert counts() == (before[0] + 1, before[1] + 4)


def test_activity_from_before_a_dataset_was_published(deployment: Deployment) -> None:
    """A version recorded while the dataset was private stays with those who could read
    it then (CKAN 2.10 keeps permission labels on each activity for this)."""
    admin = deployment.api("sysadmin")
    package = admin.post(
        "package_create",
        {
            "name": deployment.new_name("published"),
            "owner_org": "perm-org",
            "private": True,
            "notes": "internal-draft-note: not for the public",
        },
    ).result
    assert admin.post("package_patch", {"id": package["id"], "private": False, "notes": "公开"}).ok
    for role in (None, "outsider"):
        api = deployment.api(role)
        activity = api.post("package_activity_list", {"id": package["id"]}).result
        assert "internal-draft-note" not in str(activity), role
        assert [a["data"]["package"]["notes"] for a in activity] == ["公开"]
        # Paging counts only what the caller may read.
        assert api.post("package_activity_list", {"id": package["id"], "offset": 1}).result == []
    member = deployment.api("member").post("package_activity_list", {"id": package["id"]}).result
    assert [a["data"]["package"]["notes"] for a in member] == [
        "公开",
        "internal-draft-note: not for the public",
    ]


def test_leaving_the_organisation_ends_access_to_what_you_created(
    deployment: Deployment,
) -> None:
    """As CKAN: a dataset with an organisation is read through membership of it. Being
    its creator counts only for a dataset without one -- otherwise an editor removed
    from the organisation kept its private, draft and closed datasets, and their data."""
    name = deployment.new_name("leaver")
    deployment.server.cli(
        "user", "create", name, "--email", f"{name}@example.org", "--password", "leaver-password"
    )
    token = deployment.server.cli("token", "create", name, "--name", "tests").strip()
    org_admin = deployment.api("org_admin")
    assert org_admin.post(
        "organization_member_create", {"id": "perm-org", "username": name, "role": "editor"}
    ).ok
    leaver = Api(deployment.url, token)
    link = "https://secret.example.invalid/closed.csv"
    created = {
        kind: leaver.post(
            "package_create",
            {
                "name": deployment.new_name(kind),
                "owner_org": "perm-org",
                "notes": f"leaver-{kind}",
                "resources": [{"url": link, "name": "data"}],
                **extra,
            },
        ).result
        for kind, extra in (
            ("private", {"private": True}),
            ("draft", {"state": "draft"}),
            ("closed", {"open_class": "closed"}),
            ("conditional", {"open_class": "conditional", "private": True}),
        )
    }
    assert leaver.post("package_show", {"id": created["closed"]["id"]}).ok
    assert org_admin.post("organization_member_delete", {"id": "perm-org", "username": name}).ok

    for kind, dataset in created.items():
        assert leaver.post("package_show", {"id": dataset["id"]}).status == 403, kind
        resource = dataset["resources"][0]
        assert leaver.post("resource_show", {"id": resource["id"]}).status == 403, kind
        download = leaver.client.get(
            f"/dataset/{dataset['id']}/resource/{resource['id']}/download/link",
            follow_redirects=False,
        )
        assert download.status_code == 403, kind
        descriptor = leaver.client.get(f"/dataset/{dataset['id']}/datapackage.json")
        assert descriptor.status_code == 403, kind
    lists = [
        leaver.post("package_list", {"include_private": True, "include_drafts": True}),
        leaver.post("current_package_list_with_resources", {"limit": 1000}),
        leaver.post(
            "package_search",
            {"q": "leaver", "include_private": True, "include_drafts": True, "rows": 1000},
        ),
    ]
    for answer in lists:
        for dataset in created.values():
            assert dataset["id"] not in str(answer.result)
            assert dataset["name"] not in str(answer.result)
    leaver.close()


def test_api_tokens_are_each_users_own(deployment: Deployment) -> None:
    editor, outsider = deployment.api("editor"), deployment.api("outsider")
    for action, data in (
        ("api_token_create", {"user": "editor-user", "name": "stolen"}),
        ("api_token_list", {"user": "editor-user"}),
    ):
        assert outsider.post(action, data).status == 403, action
    created = editor.post("api_token_create", {"user": "editor-user", "name": "own"}).result
    mine = [t for t in editor.post("api_token_list", {}).result if t["name"] == "own"]
    assert len(mine) == 1 and "token" not in mine[0]
    assert outsider.post("api_token_revoke", {"jti": mine[0]["id"]}).status == 403
    # Revoking by the token itself, as CKAN's api_token_revoke also takes it.
    assert outsider.post("api_token_revoke", {"token": created["token"]}).status == 403
    assert Api(deployment.url, created["token"]).post("package_list", {}).ok
    assert editor.post("api_token_revoke", {"token": created["token"]}).ok
    assert Api(deployment.url, created["token"]).post("package_list", {}).status == 403
