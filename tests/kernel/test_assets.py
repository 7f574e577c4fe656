"""Front-end assets come from the npm registry (``npm ci`` in ``make install``) and are
served from our own origin under a versioned URL; nothing else under that prefix is."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from delta import assets
from delta.http import install_error_handlers


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(assets.router)
    return TestClient(app)


def test_every_vendored_file_is_installed() -> None:
    assert assets.check_installed() == []


@pytest.mark.parametrize("name", sorted(assets.VENDOR_FILES))
def test_served_with_its_locked_version_and_cached(client: TestClient, name: str) -> None:
    entry = assets.VENDOR_FILES[name]
    lock = json.loads((assets.DEFAULT_DIR.parent / "package-lock.json").read_text("utf-8"))
    locked = lock["packages"][f"node_modules/{entry.package}"]["version"]
    url = assets.vendor_url(name)
    assert url == f"/static/vendor/{entry.package}@{locked}/{name}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == assets.vendor_path(name).read_bytes()
    assert response.headers["content-type"].startswith(entry.media_type)
    assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/echarts@6.1.0/package.json",  # a real file, but not on the list
        "/static/vendor/echarts@0.0.1/echarts.min.js",  # wrong version
        "/static/vendor/redoc@2.5.4/echarts.min.js",  # wrong package for the name
        "/static/vendor/echarts@6.1.0/..%2F..%2Fpackage.json",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
