"""The real portal app in this process: the app factory, a real database (SQLite or a
throw-away PostgreSQL), the embedded search index, users in every role -- and a
TestClient instead of a server process, for tests where the process boundary is
not the point.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from delta import migrations
from delta.settings import load_settings
from tests.support.ckan import Answer
from tests.support.postgres import temporary_database

SITE_URL = "http://testserver"  # TestClient's own origin: printed URLs work as they are
ROLE_CAPACITIES = {"org_admin": "admin", "editor": "editor", "member": "member"}


class LocalApi:
    """The CKAN Action API of an in-process app, as tests.support.ckan.Api speaks it."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": token} if token else {}

    def _answer(self, response: Any) -> Answer:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    def post(self, action: str, data: dict[str, Any] | None = None) -> Answer:
        response = self.client.post(
            f"/api/3/action/{action}", json=data or {}, headers=self.headers
        )
        return self._answer(response)

    def get(self, action: str, **params: Any) -> Answer:
        response = self.client.get(f"/api/3/action/{action}", params=params, headers=self.headers)
        return self._answer(response)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


@dataclass
class LocalPortal:
    app: FastAPI
    client: TestClient
    backend: str
    home: Path
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, role: str | None = None) -> LocalApi:
        return LocalApi(self.client, self.tokens[role] if role else None)

    def new_name(self, prefix: str = "ds") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    def add_user(self, name: str, *, sysadmin: bool = False) -> str:
        """A user who signs in with API tokens only (no password: hashing one costs
        seconds on a busy machine and no test here logs in); returns a token."""
        from open_portal.accounts import service as accounts
        from open_portal.accounts.models import User

        portal = self.app.state.portal
        with portal.unit_of_work() as unit:
            user = User(
                name=name, email=f"{name}@example.org", password_hash="!", sysadmin=sysadmin
            )
            unit.session.add(user)
            unit.session.flush()
            _, token = accounts.create_token(unit.session, user=user, name="tests")
        self.tokens[name] = token
        return token


@contextmanager
def local_portal(home: Path, backend: str, **settings: Any) -> Iterator[LocalPortal]:
    """The portal app on ``backend`` ("sqlite" or "postgresql"), migrated and running."""
    from open_portal.app import create_app

    with ExitStack() as stack:
        database_url = f"sqlite:///{home / 'portal.db'}"
        if backend == "postgresql":
            database_url = stack.enter_context(temporary_database())
        values: dict[str, Any] = {
            "home": home,
            "env": "test",
            "secret_key": secrets.token_urlsafe(32),
            "site_url": SITE_URL,
            "database_url": database_url,
            "log_level": "WARNING",
            "ingest_poll_seconds": 0.2,
            **settings,
        }
        migrations.upgrade(database_url, package="open_portal")
        app = create_app(load_settings(**values))
        client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        yield LocalPortal(app, client, backend, home, database_url)


@contextmanager
def backend_portal(
    request: Any, tmp_path_factory: Any, name: str, **settings: Any
) -> Iterator[LocalPortal]:
    """A module's portal on the backend its fixture is parametrized with, with a
    sysadmin (``portal.tokens["sysadmin"]``)."""
    home: Path = tmp_path_factory.mktemp(f"{name}-{request.param}")
    with local_portal(home, request.param, **settings) as portal:
        portal.tokens["sysadmin"] = portal.add_user(f"{name}-admin", sysadmin=True)
        yield portal


def provision(portal: LocalPortal) -> dict[str, dict[str, Any]]:
    """Users in every role of tests.portal.conftest and its two organisations."""
    for role in ("sysadmin", *ROLE_CAPACITIES, "outsider"):
        portal.tokens[role] = portal.add_user(f"{role}-user", sysadmin=role == "sysadmin")
    admin = portal.api("sysadmin")
    orgs = {
        "perm-org": admin.post(
            "organization_create",
            {"name": "perm-org", "title": "上海市测试局", "region_code": "310000"},
        ).result,
        "other-org": admin.post(
            "organization_create",
            {"name": "other-org", "title": "江苏省测试厅", "region_code": "320000"},
        ).result,
    }
    for role, capacity in ROLE_CAPACITIES.items():
        assert admin.post(
            "organization_member_create",
            {"id": "perm-org", "username": f"{role}-user", "role": capacity},
        ).ok
    assert admin.post(
        "organization_member_create",
        {"id": "other-org", "username": "outsider-user", "role": "editor"},
    ).ok
    return orgs
