"""The real portal app in this process (FastAPI TestClient), on a real database.

For tests where the process boundary is not the point: same app factory, same
settings, same SQLite file or throw-away PostgreSQL database as ``delta serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from delta import migrations
from delta.settings import Settings, load_settings


def portal_settings(home: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    settings = load_settings(
        env="test",
        home=home,
        database_url=database_url,
        secret_key="in-process-test-secret-key-0123456789",
        log_level="WARNING",
        ingest_worker=False,
        **overrides,
    )
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    return settings


@contextmanager
def portal_client(settings: Settings) -> Iterator[TestClient]:
    """A client of the app ``delta serve`` would run with these settings (lifespan included)."""
    from open_portal.app import create_app

    with TestClient(create_app(settings), base_url=settings.site_url) as client:
        yield client


def sysadmin_token(settings: Settings, name: str = "sysadmin") -> str:
    """A sysadmin and an API token for it, made with the services the CLI uses."""
    from open_portal.accounts import service as accounts
    from open_portal.runtime import Portal

    portal = Portal.open(settings)
    try:
        with portal.unit_of_work() as unit:
            user = accounts.find_user(unit.session, name) or accounts.create_user(
                unit.session,
                name=name,
                email=f"{name}@example.org",
                password="correct-horse-battery",
                sysadmin=True,
            )
            _, token = accounts.create_token(unit.session, user=user, name="tests")
    finally:
        portal.close()
    return token
