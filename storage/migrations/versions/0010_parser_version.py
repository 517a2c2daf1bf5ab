"""Report versions record the parser that made them; a re-parse whose values differ is a version of its own, so one
document may now have a version per parser (unique per report, document and parser version).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "uq_report_versions_report_id_document_sha256"
NEW = "uq_report_versions_report_id_document_sha256_parser_version"


def upgrade() -> None:
    with op.batch_alter_table("report_versions") as batch:
        batch.add_column(sa.Column("parser_version", sa.String(), nullable=True))
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["report_id", "document_sha256", "parser_version"])


def downgrade() -> None:
    with op.batch_alter_table("report_versions") as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint(OLD, ["report_id", "document_sha256"])
        batch.drop_column("parser_version")
