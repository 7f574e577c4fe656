"""web pages: browser sessions, login lockout, resource views, resumable uploads

Browser logins (only a SHA-256 of the session token is kept), the failed-login
counter that locks an account for a while, CKAN resource views (previews and
charts), uploads sent in resumable pieces, and the period a data-use
application asks for.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("portal_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "login_guard",
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("portal_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "resource_view",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "resource_id",
            sa.String(36),
            sa.ForeignKey("resource.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("view_type", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
    )
    op.create_index("ix_resource_view_resource", "resource_view", ["resource_id", "position"])
    op.create_table(
        "resumable_upload",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.String(512), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_resumable_upload_user_id", "resumable_upload", ["user_id"])
    with op.batch_alter_table("data_application") as batch:
        batch.add_column(sa.Column("period_start", sa.String(10), nullable=True))
        batch.add_column(sa.Column("period_end", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_application") as batch:
        batch.drop_column("period_end")
        batch.drop_column("period_start")
    op.drop_table("resumable_upload")
    op.drop_table("resource_view")
    op.drop_table("login_guard")
    op.drop_table("web_session")
