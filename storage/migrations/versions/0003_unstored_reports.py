"""Crawls that die heal, failures never read as absence: run holders and heartbeats, the "incomplete" site outcome,
reports listed but not stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 17:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_OUTCOMES = "outcome IN ('found', 'nothing_found', 'unreachable', 'blocked', 'layout_changed')"
NEW_OUTCOMES = "outcome IN ('found', 'nothing_found', 'unreachable', 'blocked', 'layout_changed', 'incomplete')"


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("holder", sa.String(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
    _replace_outcome_check(NEW_OUTCOMES)
    op.create_table(
        "unstored_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=True),
        sa.Column("agency_name", sa.String(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("listing_url", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_unstored_reports_run_id_crawl_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unstored_reports")),
        sa.UniqueConstraint("run_id", "url", name=op.f("uq_unstored_reports_run_id_url")),
    )
    op.create_index(op.f("ix_unstored_reports_agency_id"), "unstored_reports", ["agency_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unstored_reports_agency_id"), table_name="unstored_reports")
    op.drop_table("unstored_reports")
    op.execute("DELETE FROM site_outcomes WHERE outcome = 'incomplete'")
    _replace_outcome_check(OLD_OUTCOMES)
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("message")
        batch.drop_column("heartbeat_at")
        batch.drop_column("holder")


def _replace_outcome_check(condition: str) -> None:
    name = op.f("ck_site_outcomes_outcome")
    if op.get_bind().dialect.name != "sqlite":
        # In place: a copy of the table would start its id sequence again at 1 beside the rows it copied.
        op.drop_constraint(name, "site_outcomes", type_="check")
        op.create_check_constraint(name, "site_outcomes", sa.text(condition))
        return
    # SQLite cannot alter a constraint: batch mode copies the table with the new one (recreate="always").
    with op.batch_alter_table("site_outcomes", recreate="always") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, sa.text(condition))
