"""Concurrent writes to one dataset over real HTTP (finding 4): every call answers
200 or a CKAN-shaped 409, never a 500, and the dataset ends as one of the writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.portal.conftest import Deployment

PARALLEL = 20


def test_parallel_package_updates_with_different_tags(deployment: Deployment) -> None:
    admin = deployment.api("sysadmin")
    name = deployment.new_name("race")
    base = {"name": name, "title": "并发", "owner_org": "perm-org"}
    created = admin.post("package_create", {**base, "tags": [{"name": "起点"}]}).result
    writes = [
        {**base, "id": created["id"], "tags": [{"name": f"标签{i}"}, {"name": f"共同-{i % 3}"}]}
        for i in range(PARALLEL)
    ]

    def update(data: dict) -> httpx.Response:
        return httpx.post(
            f"{deployment.url}/api/3/action/package_update",
            json=data,
            headers={"Authorization": deployment.tokens["sysadmin"]},
            timeout=120,
        )

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(update, writes))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409}, statuses
    for answer in answers:
        body = answer.json()
        assert body["success"] is (answer.status_code == 200)
        if answer.status_code == 409:
            assert body["error"]["__type"] == "Validation Error", body
    final = admin.post("package_show", {"id": created["id"]}).result
    tag_sets = [sorted(t["name"] for t in w["tags"]) for w in writes]
    assert sorted(t["name"] for t in final["tags"]) in tag_sets
    assert final["num_tags"] == 2


def test_parallel_mixed_writes_to_one_dataset(deployment: Deployment) -> None:
    """Tags, resources and groups of one dataset changed at once by different calls."""
    admin = deployment.api("sysadmin")
    group = admin.post("group_create", {"name": deployment.new_name("race-group")}).result
    created = admin.post(
        "package_create",
        {
            "name": deployment.new_name("race-mixed"),
            "owner_org": "perm-org",
            "tags": [{"name": "起点"}],
            "resources": [{"url": "https://example.org/a.csv", "name": "a"}],
        },
    ).result
    resource_id = created["resources"][0]["id"]
    calls: list[tuple[str, dict]] = []
    for i in range(5):
        calls += [
            ("package_patch", {"id": created["id"], "tags": [{"name": f"混合{i}"}]}),
            ("resource_create", {"package_id": created["id"], "url": f"https://example.org/{i}"}),
            ("resource_patch", {"id": resource_id, "description": f"第{i}版"}),
            ("member_create" if i % 2 else "member_delete",
             {"id": group["id"], "object": created["id"], "object_type": "package"}),
        ]  # fmt: skip

    def call(item: tuple[str, dict]) -> httpx.Response:
        action, data = item
        return httpx.post(
            f"{deployment.url}/api/3/action/{action}",
            json=data,
            headers={"Authorization": deployment.tokens["sysadmin"]},
            timeout=120,
        )

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(call, calls))
    for (action, _), answer in zip(calls, answers, strict=True):
        assert answer.status_code in (200, 404, 409), (action, answer.status_code, answer.text)
        assert answer.json()["success"] is (answer.status_code == 200)
    final = admin.post("package_show", {"id": created["id"]}).result
    assert len(final["tags"]) == 1
    assert [r["position"] for r in final["resources"]] == list(range(len(final["resources"])))
