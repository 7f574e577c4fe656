"""The look-up actions behind the pages -- package_, tag_, format_, organization_,
group_ and user_autocomplete, tag_show, member_list -- with CKAN's parameters and
result shapes, on SQLite and PostgreSQL, in process. Attacked by an anonymous caller
and by an editor of another organisation: nothing of a private, draft or closed
dataset may show through them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from open_portal.ckan import registry
from tests.support.inprocess import LocalPortal, backend_portal

ATTACKERS = (None, "outsider")  # anonymous, and an editor of another organisation


@dataclass
class Site:
    portal: LocalPortal
    ids: dict[str, str]  # kind -> dataset id


HIDDEN = {
    "private": {"private": True},
    "closed": {"open_class": "closed"},
    "draft": {"state": "draft"},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with backend_portal(request, tmp_path_factory, "lookup", ingest_worker=False) as portal:
        for role in ("org_admin", "editor", "member", "outsider"):
            portal.add_user(role)
        admin = portal.api("sysadmin")
        assert admin.post("organization_create", {"name": "lookup-org", "title": "查找测试局"}).ok
        assert admin.post("organization_create", {"name": "elsewhere", "title": "别处"}).ok
        assert admin.post("group_create", {"name": "lookup-group", "title": "交通主题"}).ok
        for role, org, capacity in (
            ("org_admin", "lookup-org", "admin"),
            ("editor", "lookup-org", "editor"),
            ("member", "lookup-org", "member"),
            ("outsider", "elsewhere", "editor"),
        ):
            assert admin.post(
                "organization_member_create", {"id": org, "username": role, "role": capacity}
            ).ok
        ids = {}
        for kind, extra in {"public": {}, **HIDDEN}.items():
            created = admin.post(
                "package_create",
                {
                    "name": f"zebra-{kind}",
                    "title": f"斑马数据 {kind}",
                    "owner_org": "lookup-org",
                    "groups": [{"name": "lookup-group"}],
                    "tags": [{"name": f"zebratag-{kind}"}],
                    "resources": [{"url": "https://example.org/a", "format": f"ZFMT{kind}"}],
                    **extra,
                },
            )
            assert created.ok, created.body
            ids[kind] = created.result["id"]
        yield Site(portal, ids)


def _api(site: Site, role: str | None) -> Any:
    return site.portal.api(role)


def test_package_autocomplete_shape_and_match_field(site: Site) -> None:
    api = _api(site, None)
    by_name = api.get("package_autocomplete", q="ZEBRA-pub").result
    assert by_name == [
        {
            "name": "zebra-public",
            "title": "斑马数据 public",
            "match_field": "name",
            "match_displayed": "zebra-public",
        }
    ]
    by_title = api.post("package_autocomplete", {"q": "斑马"}).result
    assert [r["match_field"] for r in by_title] == ["title"]
    assert by_title[0]["match_displayed"] == "斑马数据 public (zebra-public)"
    assert api.post("package_autocomplete", {"q": "zebra", "limit": 0}).result == []
    # % and _ are literal, not wildcards.
    assert api.post("package_autocomplete", {"q": "%"}).result == []


@pytest.mark.parametrize("attacker", ATTACKERS, ids=["anonymous", "outsider"])
def test_hidden_datasets_never_show_to_attackers(site: Site, attacker: str | None) -> None:
    api = _api(site, attacker)
    names = [r["name"] for r in api.post("package_autocomplete", {"q": "zebra"}).result]
    assert names == ["zebra-public"]
    assert api.post("tag_autocomplete", {"query": "zebratag"}).result == ["zebratag-public"]
    assert api.get("format_autocomplete", q="zfmt").result == ["zfmtpublic"]
    for kind in HIDDEN:
        shown = api.post("tag_show", {"id": f"zebratag-{kind}", "include_datasets": True})
        assert shown.status == 404 and shown.error_type == "Not Found Error"
        assert kind not in json.dumps(shown.body)
    tag = api.post("tag_show", {"id": "zebratag-public", "include_datasets": True}).result
    assert [p["name"] for p in tag["packages"]] == ["zebra-public"]
    for group in ("lookup-org", "lookup-group"):
        members = api.post("member_list", {"id": group}).result
        assert [m[0] for m in members] == [site.ids["public"]], group
        refused = api.post("member_list", {"id": group, "object_type": "user"})
        assert refused.status == 403 and refused.error_type == "Authorization Error"
    answer = api.post("user_autocomplete", {"q": "member"})
    assert answer.status == 403


def test_insiders_see_what_they_may_read(site: Site) -> None:
    member = _api(site, "member")
    names = {r["name"] for r in member.post("package_autocomplete", {"q": "zebra"}).result}
    # Drafts are not offered (as CKAN's search), private and closed ones are.
    assert names == {"zebra-public", "zebra-private", "zebra-closed"}
    tags = member.post("tag_autocomplete", {"q": "zebratag"}).result
    assert tags == ["zebratag-closed", "zebratag-private", "zebratag-public"]
    shown = member.post("tag_show", {"id": "zebratag-private", "include_datasets": True}).result
    assert shown["name"] == "zebratag-private" and shown["vocabulary_id"] is None
    assert [p["id"] for p in shown["packages"]] == [site.ids["private"]]
    assert "packages" not in member.post("tag_show", {"id": shown["id"]}).result
    org = member.post("member_list", {"id": "lookup-org"}).result
    packages = {m[0] for m in org if m[1] == "package"}
    assert packages == {site.ids["public"], site.ids["private"], site.ids["closed"]}
    assert {tuple(m[1:]) for m in org if m[0] == site.ids["public"]} == {
        ("package", "organization")
    }
    users = member.post("member_list", {"id": "lookup-org", "object_type": "user"}).result
    # The sysadmin who created the organisation is its admin too.
    assert sorted(m[2] for m in users) == ["admin", "admin", "editor", "member"]
    admins = member.post("member_list", {"id": "lookup-org", "capacity": "admin"}).result
    assert [m[1:] for m in admins] == [["user", "admin"]] * 2
    grouped = member.get("member_list", id="lookup-group", object_type="package").result
    assert all(m[2] == "public" for m in grouped) and len(grouped) == 3


def test_group_and_organization_autocomplete(site: Site) -> None:
    api = _api(site, None)
    orgs = api.post("organization_autocomplete", {"q": "查找"}).result
    assert len(orgs) == 1 and set(orgs[0]) == {"id", "name", "title"}
    assert orgs[0]["name"] == "lookup-org"
    assert api.post("organization_autocomplete", {"q": "lookup-group"}).result == []
    groups = api.get("group_autocomplete", q="LOOKUP").result
    assert [g["name"] for g in groups] == ["lookup-group"]


def test_user_autocomplete_is_for_admins_and_never_shows_email(site: Site) -> None:
    for role in ("editor", "member", "outsider"):
        assert _api(site, role).post("user_autocomplete", {"q": "e"}).status == 403
    admin = _api(site, "org_admin")
    found = admin.post("user_autocomplete", {"q": "MEMB"}).result
    assert found == [{"id": found[0]["id"], "name": "member", "fullname": ""}]
    assert "example.org" not in json.dumps(admin.post("user_autocomplete", {"q": ""}).body)
    mine = admin.post("user_autocomplete", {"q": "org_admin", "ignore_self": True}).result
    assert mine == []


def test_ckan_errors(site: Site) -> None:
    api = _api(site, None)
    for action in ("package_autocomplete", "format_autocomplete", "user_autocomplete"):
        missing = api.post(action, {})
        assert missing.status in (403, 409), action
    missing = api.post("package_autocomplete", {})
    assert missing.status == 409 and missing.error["q"] == ["Missing value"]
    assert api.post("tag_autocomplete", {}).error["query"] == ["Missing value"]
    assert api.post("package_autocomplete", {"q": "a", "limit": -1}).status == 409
    assert api.post("tag_show", {"id": "no-such-tag"}).status == 404
    assert api.post("member_list", {"id": "no-such-group"}).status == 404
    bad = api.post("member_list", {"id": "lookup-org", "object_type": "dog"})
    assert bad.status == 409 and bad.error_type == "Validation Error"


def test_the_documented_count_of_ckan_actions_is_the_registrys() -> None:
    root = Path(__file__).resolve().parents[2]
    listed = (root / "tests/portal/ckan_core_actions.txt").read_text("utf-8").splitlines()
    core = {line.strip() for line in listed if line.strip() and not line.startswith("#")}
    assert len(core) == 147
    present = core & set(registry.all_actions())
    docs = (root / "docs/ckan-api.md").read_text("utf-8")
    stated = re.search(r"(\d+) of CKAN's 147 core and DataStore actions exist", docs)
    assert stated is not None and int(stated.group(1)) == len(present)
