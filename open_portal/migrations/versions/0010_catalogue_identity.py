"""catalogue identity: a random id that names this database's catalogue

A search index records the id of the catalogue it was built from; a portal
refuses or rebuilds an index carrying another id (docs/search.md). And a
counter of search index writes, for read-your-writes across processes.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "site_setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.bulk_insert(table, [{"key": "catalogue_id", "value": str(uuid.uuid4())}])
    # Search index writes made by any process: a search elsewhere refreshes when it grew.
    writes = op.create_table(
        "search_index_writes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(writes, [{"id": 1, "writes": 0}])


def downgrade() -> None:
    op.drop_table("search_index_writes")
    op.drop_table("site_setting")
