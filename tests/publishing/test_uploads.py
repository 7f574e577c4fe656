"""Uploads end to end: streaming storage, validation with frictionless, GBK, DataStore load."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator

import httpx
import psutil
from openpyxl import Workbook

from tests.portal.conftest import Deployment
from tests.publishing.conftest import (
    MiB,
    new_dataset,
    storage_files,
    upload,
    wait_datastore,
    wait_validated,
)

SCHEMA = {
    "fields": [
        {"name": "编号", "type": "integer"},
        {"name": "名称", "type": "string"},
        {"name": "日期", "type": "date"},
        {"name": "金额", "type": "number"},
    ],
    "primaryKey": ["编号"],
}
ROWS = "编号,名称,日期,金额\n1,上海市徐汇区,2023-01-02,12.5\n2,江苏省苏州市,2023-02-03,7\n"


def test_csv_upload_is_stored_validated_and_loaded(site: Deployment) -> None:
    package = new_dataset(site)
    content = ROWS.encode("utf-8")
    response = upload(site, package["id"], content, "统计表.csv", schema=SCHEMA)
    resource = response.json()["result"]
    assert resource["size"] == len(content)
    assert resource["hash"] == hashlib.sha256(content).hexdigest()
    assert resource["validation_status"] == "pending"
    assert resource["url"].endswith("/download/%E7%BB%9F%E8%AE%A1%E8%A1%A8.csv")

    done = wait_datastore(site, resource["id"])
    assert done["validation_url"].endswith(f"/resource/{resource['id']}/validation.json")
    report = httpx.get(done["validation_url"], timeout=30).json()
    assert report["status"] == "success"
    assert report["schema"]["fields"][0]["name"] == "编号"
    assert report["report"]["tasks"][0]["stats"]["rows"] == 2
    assert report["report"]["schema_source"] == "given"
    assert str(site.server.home) not in json.dumps(report), "server paths leak into reports"

    found = site.api().post("datastore_search", {"resource_id": resource["id"]}).result
    assert [r["名称"] for r in found["records"]] == ["上海市徐汇区", "江苏省苏州市"]
    types = {f["id"]: f["type"] for f in found["fields"]}
    assert types == {"_id": "int", "编号": "int", "名称": "text", "日期": "date", "金额": "numeric"}


def test_gbk_csv_is_detected_converted_and_searchable(site: Deployment) -> None:
    package = new_dataset(site)
    content = ROWS.replace("徐汇区", "黄浦区").encode("gb18030")
    with __import__("pytest").raises(UnicodeDecodeError):
        content.decode("utf-8")
    resource = upload(site, package["id"], content, "gbk.csv").json()["result"]
    done = wait_datastore(site, resource["id"])
    report = httpx.get(done["validation_url"], timeout=30).json()
    assert report["source_encoding"] == "gb18030"
    assert report["report"]["converted_to_utf8"] is True
    # The published bytes stay as they were uploaded; the DataStore holds UTF-8 text.
    downloaded = httpx.get(done["url"], timeout=30).content
    assert downloaded == content
    found = site.api().post("datastore_search", {"resource_id": done["id"], "q": "黄浦"}).result
    assert found["total"] == 1
    assert found["records"][0]["名称"] == "上海市黄浦区"


def test_invalid_data_is_stored_but_marked(site: Deployment) -> None:
    package = new_dataset(site)
    content = "编号,名称,日期,金额\n1,甲,2023-01-02,1\nx,乙,not-a-date,2\n".encode()
    resource = upload(site, package["id"], content, "bad.csv", schema=SCHEMA).json()["result"]
    done = wait_validated(site, resource["id"])
    assert done["validation_status"] == "failure"
    assert not done["datastore_active"]
    report = httpx.get(done["validation_url"], timeout=30).json()["report"]
    kinds = {error["type"] for error in report["tasks"][0]["errors"]}
    assert "type-error" in kinds
    assert {e["rowNumber"] for e in report["tasks"][0]["errors"]} == {3}
    assert httpx.get(done["url"], timeout=30).content == content  # still published


def test_inferred_schema_relaxes_a_wrong_guess(site: Deployment) -> None:
    package = new_dataset(site)
    rows = ["区划,人口"] + [f"{310100 + i},{i}" for i in range(12_000)] + ["未知,5"]
    resource = upload(site, package["id"], "\n".join(rows).encode(), "p.csv").json()["result"]
    done = wait_datastore(site, resource["id"])
    report = httpx.get(done["validation_url"], timeout=30).json()
    assert report["report"]["schema_source"] == "inferred"
    assert "区划" in report["report"]["notes"][0]
    info = site.api().post("datastore_info", {"id": done["id"]}).result
    assert info["meta"]["count"] == 12_001
    assert info["schema"]["区划"] == "text"
    assert info["schema"]["人口"] == "int"


def test_xlsx_and_json_tables_are_validated_and_loaded(site: Deployment) -> None:
    package = new_dataset(site)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["城市", "人口"])
    sheet.append(["上海", 2487])
    sheet.append(["南京", 949])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = upload(site, package["id"], buffer.getvalue(), "人口.xlsx").json()["result"]
    assert xlsx["format"] == "XLSX"
    table = json.dumps([{"城市": "杭州", "人口": 1237}, {"城市": "合肥", "人口": 963}]).encode()
    as_json = upload(site, package["id"], table, "人口.json").json()["result"]
    for resource, first in ((xlsx, "上海"), (as_json, "杭州")):
        wait_datastore(site, resource["id"])
        found = site.api().post("datastore_search", {"resource_id": resource["id"]}).result
        assert found["records"][0]["城市"] == first
        assert found["total"] == 2


def test_replacing_an_upload_removes_the_old_file(site: Deployment) -> None:
    package = new_dataset(site)
    first = upload(site, package["id"], b"a,b\n1,2\n", "one.csv").json()["result"]
    wait_validated(site, first["id"])
    before, _ = storage_files(site)
    response = httpx.post(
        f"{site.url}/api/3/action/resource_patch",
        data={"id": first["id"]},
        files={"upload": ("two.csv", b"a,b\n3,4\n")},
        headers={"Authorization": site.tokens["sysadmin"]},
        timeout=60,
    )
    second = response.json()["result"]
    assert second["hash"] == hashlib.sha256(b"a,b\n3,4\n").hexdigest()
    after, temporary = storage_files(site)
    assert len(after) == len(before)  # one file in, one out
    assert temporary == []
    wait_datastore(site, first["id"])
    found = site.api().post("datastore_search", {"resource_id": first["id"]}).result
    assert found["records"][0]["a"] == 3


def _stream(size: int, digest: hashlib._Hash) -> Iterator[bytes]:
    block = hashlib.sha512(b"delta").digest() * 16_384  # 1 MiB of varied bytes
    sent = 0
    while sent < size:
        chunk = block[: min(len(block), size - sent)]
        digest.update(chunk)
        sent += len(chunk)
        yield chunk


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.05)


def test_200_mb_upload_and_download_in_constant_memory(site: Deployment) -> None:
    package = new_dataset(site)
    size = 200 * MiB
    # Warm up: the first upload and index update load code and dictionaries once.
    upload(site, package["id"], b"warm-up", "warm.bin")
    assert site.server.process is not None
    pid = site.server.process.pid
    baseline = psutil.Process(pid).memory_info().rss
    peak = [baseline]
    stop = threading.Event()
    watcher = threading.Thread(target=_peak_rss, args=(pid, stop, peak), daemon=True)
    watcher.start()
    sent = hashlib.sha256()
    boundary = "delta-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="package_id"\r\n\r\n'
        f"{package['id']}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from _stream(size, sent)
        yield tail

    try:
        response = httpx.post(
            f"{site.url}/api/3/action/resource_create",
            content=body(),
            headers={
                "Authorization": site.tokens["sysadmin"],
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
            timeout=300,
        )
        resource = response.json()["result"]
        assert resource["size"] == size
        assert resource["hash"] == sent.hexdigest()
        received = hashlib.sha256()
        with httpx.stream("GET", resource["url"], timeout=300) as download:
            assert download.headers["content-length"] == str(size)
            for chunk in download.iter_bytes():
                received.update(chunk)
        assert received.hexdigest() == sent.hexdigest()
    finally:
        stop.set()
        watcher.join()
    growth = peak[0] - baseline
    assert growth < 100 * MiB, f"server RSS grew by {growth / MiB:.0f} MiB"


def test_foreign_keys_into_other_resources_are_noted_not_failed(site: Deployment) -> None:
    package = new_dataset(site)
    schema = {
        "fields": [{"name": "站点", "type": "string"}, {"name": "数值", "type": "integer"}],
        "foreignKeys": [
            {"fields": ["站点"], "reference": {"resource": "stations", "fields": ["编号"]}}
        ],
    }
    content = "站点,数值\nS1,3\nS2,4\n".encode()
    resource = upload(site, package["id"], content, "读数.csv", schema=schema).json()["result"]
    done = wait_datastore(site, resource["id"])
    report = httpx.get(done["validation_url"], timeout=30).json()["report"]
    assert report["notes"] == ["Foreign keys into other resources of the dataset were not checked"]
