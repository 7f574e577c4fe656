"""Bad uploads get a clear error and store nothing: no resource, no file, no temporary file."""

from __future__ import annotations

import io
import socket
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.portal.conftest import Deployment
from tests.publishing.conftest import UPLOAD_LIMIT, MiB, new_dataset, storage_files, upload


@pytest.fixture
def package(site: Deployment) -> Iterator[dict[str, Any]]:
    """A dataset; afterwards it must have no resources and storage must be as before."""
    created = new_dataset(site)
    before, _ = storage_files(site)
    yield created
    shown = site.api("sysadmin").post("package_show", {"id": created["id"]}).result
    assert shown["resources"] == [], "a refused upload created a resource"
    after, temporary = storage_files(site)
    assert after == before, "a refused upload left a stored file"
    assert temporary == [], "a refused upload left a temporary file"


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["success"] is False
    return dict(body["error"])


def _zip_bomb() -> bytes:
    """A tiny .xlsx whose sheet would inflate to 200 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"<c>0</c>" * (1024 * 128)
            for _ in range(200):
                sheet.write(block)
    return buffer.getvalue()


def _not_xlsx_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("picture.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image, not CSV"),
        ("report.csv", b"%PDF-1.7\n...", "PDF document, not CSV"),
        ("table.xlsx", b"id,name\n1,a\n", "not an XLSX workbook"),
        ("archive.xlsx", _not_xlsx_zip(), "xl/workbook.xml is missing"),
        ("bomb.xlsx", _zip_bomb(), "zip bomb"),
        ("broken.csv", b"id,name\n1,\xff\xfe\xfd\xfc\x80\x80\n" * 20, "encoding we can read"),
        ("binary.csv", b"a,b\n\x00\x01\x02\x03", "encoding we can read"),
        ("data.json", b"id,name\n1,a\n", "not JSON"),
    ],
    ids=["png-as-csv", "pdf-as-csv", "csv-as-xlsx", "zip-not-xlsx", "xlsx-zip-bomb",
         "broken-encoding", "binary-csv", "csv-as-json"],
)  # fmt: skip
def test_wrong_content_is_refused(
    site: Deployment, package: dict[str, Any], filename: str, content: bytes, fragment: str
) -> None:
    error = _error(upload(site, package["id"], content, filename), 409)
    assert error["__type"] == "Validation Error"
    assert any(fragment in message for message in error["upload"]), error


def test_zip_bomb_is_small_on_the_wire() -> None:
    assert len(_zip_bomb()) < 2 * MiB


def _multipart(package_id: str, size: int, boundary: str = "b0undary") -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="package_id"\r\n\r\n'
        f'{package_id}\r\n--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
        'filename="huge.bin"\r\n\r\n'
    ).encode()
    block = b"\x5a" * MiB
    sent = 0
    while sent < size:
        yield block[: min(MiB, size - sent)]
        sent += MiB
    yield f"\r\n--{boundary}--\r\n".encode()


def test_oversize_upload_streamed_without_length(site: Deployment, package: dict[str, Any]) -> None:
    try:
        response = httpx.post(
            f"{site.url}/api/3/action/resource_create",
            content=_multipart(package["id"], UPLOAD_LIMIT + MiB),
            headers={
                "Authorization": site.tokens["sysadmin"],
                "Content-Type": "multipart/form-data; boundary=b0undary",
            },
            timeout=120,
        )
    except httpx.TransportError:
        return  # the server may close the connection instead of reading the rest
    error = _error(response, 413)
    assert "larger than the limit" in error["message"]


def test_oversize_upload_with_declared_length(site: Deployment, package: dict[str, Any]) -> None:
    body = b"".join(_multipart(package["id"], 0))
    response = httpx.post(
        f"{site.url}/api/3/action/resource_create",
        content=body,
        headers={
            "Authorization": site.tokens["sysadmin"],
            "Content-Type": "multipart/form-data; boundary=b0undary",
            "Content-Length": str(len(body)),
        },
        timeout=60,
    )
    assert response.status_code == 200  # the same body, honestly sized, is fine
    site.api("sysadmin").post("resource_delete", {"id": response.json()["result"]["id"]})
    # Declared larger than the limit: refused before a byte of the body is read.
    host, port = site.url.removeprefix("http://").split(":")
    head = (
        "POST /api/3/action/resource_create HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: {site.tokens['sysadmin']}\r\n"
        "Content-Type: multipart/form-data; boundary=b0undary\r\n"
        f"Content-Length: {UPLOAD_LIMIT * 2}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        raw.sendall(head.encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line
    assert f"limit of {UPLOAD_LIMIT} bytes".encode() in rest


def test_deleted_resources_leave_storage(site: Deployment) -> None:
    package = new_dataset(site)
    before, _ = storage_files(site)
    created = upload(site, package["id"], b"x", "x.bin").json()["result"]
    assert len(storage_files(site)[0]) == len(before) + 1
    site.api("sysadmin").post("resource_delete", {"id": created["id"]})
    assert storage_files(site)[0] == before


@pytest.mark.parametrize(
    "filename", ["../../../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv", "/abs/x.csv"]
)
def test_path_traversal_in_file_names_goes_nowhere(site: Deployment, filename: str) -> None:
    package = new_dataset(site)
    resource = upload(site, package["id"], b"a,b\n1,2\n", filename).json()["result"]
    tail = filename.replace("\\", "/").rsplit("/", 1)[-1]
    assert resource["url"].endswith("/download/" + tail)
    objects, _ = storage_files(site)
    root = (site.server.home / "storage" / "objects").resolve()
    assert all(path.resolve().is_relative_to(root) for path in objects)
    assert not any(path.name.endswith(".csv") for path in objects)  # keys, never names


@pytest.mark.parametrize("role", [None, "member", "outsider"])
def test_uploads_by_those_who_may_not_write_store_nothing(
    site: Deployment, package: dict[str, Any], role: str | None
) -> None:
    response = upload(site, package["id"], b"a,b\n1,2\n" * 1000, "x.csv", role=role or "")
    assert _error(response, 403)["__type"] == "Authorization Error"


def test_multipart_problems(site: Deployment, package: dict[str, Any]) -> None:
    url = f"{site.url}/api/3/action/resource_create"
    auth = {"Authorization": site.tokens["sysadmin"]}
    no_boundary = httpx.post(
        url, content=b"--x\r\n", headers={**auth, "Content-Type": "multipart/form-data"}
    )
    assert "no boundary" in _error(no_boundary, 400)["message"]
    truncated = httpx.post(
        url,
        content=b"".join(_multipart(package["id"], 1000))[:-20],
        headers={**auth, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert _error(truncated, 400)["__type"] == "Bad Request"
    two_files = httpx.post(
        url,
        data={"package_id": package["id"]},
        files=[("upload", ("a.csv", b"a\n1\n")), ("other", ("b.csv", b"b\n2\n"))],
        headers=auth,
    )
    assert "At most 1 file" in _error(two_files, 400)["message"]


def test_file_parts_of_other_actions_are_never_stored(site: Deployment) -> None:
    before, _ = storage_files(site)
    response = httpx.post(
        f"{site.url}/api/3/action/package_create",
        data={"name": site.new_name("multi"), "owner_org": "perm-org"},
        files={"upload": ("a.csv", b"a,b\n1,2\n")},
        headers={"Authorization": site.tokens["sysadmin"]},
    )
    assert response.status_code == 200
    assert storage_files(site)[0] == before
