"""Site health: each site outcome's failure class (dns_failure, refused, timeout, http_4xx_gone …) beside it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAILURE_CLASSES = (
    "failure_class IN ('dns_failure', 'refused', 'timeout', 'connection_failed', 'http_4xx_gone', 'http_5xx', "
    "'redirected_offsite', 'blocked', 'layout_changed', 'nothing_found', 'crawler_error', 'incomplete')"
)
CHECK = "ck_site_outcomes_failure_class"


def upgrade() -> None:
    # Batch mode: SQLite copies the table to add the check; PostgreSQL alters it in place.
    with op.batch_alter_table("site_outcomes") as batch:
        batch.add_column(sa.Column("failure_class", sa.String(), nullable=True))
        batch.create_check_constraint(op.f(CHECK), sa.text(FAILURE_CLASSES))


def downgrade() -> None:
    with op.batch_alter_table("site_outcomes") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.drop_column("failure_class")
