"""Downloads with a real HTTP client: ranges, validators, 304/412/416, headers, counts,
and curl -C - resuming a broken download."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import time
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.portal.conftest import Deployment
from tests.publishing.conftest import MiB, new_dataset, upload

CONTENT = bytes(range(256)) * 4096  # 1 MiB, every byte value


@pytest.fixture(scope="module")
def stored(site: Deployment) -> dict[str, Any]:
    package = new_dataset(site)
    response = upload(site, package["id"], CONTENT, "上海 数据.bin", format="BIN")
    return dict(response.json()["result"])


def downloads(site: Deployment, resource_id: str) -> int:
    return int(site.api().post("resource_show", {"id": resource_id}).result["downloads"])


def test_full_download_headers(stored: dict[str, Any]) -> None:
    response = httpx.get(stored["url"], timeout=30)
    assert response.status_code == 200
    assert response.content == CONTENT
    headers = response.headers
    sha256 = hashlib.sha256(CONTENT).digest()
    assert headers["etag"] == f'"{sha256.hex()}"'
    assert headers["accept-ranges"] == "bytes"
    assert headers["content-length"] == str(len(CONTENT))
    assert headers["repr-digest"] == f"sha-256=:{base64.b64encode(sha256).decode()}:"
    assert headers["digest"] == f"sha-256={base64.b64encode(sha256).decode()}"
    disposition = headers["content-disposition"]
    assert disposition.startswith('attachment; filename="download.bin"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "上海 数据.bin"
    assert headers["x-content-type-options"] == "nosniff"
    assert parsedate_to_datetime(headers["last-modified"])


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, len(CONTENT) - 1),
     ("bytes=-10", len(CONTENT) - 10, len(CONTENT) - 1),
     ("bytes=5-5000000", 5, len(CONTENT) - 1)],
)  # fmt: skip
def test_single_ranges(stored: dict[str, Any], header: str, start: int, end: int) -> None:
    response = httpx.get(stored["url"], headers={"Range": header}, timeout=30)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == CONTENT[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=2000000-", "bytes=-0"])
def test_unsatisfiable_ranges(stored: dict[str, Any], header: str) -> None:
    response = httpx.get(stored["url"], headers={"Range": header}, timeout=30)
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-4", "bytes=9-3", "garbage"])
def test_ranges_we_do_not_serve_give_the_whole_file(stored: dict[str, Any], header: str) -> None:
    response = httpx.get(stored["url"], headers={"Range": header}, timeout=30)
    assert response.status_code == 200
    assert response.content == CONTENT


def test_conditional_requests(stored: dict[str, Any]) -> None:
    first = httpx.get(stored["url"], timeout=30)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"nope", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
    ):
        response = httpx.get(stored["url"], headers=headers, timeout=30)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    mixed = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert httpx.get(stored["url"], headers=mixed, timeout=30).status_code == 200
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert httpx.get(stored["url"], headers={"If-Modified-Since": earlier}).status_code == 200
    assert httpx.get(stored["url"], headers={"If-Match": '"other"'}).status_code == 412
    assert httpx.get(stored["url"], headers={"If-Match": etag}).status_code == 200


def test_if_range(stored: dict[str, Any]) -> None:
    etag = httpx.head(stored["url"], timeout=30).headers["etag"]
    same = httpx.get(stored["url"], headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206
    assert same.content == CONTENT[:10]
    changed = httpx.get(stored["url"], headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert changed.status_code == 200
    assert changed.content == CONTENT


def test_head_has_headers_and_no_body(stored: dict[str, Any]) -> None:
    response = httpx.head(stored["url"], timeout=30)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.content == b""


def test_what_counts_as_a_download(site: Deployment, stored: dict[str, Any]) -> None:
    url, rid = stored["url"], stored["id"]
    before = downloads(site, rid)
    httpx.head(url)  # not a download
    httpx.get(url, headers={"Range": "bytes=100-"})  # a continuation
    httpx.get(url, headers={"If-None-Match": httpx.head(url).headers["etag"]})  # 304
    httpx.get(url, headers={"Range": "bytes=5000000-"})  # 416
    assert downloads(site, rid) == before
    httpx.get(url)
    assert downloads(site, rid) == before + 1
    httpx.get(url, headers={"Range": "bytes=0-1023"})  # the start of a download
    assert downloads(site, rid) == before + 2
    package = site.api().post("package_show", {"id": stored["package_id"]}).result
    assert package["downloads"] >= before + 2


def test_curl_resumes_a_broken_download(site: Deployment, tmp_path: Path) -> None:
    package = new_dataset(site)
    content = os.urandom(32 * MiB)
    resource = upload(site, package["id"], content, "resume.bin").json()["result"]
    target = tmp_path / "resume.bin"
    before = downloads(site, resource["id"])
    slow = subprocess.Popen(
        ["curl", "-s", "--limit-rate", "4M", "-o", str(target), resource["url"]]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not target.exists() or target.stat().st_size < MiB):
        time.sleep(0.1)
    slow.kill()
    slow.wait()
    partial = target.stat().st_size
    assert 0 < partial < len(content), "the first download should have been cut short"
    subprocess.run(["curl", "-sf", "-C", "-", "-o", str(target), resource["url"]], check=True)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == resource["hash"]
    assert downloads(site, resource["id"]) == before + 1  # the resume did not count again


def test_link_resources_redirect(site: Deployment) -> None:
    package = new_dataset(site, resources=[{"url": "https://example.org/data.csv", "name": "l"}])
    resource = package["resources"][0]
    portal_url = f"{site.url}/dataset/{package['id']}/resource/{resource['id']}/download/link"
    response = httpx.get(portal_url, timeout=30)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.org/data.csv"


def test_missing_things_are_404_problems(site: Deployment, stored: dict[str, Any]) -> None:
    wrong_package = stored["url"].replace(stored["package_id"], new_dataset(site)["id"])
    for url in (wrong_package, f"{site.url}/dataset/x/resource/nope/download/a.csv"):
        response = httpx.get(url, timeout=30)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
