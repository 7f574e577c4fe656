"""package collaborators: users given a capacity in one dataset

CKAN's dataset collaborators (``package_collaborator_create``): a ``member``
reads the dataset, an ``editor`` also changes it.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "package_collaborator",
        sa.Column(
            "package_id",
            sa.String(36),
            sa.ForeignKey("package.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("portal_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("capacity", sa.String(20), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_package_collaborator_user_id", "package_collaborator", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_package_collaborator_user_id", table_name="package_collaborator")
    op.drop_table("package_collaborator")
