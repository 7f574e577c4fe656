"""The access table (tests/support/access_table.py) through every read, data and write
path of the portal, on SQLite and PostgreSQL, in process.

For each role and each kind of dataset: metadata (package_show, resource_show,
package_search, package_list, and the look-ups package_autocomplete, tag_show and
member_list), data (the uploaded file, the link's redirect, the
DataStore rows and their dump, the real link printed in package_show) and
writes (package_patch, package_revise, package_delete) answer exactly as the table says.
The datasets are made by the ``creator``, who then leaves the organisation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.access_table import API_KINDS, CAPACITY, OTHER_RULES, ROLES, Kind
from tests.support.inprocess import LocalPortal, backend_portal

SECRET = "https://secret.example.org/restricted/data.csv"
APPLICATION = {
    "purpose": "研究长三角公共服务配置",
    "applicant_organization": "复旦大学",
    "intended_use": "学术研究",
    "agreement_accepted": True,
}


@dataclass
class Made:
    kind: Kind
    package: dict[str, Any]
    upload: dict[str, Any]
    link: dict[str, Any]
    spare: dict[str, dict[str, Any]] = field(default_factory=dict)  # per role, to delete


@dataclass
class Site:
    portal: LocalPortal
    made: dict[str, Made]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with backend_portal(request, tmp_path_factory, "matrix", ingest_worker=False) as portal:
        for role in ROLES:
            if role not in ("anonymous", "sysadmin"):
                portal.tokens[role] = portal.add_user(role)
        admin = portal.api("sysadmin")
        for org in ("the-org", "elsewhere"):
            assert admin.post("organization_create", {"name": org}).ok
        memberships = [("the-org", role, capacity) for role, capacity in CAPACITY.items()]
        memberships += [("elsewhere", "outsider", "editor"), ("the-org", "creator", "editor")]
        for org, role, capacity in memberships:
            assert admin.post(
                "organization_member_create", {"id": org, "username": role, "role": capacity}
            ).ok
        made = {kind.name: _make(portal, kind) for kind in API_KINDS}
        conditional = made["conditional"].package["id"]
        applied = (
            portal.api("grantee")
            .post("data_application_create", {"package_id": conditional, **APPLICATION})
            .result
        )
        assert (
            portal.api("org_admin")
            .post("data_application_decide", {"id": applied["id"], "decision": "approve"})
            .ok
        )
        # The creator leaves: from now on being the creator counts for nothing.
        assert admin.post("organization_member_delete", {"id": "the-org", "username": "creator"}).ok
        yield Site(portal, made)


def _make(portal: LocalPortal, kind: Kind) -> Made:
    creator = portal.api("creator")
    name = portal.new_name(kind.name)
    data = {"name": name, "owner_org": "the-org", "tags": [{"name": name}], **kind.fields}
    resources = [{"url": SECRET, "name": "link", "download_url": SECRET}]
    package = creator.post("package_create", {**data, "resources": resources}).result
    link = package["resources"][0]
    uploaded = portal.client.post(
        "/api/3/action/resource_create",
        data={"package_id": package["id"], "name": "file"},
        files={"upload": ("data.csv", "区县,人口\n徐汇区,1\n".encode())},
        headers={"Authorization": portal.tokens["creator"]},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert creator.post(
        "datastore_create", {"resource_id": link["id"], "records": [{"区县": "徐汇区"}]}
    ).ok
    # Datasets to delete: one for each role that may (deleting uses it up), one that
    # every other role tries and must leave.
    spare = {}
    for role in [*sorted(kind.write), "refused"]:
        fresh = {**data, "name": portal.new_name(f"{kind.name}-spare")}
        spare[role] = creator.post("package_create", fresh).result
    made = Made(kind, package, uploaded.json()["result"], link, spare)
    if kind.deleted:
        for package_id in [package["id"], *(p["id"] for p in spare.values())]:
            assert creator.post("package_delete", {"id": package_id}).ok
    return made


def _listed(portal: LocalPortal, role: str, made: Made) -> dict[str, bool]:
    api = portal.api(None if role == "anonymous" else role)
    name = made.package["name"]
    flags = {"include_private": True, "include_drafts": True, "include_deleted": True}
    found = api.post("package_search", {"q": f"name:{name}", **flags}).result
    listed = api.post("package_list", {"include_private": True, "include_drafts": True})
    completed = api.post("package_autocomplete", {"q": name}).result
    members = api.post("member_list", {"id": "the-org", "object_type": "package"}).result
    tag = api.post("tag_show", {"id": name})
    assert tag.ok or (tag.status == 404 and name not in json.dumps(tag.body))
    return {
        "package_search": found["count"] == 1,
        "package_list": name in listed.result,
        "package_autocomplete": [r["name"] for r in completed] == [name],
        "tag_show": tag.ok,
        "member_list": made.package["id"] in {m[0] for m in members},
    }


def _reads(portal: LocalPortal, role: str, made: Made) -> dict[str, bool]:
    api = portal.api(None if role == "anonymous" else role)
    shown = api.post("package_show", {"id": made.package["id"]})
    resource = api.post("resource_show", {"id": made.link["id"]})
    if not shown.ok:
        assert shown.status in (403, 404) and made.package["name"] not in json.dumps(shown.body)
    return {"package_show": shown.ok, "resource_show": resource.ok}


def _data(portal: LocalPortal, role: str, made: Made) -> dict[str, bool]:
    api = portal.api(None if role == "anonymous" else role)
    base = f"/dataset/{made.package['id']}/resource"
    download = api.request("GET", made.upload["url"])
    redirect = api.request("GET", f"{base}/{made.link['id']}/download/link", follow_redirects=False)
    shown = api.post("package_show", {"id": made.package["id"]})
    cached = download.headers.get("cache-control", "")
    return {
        "download": download.status_code == 200 and download.content.startswith("区县".encode()),
        # Shared caches may keep a file only when anyone may have it.
        "cached publicly": download.status_code == 200 and cached.startswith("public"),
        "link": redirect.status_code == 302 and redirect.headers["location"] == SECRET,
        "datastore_search": api.post("datastore_search", {"resource_id": made.link["id"]}).ok,
        "dump": api.request("GET", f"/datastore/dump/{made.link['id']}").status_code == 200,
        "real link shown": shown.ok and SECRET in json.dumps(shown.result),
    }


def _writes(portal: LocalPortal, role: str, made: Made) -> dict[str, bool]:
    api = portal.api(None if role == "anonymous" else role)
    patched = api.post("package_patch", {"id": made.package["id"], "notes": f"by {role}"})
    revised = api.post(
        "package_revise", {"match": {"id": made.package["id"]}, "update": {"title": role}}
    )
    assert revised.ok or revised.status in (403, 404), revised.body
    spare = made.spare.get(role, made.spare["refused"])
    deleted = api.post("package_delete", {"id": spare["id"]})
    for answer in (patched, deleted):
        assert answer.ok or answer.status in (403, 404), answer.body
    return {"package_patch": patched.ok, "package_revise": revised.ok, "package_delete": deleted.ok}


@pytest.mark.parametrize("role", ROLES)
def test_the_access_table_holds_on_every_path(site: Site, role: str) -> None:
    api = site.portal.api(None if role == "anonymous" else role)
    created = api.post("package_create", {"name": site.portal.new_name(), "owner_org": "the-org"})
    may_create = role in OTHER_RULES[("create_dataset", "organization")]
    wrong = [] if created.ok == may_create else [f"package_create {created.status}"]
    for made in site.made.values():
        kind = made.kind
        expected = {
            **dict.fromkeys(("package_show", "resource_show"), role in kind.read),
            # Searching and listing: not deleted ones (only sysadmins search those).
            **dict.fromkeys(
                ("package_search", "package_list"),
                (role in kind.read and not kind.deleted) or (kind.deleted and role == "sysadmin"),
            ),
            **dict.fromkeys(
                ("download", "link", "datastore_search", "dump", "real link shown"),
                role in kind.read_data,
            ),
            # The look-ups offer active datasets only (as CKAN's autocomplete).
            **dict.fromkeys(
                ("package_autocomplete", "tag_show", "member_list"),
                role in kind.read and not kind.deleted and kind.fields.get("state") != "draft",
            ),
            **dict.fromkeys(
                ("package_patch", "package_revise", "package_delete"), role in kind.write
            ),
            "cached publicly": role in kind.read_data and "anonymous" in kind.read_data,
        }
        if kind.deleted:
            # A deleted dataset's resources are gone (whoever may still read its record).
            for path in ("resource_show", "download", "link", "datastore_search", "dump",
                         "cached publicly"):  # fmt: skip
                expected[path] = False
            expected["package_list"] = False
        actual = {
            **_reads(site.portal, role, made),
            **_listed(site.portal, role, made),
            **_data(site.portal, role, made),
            **_writes(site.portal, role, made),
        }
        wrong += [
            f"{kind.name}: {path} {'allowed' if actual[path] else 'refused'}"
            for path in expected
            if actual[path] != expected[path]
        ]
    assert wrong == [], f"{role} on {site.portal.backend}: " + "; ".join(wrong)
