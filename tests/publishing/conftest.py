"""Real portal servers (SQLite and PostgreSQL) set up for publishing tests.

Limits are small enough to test quickly: a 300 MiB upload limit (so a 200 MB
upload proves constant memory and a 301 MiB one is refused), a fast ingest
poll, datastore_search_sql switched on. Users in every role come from
tests.portal.conftest; the "outsider" (an editor of another organisation)
plays the applicant for conditional datasets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.portal.conftest import Deployment, Deployments

MiB = 1024 * 1024
UPLOAD_LIMIT = 300 * MiB
SETTINGS = {
    "DELTA_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    "DELTA_INGEST_POLL_SECONDS": "0.2",
    "DELTA_DATASTORE_SEARCH_SQL_ENABLED": "true",
    "DELTA_MAX_XLSX_UNCOMPRESSED_BYTES": str(64 * MiB),
}


@pytest.fixture(scope="session")
def publishing_deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    with ExitStack() as stack:
        yield Deployments(stack, tmp_path_factory, "publishing", **SETTINGS)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, publishing_deployments: Deployments) -> Deployment:
    return publishing_deployments.get(request.param)


def storage_files(site: Deployment) -> tuple[list[Path], list[Path]]:
    """(stored objects, temporary files) in the server's storage."""
    root = site.server.home / "storage"
    objects = sorted(p for p in (root / "objects").rglob("*") if p.is_file())
    temporary = sorted(p for p in (root / "tmp").iterdir() if p.is_file())
    return objects, temporary


def new_dataset(site: Deployment, **extra: Any) -> dict[str, Any]:
    admin = site.api("sysadmin")
    data = {"name": site.new_name("pub"), "title": "发布测试", "owner_org": "perm-org", **extra}
    created = admin.post("package_create", data).result
    admin.close()
    return dict(created)


def upload(
    site: Deployment,
    package_id: str,
    content: bytes,
    filename: str,
    *,
    role: str = "sysadmin",
    **fields: Any,
) -> httpx.Response:
    data = {"package_id": package_id, "name": fields.pop("name", filename), **fields}
    return httpx.post(
        f"{site.url}/api/3/action/resource_create",
        data={k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()},
        files={"upload": (filename, content)},
        headers={"Authorization": site.tokens[role]} if role else {},
        timeout=120,
    )


def wait_validated(site: Deployment, resource_id: str, *, timeout: float = 90) -> dict[str, Any]:
    """The resource once its validation (and DataStore load) has finished."""
    admin = site.api("sysadmin")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            resource = admin.post("resource_show", {"id": resource_id}).result
            # The DataStore load happens before the status is recorded.
            if resource.get("validation_status") not in (None, "pending"):
                return dict(resource)
            time.sleep(0.2)
    finally:
        admin.close()
    raise AssertionError(f"resource {resource_id} was not validated within {timeout}s")


def wait_datastore(site: Deployment, resource_id: str, *, timeout: float = 90) -> dict[str, Any]:
    resource = wait_validated(site, resource_id, timeout=timeout)
    assert resource["validation_status"] == "success", resource
    assert resource["datastore_active"], resource
    return resource
