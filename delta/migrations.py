"""Alembic, driven from code: ``delta db upgrade`` and start-up use the same call."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config

from delta.db import ensure_sqlite_directory, normalise_url


def alembic_config(database_url: str, *, package: str) -> Config:
    config = Config()
    module_file = importlib.import_module(package).__file__
    assert module_file is not None
    config.set_main_option("script_location", str(Path(module_file).parent / "migrations"))
    # ConfigParser treats % as interpolation; URLs may contain it (escaped passwords).
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, *, package: str) -> None:
    """Bring the database to the newest revision; a no-op when it is already there."""
    ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url, package=package), "head")
