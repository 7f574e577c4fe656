"""Killing the server (SIGKILL) in the middle of an upload leaves no resource and no file.

A real server process, a real HTTP client streaming a large body that stalls
halfway; the server is killed while the half-written file sits in storage's
temporary directory. After a restart there is no resource row, no temporary
file, and no stored object nobody refers to -- while a file uploaded before
the crash is still there and downloads intact.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.publishing.conftest import SETTINGS, MiB
from tests.support.ckan import Api
from tests.support.postgres import temporary_database
from tests.support.processes import PortalServer, start_portal


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PortalServer]:
    with ExitStack() as stack:
        database_url = None
        if request.param == "postgresql":
            database_url = stack.enter_context(temporary_database())
        portal = start_portal(tmp_path / "home", database_url=database_url, **SETTINGS)
        stack.callback(portal.stop)
        yield portal


def _files(root: Path) -> tuple[list[Path], list[Path]]:
    objects = sorted(p for p in (root / "objects").rglob("*") if p.is_file())
    return objects, sorted((root / "tmp").iterdir())


def test_kill_during_upload_leaves_nothing(server: PortalServer) -> None:
    server.cli("user", "create", "admin", "--email", "a@example.org",
               "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
    token = server.cli("token", "create", "admin", "--name", "t").strip()
    api = Api(server.url, token)
    assert api.post("organization_create", {"name": "crash-org", "title": "崩溃测试"}).ok
    package = api.post("package_create", {"name": "crash-ds", "owner_org": "crash-org"}).result
    kept_bytes = os.urandom(3 * MiB)
    kept = httpx.post(
        f"{server.url}/api/3/action/resource_create",
        data={"package_id": package["id"]},
        files={"upload": ("kept.bin", kept_bytes)},
        headers={"Authorization": token},
        timeout=60,
    ).json()["result"]
    storage = server.home / "storage"
    objects_before, _ = _files(storage)
    assert len(objects_before) == 1

    stall = threading.Event()
    outcome: list[object] = []

    def body() -> Iterator[bytes]:
        yield (
            '--cut\r\nContent-Disposition: form-data; name="package_id"\r\n\r\n'
            f'{package["id"]}\r\n--cut\r\nContent-Disposition: form-data; name="upload"; '
            'filename="half.bin"\r\n\r\n'
        ).encode()
        block = os.urandom(MiB)
        for _ in range(60):
            yield block
        stall.wait(60)  # the rest never comes: the server dies first
        yield block

    def client() -> None:
        try:
            outcome.append(
                httpx.post(
                    f"{server.url}/api/3/action/resource_create",
                    content=body(),
                    headers={
                        "Authorization": token,
                        "Content-Type": "multipart/form-data; boundary=cut",
                    },
                    timeout=60,
                )
            )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    while time.monotonic() < deadline:
        partial = [p for p in _files(storage)[1] if p.suffix == ".part"]
        if partial and partial[0].stat().st_size >= 50 * MiB:
            break
        time.sleep(0.1)
    assert partial, "the upload never reached storage"

    server.kill()  # SIGKILL: no shutdown handlers run
    stall.set()
    thread.join(30)
    assert outcome and isinstance(outcome[0], httpx.HTTPError)
    assert partial[0].exists(), "the crash should have left the half-written file"
    # A crash between moving a file into place and committing leaves an object no row
    # refers to; plant one to see it swept too.
    orphan = storage / "objects" / "ab" / ("ab" + "0" * 30)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")

    server.start()
    shown = Api(server.url, token).post("package_show", {"id": package["id"]}).result
    assert [r["id"] for r in shown["resources"]] == [kept["id"]]
    objects_after, temporary_after = _files(storage)
    assert objects_after == objects_before
    assert temporary_after == []
    downloaded = httpx.get(kept["url"], timeout=60).content
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(kept_bytes).hexdigest()
