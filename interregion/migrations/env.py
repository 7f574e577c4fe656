"""Alembic environment of a node database (one per region; see interregion/db.py)."""

from __future__ import annotations

import interregion.models  # noqa: F401  (registers every node table)
from delta.migrations import run_environment
from interregion.db import Base

run_environment(Base.metadata)
