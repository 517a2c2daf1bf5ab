"""Crawl runs: the queued task a run did (its night, host, job and attempt), so a night on many machines can be read.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("night", sa.Text(), nullable=True))
        batch.add_column(sa.Column("task", sa.Text(), nullable=True))
        batch.create_index("ix_crawl_runs_night", ["night"])


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_index("ix_crawl_runs_night")
        batch.drop_column("task")
        batch.drop_column("night")
