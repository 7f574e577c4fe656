"""links: http, https and ftp only

Resource and dataset links that are not http(s)/ftp URLs (``javascript:``,
``data:``, ``file:``, ...) are emptied -- they were printed by package_show and
followed by browsers -- and CHECK constraints make the database refuse them
from now on (datasets.links).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from datasets.links import PACKAGE_URL_CHECK, RESOURCE_URL_CHECK

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    emptied = bind.execute(
        sa.text(f"UPDATE resource SET url = '' WHERE NOT ({RESOURCE_URL_CHECK})")  # noqa: S608 - fixed SQL
    ).rowcount
    cleared = bind.execute(
        sa.text(f"UPDATE package SET url = NULL WHERE NOT ({PACKAGE_URL_CHECK})")  # noqa: S608 - fixed SQL
    ).rowcount
    if emptied or cleared:
        log.warning(
            "links: emptied %d resource and %d dataset links that were not http(s)/ftp",
            emptied,
            cleared,
        )
    with op.batch_alter_table("resource") as batch:
        batch.create_check_constraint("ck_resource_url_scheme", RESOURCE_URL_CHECK)
    with op.batch_alter_table("package") as batch:
        batch.create_check_constraint("ck_package_url_scheme", PACKAGE_URL_CHECK)


def downgrade() -> None:
    with op.batch_alter_table("package") as batch:
        batch.drop_constraint("ck_package_url_scheme", type_="check")
    with op.batch_alter_table("resource") as batch:
        batch.drop_constraint("ck_resource_url_scheme", type_="check")
