"""Open classes over time, against a real server: an applicant before and after
approval, after expiry and after revocation (expectations from the access table,
tests/support/access_table.py, whose every role and kind tests/portal/
test_access_matrix.py checks); closed datasets never leave their organisation.

The conditional dataset has an uploaded CSV (validated, in the DataStore) and a link
whose URL must never reach a caller without access -- not through package_show,
resource_show, package_search (served from the search index), the recent-datasets
list, organisation listings, the activity stream or datapackage.json.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.portal.conftest import Deployment
from tests.publishing.conftest import new_dataset, upload, wait_datastore
from tests.support.access_table import KIND

CONDITIONAL = KIND["conditional"]

SECRET = "https://secret.example.org/restricted/population.csv"
APPLICATION = {
    "purpose": "研究长三角人口流动与公共服务配置",
    "applicant_organization": "复旦大学公共管理学院",
    "intended_use": "学术研究，不对外公开原始数据",
    "agreement_accepted": True,
}


@pytest.fixture(scope="module")
def conditional(site: Deployment) -> dict[str, Any]:
    package = new_dataset(
        site,
        open_class="conditional",
        resources=[{"url": SECRET, "name": "外部链接", "format": "CSV", "download_url": SECRET}],
    )
    content = "区县,人口\n徐汇区,1113078\n黄浦区,662030\n".encode()
    uploaded = upload(site, package["id"], content, "人口.csv").json()["result"]
    wait_datastore(site, uploaded["id"])
    return {"package": package, "link": package["resources"][0], "upload": uploaded}


def _auth(site: Deployment, role: str | None) -> dict[str, str]:
    return {"Authorization": site.tokens[role]} if role else {}


def data_paths(site: Deployment, ds: dict[str, Any], role: str | None) -> dict[str, bool]:
    """For each data-bearing path: did the caller get the data?"""
    headers = _auth(site, role)
    package_id, upload_id, link_id = ds["package"]["id"], ds["upload"]["id"], ds["link"]["id"]
    base = f"{site.url}/dataset/{package_id}/resource"
    api = site.api(role)
    link = httpx.get(f"{base}/{link_id}/download/link", headers=headers, timeout=30)
    sql = f'SELECT count(*) AS n FROM "{upload_id}"'
    return {
        "download": httpx.get(ds["upload"]["url"], headers=headers, timeout=30).status_code == 200,
        "link": link.status_code == 302 and link.headers.get("location") == SECRET,
        "datastore_search": api.post("datastore_search", {"resource_id": upload_id}).ok,
        "datastore_info": api.post("datastore_info", {"id": upload_id}).ok,
        "datastore_search_sql": api.post("datastore_search_sql", {"sql": sql}).ok,
        "dump": httpx.get(
            f"{site.url}/datastore/dump/{upload_id}", headers=headers, timeout=30
        ).status_code
        == 200,
        "validation_report": httpx.get(
            f"{base}/{upload_id}/validation.json", headers=headers, timeout=30
        ).status_code
        == 200,
    }


def url_paths(site: Deployment, ds: dict[str, Any], role: str | None) -> dict[str, bool]:
    """For each metadata path: does the printed JSON contain the link's real URL?"""
    headers = _auth(site, role)
    package = ds["package"]
    api = site.api(role)
    shown = api.post("package_show", {"id": package["id"]}).result
    assert all(r["access_requires_application"] for r in shown["resources"])
    found = api.post("package_search", {"q": f"name:{package['name']}"}).result
    assert found["count"] == 1
    recent = api.post("current_package_list_with_resources", {"limit": 1000}).result
    mine = [p for p in recent if p["id"] == package["id"]]
    assert mine
    descriptor = httpx.get(
        f"{site.url}/dataset/{package['id']}/datapackage.json", headers=headers, timeout=30
    )
    assert descriptor.status_code == 200
    return {
        "package_show": SECRET in str(shown),
        "resource_show": SECRET in str(api.post("resource_show", {"id": ds["link"]["id"]}).result),
        "package_search": SECRET in str(found),
        "current_package_list_with_resources": SECRET in str(mine),
        "datapackage.json": SECRET in descriptor.text,
    }


