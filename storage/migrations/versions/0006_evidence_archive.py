"""The evidence archive: where each response a crawl received lies in its WARC files, with its digests.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warc_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("listing_url", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_type", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=True),
        sa.Column("payload_digest", sa.String(), nullable=True),
        sa.CheckConstraint("record_type IN ('response', 'revisit')", name=op.f("ck_warc_records_record_type")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_warc_records_run_id_crawl_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warc_records")),
        sa.UniqueConstraint("record_id", name=op.f("uq_warc_records_record_id")),
    )
    op.create_index(op.f("ix_warc_records_url"), "warc_records", ["url"], unique=False)
    op.create_index(op.f("ix_warc_records_listing_url"), "warc_records", ["listing_url"], unique=False)
    op.create_index(op.f("ix_warc_records_payload_sha256"), "warc_records", ["payload_sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_warc_records_payload_sha256"), table_name="warc_records")
    op.drop_index(op.f("ix_warc_records_listing_url"), table_name="warc_records")
    op.drop_index(op.f("ix_warc_records_url"), table_name="warc_records")
    op.drop_table("warc_records")
