"""A real portal in this process: the app factory, a real database, CKAN calls through
FastAPI's TestClient -- for tests where the process boundary is not the point."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from delta import migrations
from delta.settings import Settings, load_settings
from open_portal.accounts import service as accounts
from open_portal.app import create_app
from open_portal.runtime import Portal
from tests.support.ckan import Answer
from tests.support.postgres import temporary_database


@dataclass
class InProcessPortal:
    client: TestClient
    portal: Portal
    backend: str
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def post(self, action: str, data: dict[str, Any], role: str | None = None) -> Answer:
        headers = {"Authorization": self.tokens[role]} if role else {}
        response = self.client.post(f"/api/3/action/{action}", json=data, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    def add_user(self, name: str, *, sysadmin: bool = False) -> None:
        email = f"{name}-{secrets.token_hex(4)}@example.org"
        with self.portal.unit_of_work() as unit:
            user = accounts.create_user(
                unit.session,
                name=name,
                email=email,
                password="correct-horse-battery",
                sysadmin=sysadmin,
            )
            _, self.tokens[name] = accounts.create_token(unit.session, user=user, name="tests")
        self.emails[name] = email


def settings_for(home: Path, database_url: str | None, **overrides: Any) -> Settings:
    return load_settings(
        home=home,
        database_url=database_url,
        env="test",
        secret_key=secrets.token_urlsafe(32),
        ingest_worker=False,
        log_level="WARNING",
        **overrides,
    )


@contextmanager
def database(backend: str, home: Path) -> Iterator[str]:
    """A migrated portal database: a file under ``home``, or a throw-away PostgreSQL one."""
    with ExitStack() as stack:
        url = (
            stack.enter_context(temporary_database())
            if backend == "postgresql"
            else f"sqlite:///{home / 'portal.db'}"
        )
        migrations.upgrade(url, package="open_portal")
        yield url


@contextmanager
def running(
    backend: str, database_url: str, home: Path, **overrides: Any
) -> Iterator[InProcessPortal]:
    app = create_app(settings_for(home, database_url, **overrides))
    with TestClient(app) as client:
        yield InProcessPortal(
            client=client, portal=app.state.portal, backend=backend, database_url=database_url
        )
