"""window cases and staff: matters' copies, cases, materials, licences, timeline, outbox, inbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:21:56.068594
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The database refuses what the code never writes (in depth): unknown statuses, media types.
STATUS_CHECK = (
    "status IN ('draft', 'submitted', 'accepted', 'correction', 'approved', 'refused', "
    "'not-accepted')"
)
MEDIA_CHECK = "media_type IN ('application/pdf', 'image/jpeg', 'image/png')"


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("matter", sa.JSON(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("accepting_region", sa.String(length=6), nullable=False),
        sa.Column("accepting_window", sa.String(length=40), nullable=False),
        sa.Column("deciding_region", sa.String(length=6), nullable=False),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("applicant_subject", sa.String(length=64), nullable=False),
        sa.Column("applicant_home", sa.String(length=6), nullable=False),
        sa.Column("identity_evidence", sa.Text(), nullable=False),
        sa.Column("licence_consent", sa.JSON(), nullable=False),
        sa.Column("consent", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=40), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("query_code_hash", sa.String(length=64), nullable=False),
        sa.Column("track_failures", sa.Integer(), nullable=False),
        sa.Column("track_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("correction", sa.JSON(), nullable=False),
        sa.Column("seq_out", sa.Integer(), nullable=False),
        sa.Column("seq_in", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
        sa.CheckConstraint("side IN ('accepting', 'deciding')", name="ck_case_file_side"),
        sa.CheckConstraint(STATUS_CHECK, name="ck_case_file_status"),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_file_accepting_window"), ["accepting_window"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_file_applicant_subject"), ["applicant_subject"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_file_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_file_matter_code"), ["matter_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_file_status"), ["status"], unique=False)

    op.create_table(
        "case_inbox",
        sa.Column("sender", sa.String(length=6), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", "id"),
    )
    with op.batch_alter_table("case_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_inbox_case_number"), ["case_number"], unique=False
        )

    op.create_table(
        "case_matter_list",
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region"),
    )
    op.create_table(
        "case_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("peer", sa.String(length=6), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number", "peer", "seq", name="uq_case_outbox_order"),
    )
    with op.batch_alter_table("case_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_outbox_due", ["delivered_at", "next_attempt_at"], unique=False
        )

    op.create_table(
        "staff_account",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("failed_totp", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
        sa.CheckConstraint(
            "role IN ('clerk', 'reviewer', 'supervisor')", name="ck_staff_account_role"
        ),
    )
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["case_file.number"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_event_case_number"), ["case_number"], unique=False
        )
        batch_op.create_index(
            "ix_case_event_pending_notice", ["notify", "notified_at"], unique=False
        )

    op.create_table(
        "case_licence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("material", sa.String(length=8), nullable=False),
        sa.Column("licence_type", sa.String(length=40), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("issuer_region", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["case_file.number"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_licence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_licence_case_number"), ["case_number"], unique=False
        )

    op.create_table(
        "case_material",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("material", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["case_file.number"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number", "sha256", name="uq_case_material_hash"),
        sa.CheckConstraint(MEDIA_CHECK, name="ck_case_material_media_type"),
        sa.CheckConstraint("size > 0", name="ck_case_material_size"),
    )
    with op.batch_alter_table("case_material", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_material_case_number"), ["case_number"], unique=False
        )

    op.create_table(
        "staff_api_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_account.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_api_token_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("staff_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_api_token_staff_id"))

    op.drop_table("staff_api_token")
    with op.batch_alter_table("case_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_material_case_number"))

    op.drop_table("case_material")
    with op.batch_alter_table("case_licence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_licence_case_number"))

    op.drop_table("case_licence")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_case_event_pending_notice")
        batch_op.drop_index(batch_op.f("ix_case_event_case_number"))

    op.drop_table("case_event")
    op.drop_table("staff_account")
    with op.batch_alter_table("case_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_case_outbox_due")

    op.drop_table("case_outbox")
    op.drop_table("case_matter_list")
    with op.batch_alter_table("case_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_inbox_case_number"))

    op.drop_table("case_inbox")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_status"))
        batch_op.drop_index(batch_op.f("ix_case_file_matter_code"))
        batch_op.drop_index(batch_op.f("ix_case_file_department"))
        batch_op.drop_index(batch_op.f("ix_case_file_applicant_subject"))
        batch_op.drop_index(batch_op.f("ix_case_file_accepting_window"))

    op.drop_table("case_file")
