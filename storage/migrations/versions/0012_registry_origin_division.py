"""Registry rows keep where they came from (typed in, discovered, suggested) and a government's 行政区划代码.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("division", sa.String(), nullable=True))
        batch.create_check_constraint(op.f("ck_agencies_origin"), "origin IN ('manual', 'discovered', 'suggested')")


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_constraint(op.f("ck_agencies_origin"), type_="check")
        batch.drop_column("division")
        batch.drop_column("origin")
