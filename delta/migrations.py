"""Alembic, driven from code: ``delta db upgrade`` and start-up use the same call."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, engine_from_config, inspect, pool

from delta.db import ensure_sqlite_directory, missing_sqlite_file, normalise_url, shown_url
from delta.errors import MissingState


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


def upgrade_existing(database_url: str, *, package: str, create_with: str) -> None:
    """:func:`upgrade` for commands that work on what is already there. A mistyped
    DELTA_HOME or DELTA_DATABASE_URL is refused with the command that creates the
    database, instead of being answered from a new, empty one."""
    missing = missing_sqlite_file(database_url)
    if missing is not None:
        raise MissingState(
            f"no database at {missing}: run `{create_with}` first, or set DELTA_HOME "
            "to the folder that holds the portal's state"
        )
    engine = create_engine(normalise_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()
    if not migrated:
        raise MissingState(
            f"the database {shown_url(database_url)} has no tables yet: run `{create_with}` first"
        )
    upgrade(database_url, package=package)


def run_environment(metadata: MetaData) -> None:
    """The body of every ``migrations/env.py``: migrate ``metadata``'s database.

    SQLite cannot ALTER most things, so it runs in batch mode (tables rebuilt).
    """
    from alembic import context

    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
