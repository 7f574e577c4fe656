"""publishing and data applications

Tables for download counts, the ingest job queue, validation reports and the
DataStore registry; the resource's validation status; data-use applications
with their append-only audit trail (the database itself refuses to change or
remove an audit row).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:24:02.110521
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER data_application_event_no_{verb} BEFORE {VERB} ON data_application_event "
    "BEGIN SELECT RAISE(ABORT, 'data_application_event is append-only'); END"
)
_APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION data_application_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'data_application_event is append-only';
END
$$
"""
_APPEND_ONLY_PG_TRIGGER = (
    "CREATE TRIGGER data_application_event_append_only BEFORE UPDATE OR DELETE "
    "ON data_application_event FOR EACH ROW EXECUTE FUNCTION data_application_event_append_only()"
)


def upgrade() -> None:
    op.create_table(
        "data_application_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_application_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_data_application_event_application", ["application_id", "at"], unique=False
        )

    op.create_table(
        "datastore_table",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("primary_key", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("resource_id"),
        sa.UniqueConstraint("table_name"),
    )
    op.create_table(
        "download_count",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "day"),
    )
    with op.batch_alter_table("download_count", schema=None) as batch_op:
        batch_op.create_index("ix_download_count_package_id", ["package_id"], unique=False)

    op.create_table(
        "ingest_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_job_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            "ix_ingest_job_state_available", ["state", "available_at"], unique=False
        )

    op.create_table(
        "resource_validation",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("source_encoding", sa.String(length=40), nullable=True),
        sa.Column("table_schema", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    op.create_table(
        "data_application",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("applicant_organization", sa.String(length=512), nullable=False),
        sa.Column("intended_use", sa.Text(), nullable=False),
        sa.Column("agreement_accepted_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=36), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_data_application_applicant", ["applicant_id", "package_id"], unique=False
        )
        batch_op.create_index(
            "ix_data_application_package_state", ["package_id", "state"], unique=False
        )

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validation_status", sa.String(length=20), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_PG_FUNCTION)
        op.execute(_APPEND_ONLY_PG_TRIGGER)
    else:
        for verb in ("update", "delete"):
            op.execute(_APPEND_ONLY_SQLITE.format(verb=verb, VERB=verb.upper()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER data_application_event_append_only ON data_application_event")
        op.execute("DROP FUNCTION data_application_event_append_only()")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_column("validation_status")

    with op.batch_alter_table("data_application", schema=None) as batch_op:
        batch_op.drop_index("ix_data_application_package_state")
        batch_op.drop_index("ix_data_application_applicant")

    op.drop_table("data_application")
    op.drop_table("resource_validation")
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_job_state_available")
        batch_op.drop_index(batch_op.f("ix_ingest_job_resource_id"))

    op.drop_table("ingest_job")
    with op.batch_alter_table("download_count", schema=None) as batch_op:
        batch_op.drop_index("ix_download_count_package_id")

    op.drop_table("download_count")
    op.drop_table("datastore_table")
    with op.batch_alter_table("data_application_event", schema=None) as batch_op:
        batch_op.drop_index("ix_data_application_event_application")

    op.drop_table("data_application_event")
