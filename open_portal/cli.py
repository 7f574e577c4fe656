"""Portal commands (filled in as the portal grows)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    del app
