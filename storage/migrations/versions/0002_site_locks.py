"""Per-site crawl locks with an expiry (storage/locks.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:24:44.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_locks",
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_locks")),
    )


def downgrade() -> None:
    op.drop_table("site_locks")
