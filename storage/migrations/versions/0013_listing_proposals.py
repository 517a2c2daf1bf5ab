"""Listing proposals: a new listing page found by discovery for an agency whose registered one keeps failing.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_listing_proposals_agency_id_agencies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_proposals")),
        sa.UniqueConstraint("agency_id", "url", name=op.f("uq_listing_proposals_agency_id_url")),
    )
    op.create_index(op.f("ix_listing_proposals_agency_id"), "listing_proposals", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_listing_proposals_agency_id"), table_name="listing_proposals")
    op.drop_table("listing_proposals")
