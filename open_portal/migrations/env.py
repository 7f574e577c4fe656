"""Alembic environment of the portal database."""

from __future__ import annotations

import open_portal.accounts.models  # noqa: F401  (registers the account tables)
from datasets.models import Base
from delta.migrations import run_environment

run_environment(Base.metadata)