def assert_access(site: Deployment, ds: dict[str, Any], role: str | None, allowed: bool) -> None:
    data = data_paths(site, ds, role)
    assert data == dict.fromkeys(data, allowed), data
    urls = url_paths(site, ds, role)
    assert urls == dict.fromkeys(urls, allowed), urls


def test_anonymous_sees_the_public_form_everywhere(
    site: Deployment, conditional: dict[str, Any]
) -> None:
    """Paths that always print the public form, whoever asks (the table's paths for
    every role are in tests/portal/test_access_matrix.py)."""
    org = site.api().post("organization_show", {"id": "perm-org", "include_datasets": True})
    activity = site.api().post("package_activity_list", {"id": conditional["package"]["id"]})
    assert SECRET not in str(org.result)
    assert SECRET not in str(activity.result)
    download = httpx.get(conditional["upload"]["url"], timeout=30)
    assert download.status_code == 403
    assert "data_application_create" in download.json()["detail"]


def _apply(site: Deployment, package_id: str, role: str = "outsider") -> dict[str, Any]:
    answer = site.api(role).post(
        "data_application_create", {"package_id": package_id, **APPLICATION}
    )
    return dict(answer.result)


def test_application_lifecycle_across_read_paths(
    site: Deployment, conditional: dict[str, Any]
) -> None:
    reviewer = site.api("org_admin")
    package_id = conditional["package"]["id"]
    # Before and after a grant the outsider is who the table calls "outsider" and
    # "grantee"; insiders and anonymous callers are checked there, on every path.
    assert_access(site, conditional, "outsider", allowed="outsider" in CONDITIONAL.read_data)

    pending = _apply(site, package_id)
    assert pending["status"] == "pending"
    assert_access(site, conditional, "outsider", allowed=False)

    approved = reviewer.post(
        "data_application_decide",
        {"id": pending["id"], "decision": "approve", "grant_days": 30, "reason": "符合用途"},
    ).result
    assert approved["status"] == "approved"
    assert approved["decided_by"] == "org_admin-user"
    assert_access(site, conditional, "outsider", allowed="grantee" in CONDITIONAL.read_data)

    revoked = reviewer.post(
        "data_application_revoke", {"id": pending["id"], "reason": "发现违规转载"}
    ).result
    assert revoked["status"] == "revoked"
    assert_access(site, conditional, "outsider", allowed=False)
    assert [e["action"] for e in revoked["events"]] == ["submitted", "approved", "revoked"]
    assert revoked["events"][2]["actor"] == "org_admin-user"
    assert revoked["events"][2]["reason"] == "发现违规转载"

    again = _apply(site, package_id)
    soon = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
    short = reviewer.post(
        "data_application_decide", {"id": again["id"], "decision": "approve", "expires_at": soon}
    ).result
    assert short["status"] == "approved"
    assert data_paths(site, conditional, "outsider")["download"] is True
    time.sleep(max(0.0, datetime.fromisoformat(short["expires_at"]).timestamp() - time.time()))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and data_paths(site, conditional, "outsider")["download"]:
        time.sleep(0.5)
    assert_access(site, conditional, "outsider", allowed=False)
    shown = site.api("outsider").post("data_application_show", {"id": again["id"]}).result
    assert shown["status"] == "expired"
    assert shown["state"] == "approved"


