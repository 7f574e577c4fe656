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
    # The first sysadmin can only come from the command line; the others come through the
    # API as a sysadmin would add them (two CLI runs instead of ten: each loads the app).
    server.cli(
        "user", "create", "sysadmin-user", "--email", "sysadmin@example.org",
        "--password", "correct-horse-battery", "--sysadmin",
    )  # fmt: skip
    deployment.tokens["sysadmin"] = server.cli(
        "token", "create", "sysadmin-user", "--name", "tests"
    ).strip()
    admin = deployment.api("sysadmin")
    for role in ROLES[1:]:
        assert admin.post(
            "user_create",
            {"name": f"{role}-user", "email": f"{role}@example.org",
             "password": "correct-horse-battery"},
        ).ok  # fmt: skip
        deployment.tokens[role] = admin.post(
            "api_token_create", {"user": f"{role}-user", "name": "tests"}
        ).result["token"]
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


class Deployments:
    """Running portals kept for the whole session, one per database backend.

    pytest keeps one instance of a parametrized session fixture at a time: a worker
    that runs a SQLite test after a PostgreSQL one would stop the PostgreSQL portal and
    provision it again for the next file. Here each backend's portal is started the
    first time a test asks for it and kept until the session ends.
    """

    def __init__(
        self, stack: ExitStack, tmp: pytest.TempPathFactory, name: str, **settings: str
    ) -> None:
        self.stack, self.tmp, self.name, self.settings = stack, tmp, name, settings
        self.running: dict[str, Deployment] = {}

    def get(self, backend: str) -> Deployment:
        if backend not in self.running:
            home: Path = self.tmp.mktemp(f"{self.name}-{backend}")
            database_url = None
            if backend == "postgresql":
                database_url = self.stack.enter_context(temporary_database())
            server = start_portal(home, database_url=database_url, **self.settings)
            self.stack.callback(server.stop)
            self.running[backend] = _provision(server, backend)
        return self.running[backend]


@pytest.fixture(scope="session")
def portal_deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    with ExitStack() as stack:
        yield Deployments(stack, tmp_path_factory, "portal")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, portal_deployments: Deployments) -> Deployment:
    return portal_deployments.get(request.param)
