"""DCAT-AP publishing, harvesting and metadata quality

The publisher identifier of organisations (USCC); harvest sources, jobs, the
provenance record of each harvested dataset, and the scheduler's lease; the
last check of each link resource (metadata quality).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uscc", sa.String(length=18), nullable=True))

    op.create_table(
        "harvest_source",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("watermark", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["owner_org"], ["catalog_group.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "harvest_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("heartbeat", sa.DateTime(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("harvest_job", schema=None) as batch_op:
        batch_op.create_index("ix_harvest_job_source_created", ["source_id", "created"])
        # At most one job per source is waiting or running: the database refuses a second.
        batch_op.create_index(
            "ix_harvest_job_one_open",
            ["source_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('New', 'Running')"),
            postgresql_where=sa.text("status IN ('New', 'Running')"),
        )
    op.create_table(
        "harvest_object",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("guid", sa.String(length=2000), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("original_id", sa.String(length=2000), nullable=True),
        sa.Column("original_uri", sa.String(length=2000), nullable=True),
        sa.Column("original_name", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_modified", sa.String(length=40), nullable=True),
        sa.Column("first_harvested", sa.DateTime(), nullable=False),
        sa.Column("harvested_at", sa.DateTime(), nullable=False),
        sa.Column("last_job_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_source.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "guid"),
        sa.UniqueConstraint("package_id"),
    )
    op.create_table(
        "resource_link_check",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    op.create_table(
        "harvest_lease",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("harvest_lease")
    op.drop_table("resource_link_check")
    op.drop_table("harvest_object")
    with op.batch_alter_table("harvest_job", schema=None) as batch_op:
        batch_op.drop_index("ix_harvest_job_one_open")
        batch_op.drop_index("ix_harvest_job_source_created")
    op.drop_table("harvest_job")
    op.drop_table("harvest_source")
    with op.batch_alter_table("catalog_group", schema=None) as batch_op:
        batch_op.drop_column("uscc")
