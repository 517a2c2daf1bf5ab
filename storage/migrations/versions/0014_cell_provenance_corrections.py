"""Each cell keeps how its value was placed and where its source printed it; a person's corrections of cells.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_cells") as batch:
        batch.add_column(sa.Column("how", sa.String(), nullable=True))
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("table_key", sa.String(), nullable=False),
        sa.Column("row_key", sa.String(), nullable=False),
        sa.Column("column_key", sa.String(), nullable=False),
        sa.Column("value", sa.Numeric(asdecimal=False), nullable=True),
        sa.Column("parsed_value", sa.Numeric(asdecimal=False), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("corrected_by", sa.Text(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_corrections_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        sa.CheckConstraint("table_key IN ('active_disclosure', 'applications', 'review_litigation')",
                           name=op.f("ck_corrections_table_key")),
    )
    op.create_index(op.f("ix_corrections_report_id"), "corrections", ["report_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_corrections_report_id"), table_name="corrections")
    op.drop_table("corrections")
    with op.batch_alter_table("report_cells") as batch:
        batch.drop_column("source")
        batch.drop_column("how")
