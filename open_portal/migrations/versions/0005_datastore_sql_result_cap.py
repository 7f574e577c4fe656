"""datastore_search_sql result cap (PostgreSQL)

A function the wrapper around user SQL calls with the size of each row: it
keeps the running total (a setting local to the transaction) and stops the
statement, server-side, once the result would exceed the cap -- before the
row that crosses it ever reaches the portal. Nothing on SQLite, where the
portal counts the rows as it reads them.

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION public.datastore_sql_result_fits(size bigint, cap bigint)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    total bigint := size + coalesce(
        nullif(current_setting('delta.datastore_sql_bytes', true), ''), '0')::bigint;
BEGIN
    IF size > cap OR total > cap THEN
        RAISE EXCEPTION 'the result is larger than % bytes', cap USING ERRCODE = 'DS001';
    END IF;
    PERFORM set_config('delta.datastore_sql_bytes', total::text, true);
    RETURN true;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS public.datastore_sql_result_fits(bigint, bigint)")
