"""Revisions and withdrawals: what each report version changed (the cells, from what to what, and the text's lines
added and removed, against the version before it), and when a report was withdrawn from its site.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:40:00.000000

Existing versions after a first one get the record from the stored cells and texts, one report at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import sqlalchemy as sa
from alembic import op

from nianbao.revisions import cell_changes, changes_record, text_counts

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_versions = sa.table("report_versions", sa.column("id", sa.Integer), sa.column("report_id", sa.Integer),
                     sa.column("version", sa.Integer), sa.column("parsed", sa.JSON), sa.column("changes", sa.JSON))
_cells = sa.table("report_cells", sa.column("id", sa.Integer), sa.column("version_id", sa.Integer),
                  sa.column("table_key", sa.String), sa.column("row_key", sa.String),
                  sa.column("column_key", sa.String), sa.column("value", sa.Numeric(asdecimal=False)))


def upgrade() -> None:
    with op.batch_alter_table("report_versions") as batch:
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    connection = op.get_bind()
    revised = connection.execute(sa.select(_versions.c.report_id).where(_versions.c.version > 1).distinct()).scalars()
    for report_id in list(revised):
        _backfill(connection, report_id)


def _backfill(connection, report_id: int) -> None:
    rows = connection.execute(sa.select(_versions.c.id, _versions.c.version, _versions.c.parsed)
                              .where(_versions.c.report_id == report_id).order_by(_versions.c.version)).all()
    for before, after in pairwise(rows):
        record = changes_record(before.version, cell_changes(_cells_of(connection, before.id),
                                                             _cells_of(connection, after.id)),
                                text_counts((before.parsed or {}).get("text"), (after.parsed or {}).get("text")))
        connection.execute(_versions.update().where(_versions.c.id == after.id).values(changes=record))


def _cells_of(connection, version_id: int) -> dict:
    stmt = (sa.select(_cells.c.table_key, _cells.c.row_key, _cells.c.column_key, _cells.c.value)
            .where(_cells.c.version_id == version_id).order_by(_cells.c.id))
    return {(t, r, c): v for t, r, c, v in connection.execute(stmt)}


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("report_versions") as batch:
        batch.drop_column("changes")
