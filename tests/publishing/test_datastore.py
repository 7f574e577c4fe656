"""The DataStore through CKAN's actions (and ckanapi-shaped errors), plus dumps."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.portal.conftest import Deployment
from tests.publishing.conftest import new_dataset

FIELDS = [
    {"id": "编号", "type": "int"},
    {"id": "城市", "type": "text"},
    {"id": "人口", "type": "numeric"},
    {"id": "日期", "type": "date"},
    {"id": "直辖", "type": "bool"},
    {"id": "附加", "type": "json"},
]
CITIES = ["上海", "南京", "杭州", "合肥", "苏州", "臺北"]


def _records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "编号": n,
            "城市": CITIES[n % len(CITIES)],
            "人口": n * 1.5 if n % 7 else None,
            "日期": f"2023-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "直辖": n % 6 == 0,
            "附加": {"n": n},
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def table(site: Deployment) -> dict[str, Any]:
    package = new_dataset(site, resources=[{"url": "https://example.org/x", "name": "ds"}])
    resource_id = package["resources"][0]["id"]
    created = site.api("editor").post(
        "datastore_create",
        {"resource_id": resource_id, "fields": FIELDS, "records": _records(250),
         "primary_key": ["编号"], "indexes": ["城市"]},
    ).result  # fmt: skip
    assert created["primary_key"] == ["编号"]
    return {"resource_id": resource_id, "package": package}


def search(site: Deployment, role: str | None = None, **params: Any) -> Any:
    return site.api(role).post("datastore_search", params)


def test_create_marks_the_resource_active(site: Deployment, table: dict[str, Any]) -> None:
    resource = site.api().post("resource_show", {"id": table["resource_id"]}).result
    assert resource["datastore_active"] is True
    info = site.api().post("datastore_info", {"id": table["resource_id"]}).result
    assert info["meta"]["count"] == 250
    assert [f["id"] for f in info["fields"]] == ["_id", *(f["id"] for f in FIELDS)]
    assert info["schema"]["人口"] == "numeric"


def test_search_defaults_and_total(site: Deployment, table: dict[str, Any]) -> None:
    found = search(site, resource_id=table["resource_id"]).result
    assert found["total"] == 250
    assert len(found["records"]) == 100
    assert found["records"][0] == {
        "_id": 1, "编号": 0, "城市": "上海", "人口": None, "日期": "2023-01-01",
        "直辖": True, "附加": {"n": 0},
    }  # fmt: skip


def test_filters_q_fields_sort_distinct(site: Deployment, table: dict[str, Any]) -> None:
    rid = table["resource_id"]
    by_city = search(site, resource_id=rid, filters={"城市": ["上海", "南京"]}, limit=0).result
    assert by_city["total"] == 84
    typed = search(site, resource_id=rid, filters={"编号": "12"}).result
    assert [r["编号"] for r in typed["records"]] == [12]
    nulls = search(site, resource_id=rid, filters={"人口": None}, limit=0).result
    assert nulls["total"] == 36
    # Full text with Chinese, traditional characters folded to simplified.
    taipei = search(site, resource_id=rid, q="台北", fields=["城市"], limit=1).result
    assert taipei["records"] == [{"城市": "臺北"}]
    assert taipei["total"] == 41
    both = search(site, resource_id=rid, q="上海 2023-01", limit=0).result
    assert both["total"] > 0
    per_field = search(site, resource_id=rid, q={"城市": "合"}, limit=0).result
    assert per_field["total"] == 42
    ordered = search(
        site, resource_id=rid, sort="人口 desc, 编号", limit=3, fields="编号,人口"
    ).result
    assert [r["编号"] for r in ordered["records"]] == [249, 248, 247]
    nulls_last = search(site, resource_id=rid, sort="人口 asc", offset=213, limit=100).result
    assert all(r["人口"] is None for r in nulls_last["records"][1:])
    distinct = search(site, resource_id=rid, fields=["城市"], distinct=True, sort="城市").result
    assert sorted(r["城市"] for r in distinct["records"]) == sorted(CITIES)
    assert distinct["total"] == len(CITIES)


def test_records_formats(site: Deployment, table: dict[str, Any]) -> None:
    rid = table["resource_id"]
    lists = search(site, resource_id=rid, records_format="lists", limit=2, fields="编号,城市")
    assert lists.result["records"] == [[0, "上海"], [1, "南京"]]
    as_csv = search(site, resource_id=rid, records_format="csv", limit=2, fields="编号,城市")
    assert list(csv.reader(io.StringIO(as_csv.result["records"]))) == [["0", "上海"], ["1", "南京"]]
    as_tsv = search(site, resource_id=rid, records_format="tsv", limit=1, fields="城市,直辖")
    assert as_tsv.result["records"] == "上海\ttrue\r\n"


def test_keyset_paging_follows_links(site: Deployment, table: dict[str, Any]) -> None:
    client = httpx.Client(base_url=site.url, timeout=30)
    seen: list[int] = []
    url = f"/api/3/action/datastore_search?resource_id={table['resource_id']}&limit=100"
    for _ in range(10):
        page = client.get(url).json()["result"]
        if not page["records"]:
            break
        seen += [r["编号"] for r in page["records"]]
        url = page["_links"]["next"]
        assert "cursor=" in url
    assert seen == list(range(250))
    # The same with a sort, over GET (parameters arrive as strings).
    url = (
        f"/api/3/action/datastore_search?resource_id={table['resource_id']}&sort=城市 desc&limit=70"
    )
    sorted_seen: list[str] = []
    while True:
        page = client.get(url).json()["result"]
        if not page["records"]:
            break
        sorted_seen += [r["城市"] for r in page["records"]]
        url = page["_links"]["next"]
    assert sorted_seen == sorted(sorted_seen, reverse=True)
    assert len(sorted_seen) == 250


def test_upsert_update_insert_and_delete(site: Deployment) -> None:
    package = new_dataset(site, resources=[{"url": "https://example.org/y", "name": "ds"}])
    rid = package["resources"][0]["id"]
    editor = site.api("editor")

    def ok(action: str, **data: Any) -> None:
        answer = editor.post(action, {"resource_id": rid, **data})
        assert answer.ok, answer.body

    ok("datastore_create", fields=FIELDS[:2], primary_key="编号")
    ok("datastore_upsert", method="insert", records=[{"编号": 1, "城市": "上海"}])
    ok("datastore_upsert", records=[{"编号": 1, "城市": "上海市"}, {"编号": 2, "城市": "南京"}])
    missing = editor.post(
        "datastore_upsert",
        {"resource_id": rid, "method": "update", "records": [{"编号": 9, "城市": "无"}]},
    )
    assert missing.status == 409
    assert "not found" in missing.error["records"][0]
    duplicate = editor.post(
        "datastore_upsert",
        {"resource_id": rid, "method": "insert", "records": [{"编号": 2, "城市": "重复"}]},
    )
    assert missing.error["__type"] == duplicate.error["__type"] == "Validation Error"
    rows = search(site, resource_id=rid, sort="编号").result["records"]
    assert [(r["编号"], r["城市"]) for r in rows] == [(1, "上海市"), (2, "南京")]
    ok("datastore_delete", filters={"编号": 1})
    assert search(site, resource_id=rid).result["total"] == 1
    ok("datastore_create", fields=[{"id": "备注", "type": "text"}])
    assert "备注" in search(site, resource_id=rid).result["records"][0]
    ok("datastore_delete")
    assert site.api().post("resource_show", {"id": rid}).result["datastore_active"] is False
    assert search(site, resource_id=rid).status == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"filters": {"nope": 1}}, "filters"), ({"filters": {"编号": "abc"}}, "filters"),
     ({"sort": "nope desc"}, "sort"), ({"fields": ["nope"]}, "fields"),
     ({"limit": 32001}, "limit"), ({"limit": -1}, "limit"), ({"offset": "x"}, "offset"),
     ({"records_format": "xml"}, "records_format"), ({"cursor": "garbage"}, "cursor"),
     ({"q": {"nope": "x"}}, "q"), ({"sort": "附加"}, "sort"), ({"filters": {"附加": 1}}, "filters"),
     ({"filters": {"编号": 2**63}}, "filters")],
)  # fmt: skip
def test_bad_search_parameters(
    site: Deployment, table: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    answer = search(site, resource_id=table["resource_id"], **params)
    assert answer.status == 409
    assert answer.error["__type"] == "Validation Error"
    assert field in answer.error


@pytest.mark.parametrize(
    ("data", "field"),
    [({"fields": [{"id": "_bad", "type": "text"}]}, "fields"),
     ({"fields": [{"id": 'a"b', "type": "text"}]}, "fields"),
     ({"fields": [{"id": "a", "type": "geometry"}]}, "fields"),
     ({"fields": [{"id": "a", "type": "text"}, {"id": "A", "type": "int"}]}, "fields"),
     ({"fields": [{"id": "x" * 64, "type": "text"}]}, "fields"),
     ({"fields": [{"id": "a", "type": "int"}], "records": [{"a": "x"}]}, "records"),
     ({"fields": [{"id": "a", "type": "int"}], "records": [{"b": 1}]}, "records"),
     ({"fields": [{"id": "a", "type": "int"}], "primary_key": ["b"]}, "primary_key"),
     ({"fields": [{"id": "a", "type": ["int"]}]}, "fields"),
     ({"fields": [{"id": {"x": 1}, "type": {"x": 1}}]}, "fields"),
     ({"fields": [{"id": "a", "type": "int"}], "records": [{"a": 2**63}]}, "records"),
     ({"fields": [{"id": "a", "type": "int"}], "records": [{"a": -(10**30)}]}, "records"),
     ({"fields": [{"id": "a", "type": "float8"}], "records": [{"a": "inf"}]}, "records")],
)  # fmt: skip
def test_bad_create_changes_nothing(site: Deployment, data: dict[str, Any], field: str) -> None:
    package = new_dataset(site, resources=[{"url": "https://example.org/z", "name": "ds"}])
    rid = package["resources"][0]["id"]
    answer = site.api("editor").post("datastore_create", {"resource_id": rid, **data})
    assert answer.status == 409
    assert field in answer.error
    assert site.api().post("datastore_info", {"id": rid}).status == 404


def test_a_failed_write_keeps_the_table_whole(site: Deployment) -> None:
    """DDL is part of the unit of work on SQLite too: pysqlite runs CREATE/DROP/ALTER
    outside any transaction unless one is open, so a failing unit used to keep its
    DROP TABLE (a registered table that was gone: every read a 500) or its ALTER."""
    editor = site.api("editor")
    package = new_dataset(site, resources=[{"url": "https://example.org/d", "name": "ds"}])
    rid = package["resources"][0]["id"]
    assert editor.post("datastore_create", {"resource_id": rid, "records": [{"a": "1"}]}).ok
    # Replacing the resources would drop the table; the bad group fails the unit.
    failed = editor.post(
        "package_patch", {"id": package["id"], "resources": [], "groups": [{"name": "no-such"}]}
    )
    assert failed.status == 409, failed.body
    assert editor.post("datastore_search", {"resource_id": rid}).result["records"] == [
        {"_id": 1, "a": "1"}
    ]
    # A new field whose records fail: the column must not stay behind.
    two = [{"id": "a", "type": "text"}, {"id": "b", "type": "int"}]
    bad = editor.post(
        "datastore_create", {"resource_id": rid, "fields": two, "records": [{"b": "x"}]}
    )
    assert bad.status == 409, bad.body
    info = editor.post("datastore_info", {"id": rid}).result
    assert [f["id"] for f in info["fields"]] == ["_id", "a"]
    assert editor.post("datastore_create", {"resource_id": rid, "fields": two}).ok
    assert editor.post("datastore_delete", {"resource_id": rid, "filters": {"a": "1"}}).ok
    assert editor.post("datastore_search", {"resource_id": rid}).result["records"] == []


@pytest.mark.parametrize("role", [None, "member", "outsider"])
def test_only_editors_write(site: Deployment, table: dict[str, Any], role: str | None) -> None:
    answer = site.api(role).post(
        "datastore_upsert", {"resource_id": table["resource_id"], "records": [{"编号": 1}]}
    )
    assert answer.status == 403


def test_search_sql(site: Deployment, table: dict[str, Any]) -> None:
    rid = table["resource_id"]
    api = site.api()
    grouped = api.post(
        "datastore_search_sql",
        {"sql": f'SELECT "城市", count(*) AS n FROM "{rid}" GROUP BY "城市" ORDER BY n DESC, 1'},
    ).result
    assert sum(r["n"] for r in grouped["records"]) == 250
    assert {f["id"] for f in grouped["fields"]} == {"城市", "n"}
    liked = api.post(
        "datastore_search_sql",
        {"sql": f'SELECT count(*) AS n FROM "{rid}" WHERE "城市" LIKE \'%海%\''},
    ).result
    assert liked["records"] == [{"n": 42}]
    for refused in (
        f'DELETE FROM "{rid}"',
        f'SELECT * FROM "{rid}"; DROP TABLE "{rid}"',
        "SELECT * FROM portal_user",
        "SELECT * FROM api_token",
        "SELECT name FROM sqlite_master",
        "SELECT * FROM pg_catalog.pg_user",
        f'SELECT pg_sleep(5) FROM "{rid}"',
        f"SELECT load_extension('x') FROM \"{rid}\"",
        f'SELECT * INTO copy_table FROM "{rid}"',
        f'SELECT * FROM (WITH portal_user AS (SELECT 1 FROM "{rid}") SELECT 1) s, portal_user',
        "SELECT 1",
        "not sql at all (",
    ):
        answer = api.post("datastore_search_sql", {"sql": refused})
        assert answer.status in (403, 404, 409), (refused, answer.body)
        assert answer.body["success"] is False
    assert site.api().post("datastore_info", {"id": rid}).result["meta"]["count"] == 250


def test_dumps(site: Deployment, table: dict[str, Any]) -> None:
    base = f"{site.url}/datastore/dump/{table['resource_id']}"
    as_csv = httpx.get(base, timeout=60)
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["_id", *(f["id"] for f in FIELDS)]
    assert len(rows) == 251
    assert rows[1][:3] == ["1", "0", "上海"]
    bom = httpx.get(base, params={"bom": "true", "format": "tsv"}, timeout=60)
    assert bom.content.startswith("\ufeff_id\t".encode())
    as_json = httpx.get(base, params={"format": "json"}, timeout=60).json()
    assert len(as_json["records"]) == 250
    assert as_json["fields"][1] == {"id": "编号", "type": "int"}
    filtered = httpx.get(base, params={"q": "上海", "fields": "编号"}, timeout=60)
    assert len(filtered.text.strip().splitlines()) == 1 + 42
    xlsx = httpx.get(base, params={"format": "xlsx"}, timeout=60)
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("_id", "编号", "城市")
    assert len(values) == 251
    assert json.loads(values[1][6]) == {"n": 0}
    bad = httpx.get(base, params={"format": "xml"}, timeout=60)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
