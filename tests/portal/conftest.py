"""A real portal server per database backend (SQLite and PostgreSQL), shared by a session.

Tests create their own datasets with unique names, so they do not interfere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.ckan import Api
from tests.support.postgres import temporary_database
from tests.support.processes import PortalServer, start_portal

ROLES = ("sysadmin", "org_admin", "editor", "member", "outsider")


@dataclass
class Deployment:
    """A running portal plus users in every role and two organisations."""

    server: PortalServer
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)
    org: dict = field(default_factory=dict)
    other_org: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, role: str | None = None) -> Api:
        return Api(self.url, self.tokens[role] if role else None)

    def new_name(self, prefix: str = "ds") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _provision(server: PortalServer, backend: str) -> Deployment:
    deployment = Deployment(server=server, backend=backend)
    for role in ROLES:
        server.cli(
            "user", "create", f"{role}-user", "--email", f"{role}@example.org",
            "--password", "correct-horse-battery", *(["--sysadmin"] if role == "sysadmin" else []),
        )  # fmt: skip
        deployment.tokens[role] = server.cli(
            "token", "create", f"{role}-user", "--name", "tests"
        ).strip()
    admin = deployment.api("sysadmin")
    deployment.org = admin.post(
        "organization_create",
        {"name": "perm-org", "title": "上海市测试局", "region_code": "310000"},
    ).result
    deployment.other_org = admin.post(
        "organization_create",
        {"name": "other-org", "title": "江苏省测试厅", "region_code": "320000"},
    ).result
    for role, capacity in (("org_admin", "admin"), ("editor", "editor"), ("member", "member")):
        assert admin.post(
            "organization_member_create",
            {"id": "perm-org", "username": f"{role}-user", "role": capacity},
        ).ok
    assert admin.post(
        "organization_member_create",
        {"id": "other-org", "username": "outsider-user", "role": "editor"},
    ).ok
    admin.close()
    return deployment


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with ExitStack() as stack:
        home: Path = tmp_path_factory.mktemp(f"portal-{request.param}")
        database_url = None
        if request.param == "postgresql":
            database_url = stack.enter_context(temporary_database())
        server = start_portal(home, database_url=database_url)
        stack.callback(server.stop)
        yield _provision(server, request.param)
