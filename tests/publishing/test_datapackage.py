"""/dataset/{id}/datapackage.json is a Data Package the real ``frictionless validate`` accepts."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from tests.portal.conftest import Deployment
from tests.publishing.conftest import new_dataset, upload, wait_datastore

FRICTIONLESS = str(Path(sys.executable).parent / "frictionless")
SCHEMA = {"fields": [{"name": "区县", "type": "string"}, {"name": "人口", "type": "integer"}]}


@pytest.fixture(scope="module")
def published(site: Deployment) -> dict[str, Any]:
    package = new_dataset(
        site,
        license_id="cc-by-4.0",
        notes="上海市各区常住人口",
        author="上海市统计局",
        tags=[{"name": "人口"}],
    )
    rows = "区县,人口\n徐汇区,1113078\n黄浦区,662030\n"
    csv_resource = upload(site, package["id"], rows.encode(), "人口.csv", schema=SCHEMA)
    gbk = upload(site, package["id"], rows.encode("gb18030"), "人口-gbk.csv")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in rows.strip().splitlines():
        name, count = line.split(",")
        sheet.append([name, int(count) if count.isdigit() else count])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = upload(site, package["id"], buffer.getvalue(), "人口.xlsx")
    for response in (csv_resource, gbk, xlsx):
        wait_datastore(site, response.json()["result"]["id"])
    return package


def test_descriptor_content(site: Deployment, published: dict[str, Any]) -> None:
    descriptor = httpx.get(f"{site.url}/dataset/{published['name']}/datapackage.json").json()
    assert descriptor["name"] == published["name"]
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["sources"][0]["title"] == "上海市测试局"
    assert descriptor["keywords"] == ["人口"]
    by_format = {r["format"]: r for r in descriptor["resources"] if r["format"] != "csv"}
    csvs = [r for r in descriptor["resources"] if r["format"] == "csv"]
    assert {r.get("encoding") for r in csvs} == {"utf-8", "gb18030"}
    assert by_format["xlsx"]["schema"]["fields"][0]["name"] == "区县"
    for resource in csvs:
        assert resource["hash"].startswith("sha256:")
    for resource in descriptor["resources"]:
        assert resource["path"].startswith(site.url)
        assert resource["profile"] == "tabular-data-resource"


def _validate(target: str) -> dict[str, Any]:
    run = subprocess.run(
        [FRICTIONLESS, "validate", "--json", target],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout)
    assert report["valid"], json.dumps(report, ensure_ascii=False)[:3000]
    assert run.returncode == 0
    return dict(report)


def test_frictionless_validates_the_url(site: Deployment, published: dict[str, Any]) -> None:
    report = _validate(f"{site.url}/dataset/{published['id']}/datapackage.json")
    assert len(report["tasks"]) == 3
    assert all(task["valid"] for task in report["tasks"])


def test_frictionless_validates_a_saved_copy(
    site: Deployment, published: dict[str, Any], tmp_path: Path
) -> None:
    descriptor = httpx.get(f"{site.url}/dataset/{published['id']}/datapackage.json").json()
    # frictionless 5.21 opens a remote XLSX path of a *local* descriptor as a local file
    # (the URL above validates it fine), so the saved copy keeps the CSV resources.
    descriptor["resources"] = [r for r in descriptor["resources"] if r["format"] != "xlsx"]
    saved = tmp_path / "datapackage.json"
    saved.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    report = _validate(str(saved))
    assert len(report["tasks"]) == 2


def test_private_datasets_need_membership(site: Deployment) -> None:
    package = new_dataset(site, private=True)
    url = f"{site.url}/dataset/{package['id']}/datapackage.json"
    assert httpx.get(url).status_code == 403
    member = {"Authorization": site.tokens["member"]}
    assert httpx.get(url, headers=member).status_code == 200
    assert httpx.get(f"{site.url}/dataset/no-such-dataset/datapackage.json").status_code == 404
