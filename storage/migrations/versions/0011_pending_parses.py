"""Pending parses: a queued crawl stores a report's bytes and leaves the parsing to any worker's parse task.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_parses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=True),
        sa.Column("agency_name", sa.String(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("agency_key", sa.Text(), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name=op.f("fk_pending_parses_run_id_crawl_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_parses")),
        sa.UniqueConstraint("url", "agency_key", name=op.f("uq_pending_parses_url_agency_key")),
    )
    op.create_index(op.f("ix_pending_parses_site_id"), "pending_parses", ["site_id"])
    op.create_index(op.f("ix_pending_parses_agency_id"), "pending_parses", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_parses_agency_id"), table_name="pending_parses")
    op.drop_index(op.f("ix_pending_parses_site_id"), table_name="pending_parses")
    op.drop_table("pending_parses")
