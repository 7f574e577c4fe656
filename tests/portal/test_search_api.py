"""package_search over HTTP: the index follows every change, CKAN parameters, CKAN errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.portal.conftest import Deployment


def search(deployment: Deployment, role: str | None = None, **params: Any) -> Any:
    return deployment.api(role).post("package_search", params)


def names(answer: Any) -> list[str]:
    return [r["name"] for r in answer.result["results"]]


def test_index_follows_create_update_delete(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    name = deployment.new_name("follow")
    # Words that occur nowhere else, so a match can only come from this dataset's title.
    marker = f"琥珀蝴蝶 amberwing{uuid.uuid4().hex[:8]}"
    created = admin.post(
        "package_create",
        {"name": name, "title": marker, "owner_org": "perm-org", "region_code": "310104"},
    )
    assert created.ok, created.body
    assert names(search(deployment, q=marker)) == [name]
    assert names(search(deployment, q=f"name:{name}")) == [name]

    renamed = f"碧绿蜻蜓 jadefly{uuid.uuid4().hex[:8]}"
    assert admin.post("package_patch", {"id": name, "title": renamed}).ok
    assert names(search(deployment, q=marker.split()[1])) == []
    assert names(search(deployment, q=renamed)) == [name]

    assert admin.post("package_patch", {"id": name, "private": True}).ok
    assert names(search(deployment, q=renamed)) == []
    assert names(search(deployment, "member", q=renamed, include_private=True)) == [name]
    assert names(search(deployment, "outsider", q=renamed, include_private=True)) == []

    assert admin.post("package_patch", {"id": name, "private": False}).ok
    assert admin.post("organization_patch", {"id": "perm-org", "title": "上海市搜索测试局"}).ok
    result = search(deployment, q=renamed).result["results"][0]
    assert result["organization"]["title"] == "上海市搜索测试局"
    assert admin.post("organization_patch", {"id": "perm-org", "title": "上海市测试局"}).ok

    assert admin.post("package_delete", {"id": name}).ok
    assert names(search(deployment, q=renamed)) == []
    assert names(search(deployment, "sysadmin", q=renamed, include_deleted=True)) == [name]
    assert names(search(deployment, "editor", q=renamed, include_deleted=True)) == []


def test_facets_sort_and_paging(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    prefix = deployment.new_name("facet")
    for index, (region, fmt) in enumerate(
        [("310104", "CSV"), ("310104", "JSON"), ("310115", "CSV")]
    ):
        dataset = {
            "name": f"{prefix}-{index}",
            "title": f"停车场名录 {prefix} {index}",
            "owner_org": "perm-org",
            "region_code": region,
            "tags": [{"name": prefix}],
            "resources": [{"url": f"https://example.invalid/{index}.{fmt.lower()}", "format": fmt}],
        }
        assert admin.post("package_create", dataset).ok
    answer = search(
        deployment,
        fq=f'tags:"{prefix}"',
        **{
            "facet.field": json.dumps(["region_code", "res_format", "organization"]),
            "facet.limit": 10,
        },
        sort="name desc",
        rows=2,
    ).result
    assert answer["count"] == 3
    assert [r["name"] for r in answer["results"]] == [f"{prefix}-2", f"{prefix}-1"]
    # Each dataset counts under its district and under Shanghai, which contains them.
    assert answer["facets"]["region_code"] == {"310000": 3, "310104": 2, "310115": 1}
    assert answer["facets"]["res_format"] == {"CSV": 2, "JSON": 1}
    items = answer["search_facets"]["region_code"]["items"]
    assert {"name": "310104", "display_name": "徐汇区", "count": 2} in items
    assert answer["search_facets"]["organization"]["items"][0]["display_name"] == "上海市测试局"
    second = search(deployment, fq=f'tags:"{prefix}"', sort="name desc", rows=2, start=2).result
    assert [r["name"] for r in second["results"]] == [f"{prefix}-0"]
    filtered = search(deployment, fq=f'tags:"{prefix}" -region_code:310115').result
    assert filtered["count"] == 2
    assert search(deployment, q=f'tags:"{prefix}" AND res_format:JSON').result["count"] == 1
    fq_list = search(deployment, fq_list=[f'tags:"{prefix}"', "region_code:310115"]).result
    assert fq_list["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"q": 'title:"unbalanced'},
        {"q": "(a OR b"},
        {"q": "x" * 10_000},
        {"q": "nosuchfield:value"},
        {"q": "title:abc*"},
        {"q": "x:* OR title:a"},
        {"q": '{"query": {"match_all": {}}}'},
        {"rows": -1},
        {"rows": 10_001},
        {"rows": "ten"},
        {"start": 10**9},
        {"sort": "password desc"},
        {"facet.field": "not json"},
        {"facet.field": '["secret_field"]'},
        {"fq": "metadata_modified:[2020-01-01T00:00:00Z TO"},
    ],
)
def test_bad_queries_are_search_query_errors(
    deployment: Deployment, params: dict[str, Any]
) -> None:
    answer = search(deployment, **params)
    assert answer.status == 400, answer.body
    assert answer.error_type == "Search Query Error"
    get = deployment.api().get("package_search", **params)
    assert get.status == 400


def test_reindex_rebuilds_the_index(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    name = deployment.new_name("reindex")
    word = f"rebuilt{uuid.uuid4().hex[:8]}"
    assert admin.post("package_create", {"name": name, "title": word, "owner_org": "perm-org"}).ok
    listed = admin.post("package_list", {"include_private": True, "include_drafts": True}).result
    count = int(deployment.server.cli("search", "reindex").strip())
    assert count >= len(listed) > 0
    assert names(search(deployment, q=word)) == [name]


def test_front_page_describes_the_public_catalogue(deployment: Deployment) -> None:
    page = deployment.api().client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "长三角公共数据开放平台" in page.text
    count = deployment.api().post("package_search", {"rows": 0}).result["count"]
    assert f"<strong>{count:,}</strong>" in page.text  # as the page writes numbers
    assert "secret-private" not in page.text