def test_closed_datasets_never_leave_their_organisation(site: Deployment) -> None:
    package = new_dataset(site, open_class="closed")
    uploaded = upload(site, package["id"], b"a,b\n1,2\n", "closed.csv").json()["result"]
    wait_datastore(site, uploaded["id"])
    for role in (None, "outsider"):
        headers = _auth(site, role)
        assert httpx.get(uploaded["url"], headers=headers, timeout=30).status_code in (403, 404)
        dump = httpx.get(f"{site.url}/datastore/dump/{uploaded['id']}", headers=headers)
        assert dump.status_code in (403, 404)
        descriptor = httpx.get(
            f"{site.url}/dataset/{package['id']}/datapackage.json", headers=headers
        )
        assert descriptor.status_code in (403, 404)
        answer = site.api(role).post("datastore_search", {"resource_id": uploaded["id"]})
        assert answer.status in (403, 404)
        applied = site.api(role).post(
            "data_application_create", {"package_id": package["id"], **APPLICATION}
        )
        assert applied.status in (403, 404)
    assert httpx.get(uploaded["url"], headers=_auth(site, "member")).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [({"purpose": "短"}, "purpose"), ({"agreement_accepted": False}, "agreement_accepted"),
     ({"applicant_organization": ""}, "applicant_organization"),
     ({"intended_use": "x" * 5000}, "intended_use")],
)  # fmt: skip
def test_application_input_is_checked(
    site: Deployment, conditional: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    data = {"package_id": conditional["package"]["id"], **APPLICATION, **change}
    answer = site.api("outsider").post("data_application_create", data)
    assert answer.status == 409
    assert field in answer.error


def test_workflow_rules(site: Deployment, conditional: dict[str, Any]) -> None:
    package_id = conditional["package"]["id"]
    anonymous = site.api().post(
        "data_application_create", {"package_id": package_id, **APPLICATION}
    )
    assert anonymous.status == 403
    open_one = new_dataset(site)
    needless = site.api("outsider").post(
        "data_application_create", {"package_id": open_one["id"], **APPLICATION}
    )
    assert "no application is needed" in needless.error["package_id"][0]
    insider = site.api("member").post(
        "data_application_create", {"package_id": package_id, **APPLICATION}
    )
    assert "already have access" in insider.error["package_id"][0]

    pending = _apply(site, package_id)
    duplicate = site.api("outsider").post(
        "data_application_create", {"package_id": package_id, **APPLICATION}
    )
    assert duplicate.status == 409
    # Only reviewers of the owning organisation decide; the applicant cannot.
    for role in ("outsider", "member", None):
        answer = site.api(role).post(
            "data_application_decide", {"id": pending["id"], "decision": "approve"}
        )
        assert answer.status in (403, 404), role
    no_reason = site.api("editor").post(
        "data_application_decide", {"id": pending["id"], "decision": "reject"}
    )
    assert "reason" in no_reason.error
    too_long = site.api("editor").post(
        "data_application_decide",
        {"id": pending["id"], "decision": "approve", "grant_days": 100_000},
    )
    assert "grant_days" in too_long.error
    rejected = (
        site.api("editor")
        .post(
            "data_application_decide",
            {"id": pending["id"], "decision": "reject", "reason": "用途不明确"},
        )
        .result
    )
    assert rejected["status"] == "rejected"
    twice = site.api("editor").post(
        "data_application_decide", {"id": pending["id"], "decision": "approve"}
    )
    assert twice.status == 409
    not_granted = site.api("editor").post(
        "data_application_revoke", {"id": pending["id"], "reason": "x"}
    )
    assert not_granted.status == 409
    mine = site.api("outsider").post("data_application_list", {"package_id": package_id}).result
    assert pending["id"] in [a["id"] for a in mine]
    reviewed = site.api("org_admin").post("data_application_list", {"state": "rejected"}).result
    assert pending["id"] in [a["id"] for a in reviewed]
    others = site.api("member").post("data_application_list", {}).result
    assert pending["id"] not in [a["id"] for a in others]


def test_no_self_approval(site: Deployment, conditional: dict[str, Any]) -> None:
    """A reviewer who applied before joining the organisation cannot approve themself."""
    name = site.new_name("applicant")
    site.server.cli("user", "create", name, "--email", f"{name}@example.org",
                    "--password", "correct-horse-battery")  # fmt: skip
    token = site.server.cli("token", "create", name, "--name", "t").strip()
    site.tokens[name] = token
    pending = _apply(site, conditional["package"]["id"], role=name)
    admin = site.api("sysadmin")
    admin.post("organization_member_create", {"id": "perm-org", "username": name, "role": "editor"})
    try:
        own = site.api(name).post(
            "data_application_decide", {"id": pending["id"], "decision": "approve"}
        )
        assert own.status == 403
        assert "your own application" in own.error["message"]
    finally:
        admin.post("organization_member_delete", {"id": "perm-org", "username": name})


def test_audit_trail_is_append_only(site: Deployment, conditional: dict[str, Any]) -> None:
    import sqlalchemy as sa

    pending = _apply(site, conditional["package"]["id"], role="outsider")
    assert (
        site.api("editor")
        .post(
            "data_application_decide", {"id": pending["id"], "decision": "reject", "reason": "不符"}
        )
        .ok
    )
    url = site.server.env.get("DELTA_DATABASE_URL") or f"sqlite:///{site.server.home / 'portal.db'}"
    engine = sa.create_engine(url)
    try:
        for statement in ("UPDATE data_application_event SET reason = 'forged'",
                          "DELETE FROM data_application_event"):  # fmt: skip
            with pytest.raises(sa.exc.DatabaseError), engine.begin() as connection:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_cli_workflow(site: Deployment, conditional: dict[str, Any]) -> None:
    import json

    pending = _apply(site, conditional["package"]["id"])
    listed = site.server.cli("application", "list", "--state", "pending")
    lines = [json.loads(line) for line in listed.splitlines()]
    assert pending["id"] in [a["id"] for a in lines]
    refused = site.server.cli(
        "application", "approve", pending["id"], "--reviewer", "outsider-user", check=False
    )
    assert refused == ""  # nothing on stdout; the error went to stderr with exit code 1
    approved = json.loads(
        site.server.cli(
            "application",
            "approve",
            pending["id"],
            "--reviewer",
            "org_admin-user",
            "--days",
            "7",
            "--reason",
            "同意",
        )
    )
    assert approved["status"] == "approved"
    assert data_paths(site, conditional, "outsider")["download"] is True
    revoked = json.loads(
        site.server.cli(
            "application",
            "revoke",
            pending["id"],
            "--reviewer",
            "editor-user",
            "--reason",
            "到期前收回",
        )
    )
    assert revoked["status"] == "revoked"
    assert data_paths(site, conditional, "outsider")["download"] is False
    shown = json.loads(site.server.cli("application", "show", pending["id"]))
    assert [e["actor"] for e in shown["events"]] == [
        "outsider-user",
        "org_admin-user",
        "editor-user",
    ]


def test_activity_from_before_a_dataset_became_conditional(site: Deployment) -> None:
    """Activity records keep the package dict of their time; a version from when the
    dataset was unconditional prints its real links, so the *current* open class decides."""
    secret = "https://secret.example.org/restricted/before-conditional.csv"
    package = new_dataset(
        site, resources=[{"url": secret, "name": "链接", "documentation": secret + "#docs"}]
    )
    editor = site.api("editor")
    assert editor.post("package_patch", {"id": package["id"], "open_class": "conditional"}).ok
    for role in (None, "outsider"):
        activity = site.api(role).post("package_activity_list", {"id": package["id"]}).result
        assert len(activity) == 2
        assert secret not in str(activity), role
        oldest = activity[-1]["data"]["package"]["resources"][0]
        assert oldest["access_requires_application"] is True
        assert oldest["url"].endswith("/download/link")
    # Those who may have the data still see the history as it was.
    assert secret in str(site.api("member").post("package_activity_list", {"id": package["id"]}))


def test_patching_a_conditional_dataset_keeps_its_resource_extras(
    site: Deployment, conditional: dict[str, Any]
) -> None:
    """package_patch and resource_patch start from the dataset as its editor sees it;
    the public form leaves URL-valued extras out, and patching deleted them."""
    editor = site.api("editor")
    package_id, link_id = conditional["package"]["id"], conditional["link"]["id"]
    assert editor.post("package_patch", {"id": package_id, "notes": "patched"}).ok
    assert editor.post("resource_patch", {"id": link_id, "description": "patched"}).ok
    link = editor.post("resource_show", {"id": link_id}).result
    assert link["description"] == "patched"
    assert link["url"] == SECRET
    assert link["download_url"] == SECRET
