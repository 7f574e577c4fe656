"""An in-process portal (the real app factory, a real database) loaded with the samples.

The HTTP boundary is not the point of these tests, so they use FastAPI's
TestClient against ``create_app``; one portal per database for the package.
Harvest tests between real portal processes have their own fixtures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from datasets import packages
from datasets.policy import Principal
from delta import migrations
from delta.settings import load_settings
from open_portal import demo
from open_portal.app import create_app
from open_portal.runtime import Portal
from tests.support.postgres import temporary_database

SITE = "http://portal.test"
ADMIN_PASSWORD = "correct-horse-battery"


@dataclass
class InProcessPortal:
    client: TestClient
    portal: Portal
    backend: str

    @property
    def admin(self) -> Principal:
        with self.portal.sessions() as session:
            from open_portal.accounts import service as accounts

            user = accounts.find_user(session, demo.DEMO_ADMIN)
            assert user is not None
            return Principal(user_id=user.id, name=user.name, sysadmin=True)

    def patch(self, ref: str, **fields: Any) -> dict[str, Any]:
        with self.portal.unit_of_work() as unit:
            return packages.update_package(
                unit, actor=self.admin, data={"id": ref, **fields}, patch=True
            )

    def create(self, **fields: Any) -> dict[str, Any]:
        with self.portal.unit_of_work() as unit:
            return packages.create_package(unit, actor=self.admin, data=fields)


@contextmanager
def in_process_portal(home: Path, *, database_url: str | None, backend: str, **settings: Any):
    config = load_settings(
        home=home, env="test", secret_key=secrets.token_urlsafe(32), site_url=SITE,
        database_url=database_url, ingest_worker=False, harvest_scheduler=False, **settings,
    )  # fmt: skip
    config.ensure_home()
    migrations.upgrade(config.portal_database_url, package="open_portal")
    app = create_app(config)
    demo.load(app.state.portal, password=ADMIN_PASSWORD)
    with TestClient(app) as client:
        yield InProcessPortal(client, app.state.portal, backend)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="package", params=BACKENDS)
def sample_portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessPortal]:
    with ExitStack() as stack:
        database_url = None
        if request.param == "postgresql":
            database_url = stack.enter_context(temporary_database())
        home = tmp_path_factory.mktemp(f"dcat-{request.param}")
        yield stack.enter_context(
            in_process_portal(
                home, database_url=database_url, backend=request.param, dcat_datasets_per_page=10
            )
        )
