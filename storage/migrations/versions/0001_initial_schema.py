"""Initial schema: registry, documents, fetches, reports with versions, cells and findings, crawl runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:59:53.390774
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('province', 'prefecture', 'county', 'township', 'department')", name=op.f("ck_agencies_level")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["agencies.id"], name=op.f("fk_agencies_parent_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed', 'interrupted')", name=op.f("ck_crawl_runs_status")
        ),
        sa.CheckConstraint("trigger IN ('manual', 'scheduled')", name=op.f("ck_crawl_runs_trigger")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_documents")),
    )
    op.create_table(
        "fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetches")),
        sa.UniqueConstraint("url", name=op.f("uq_fetches_url")),
    )
    op.create_table(
        "unknown_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("listing_url", sa.Text(), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unknown_agencies")),
        sa.UniqueConstraint("name", "listing_url", name=op.f("uq_unknown_agencies_name_listing_url")),
    )
    op.create_table(
        "listing_pages",
        sa.Column("agency_id", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_listing_pages_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agency_id", "url", name=op.f("pk_listing_pages")),
    )
    op.create_index(op.f("ix_listing_pages_url"), "listing_pages", ["url"], unique=False)
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=True),
        sa.Column("agency_name", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "agency_key = coalesce(agency_id, 'name:' || agency_name)", name=op.f("ck_reports_agency_key")
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_reports_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("agency_key", "year", name=op.f("uq_reports_agency_key_year")),
    )
    op.create_index(op.f("ix_reports_agency_id"), "reports", ["agency_id"], unique=False)
    op.create_table(
        "site_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_key", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("reports_found", sa.Integer(), nullable=False),
        sa.Column("reports_new", sa.Integer(), nullable=False),
        sa.Column("reports_revised", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('found', 'nothing_found', 'unreachable', 'blocked', 'layout_changed')",
            name=op.f("ck_site_outcomes_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_site_outcomes_run_id_crawl_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_outcomes")),
        sa.UniqueConstraint("run_id", "site_key", name=op.f("uq_site_outcomes_run_id_site_key")),
    )
    op.create_index(op.f("ix_site_outcomes_site_key"), "site_outcomes", ["site_key"], unique=False)
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("parsed", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'unreadable')", name=op.f("ck_report_versions_status")),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["documents.sha256"], name=op.f("fk_report_versions_document_sha256_documents")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_versions_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_versions")),
        sa.UniqueConstraint("report_id", "document_sha256", name=op.f("uq_report_versions_report_id_document_sha256")),
        sa.UniqueConstraint("report_id", "version", name=op.f("uq_report_versions_report_id_version")),
    )
    op.create_index(op.f("ix_report_versions_document_sha256"), "report_versions", ["document_sha256"], unique=False)
    # reports and report_versions point at each other, so this key waits until both tables exist.
    with op.batch_alter_table("reports") as batch:
        batch.create_foreign_key(
            op.f("fk_reports_current_version_id_report_versions"),
            "report_versions",
            ["current_version_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["documents.sha256"], name=op.f("fk_report_attachments_document_sha256_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name=op.f("fk_report_attachments_version_id_report_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachments")),
        sa.UniqueConstraint("version_id", "url", name=op.f("uq_report_attachments_version_id_url")),
    )
    op.create_table(
        "report_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("table_key", sa.String(), nullable=False),
        sa.Column("row_key", sa.String(), nullable=False),
        sa.Column("column_key", sa.String(), nullable=False),
        sa.Column("value", sa.Numeric(asdecimal=False), nullable=True),
        sa.CheckConstraint(
            "table_key IN ('active_disclosure', 'applications', 'review_litigation')",
            name=op.f("ck_report_cells_table_key"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name=op.f("fk_report_cells_version_id_report_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cells")),
        sa.UniqueConstraint(
            "version_id",
            "table_key",
            "row_key",
            "column_key",
            name=op.f("uq_report_cells_version_id_table_key_row_key_column_key"),
        ),
    )
    op.create_table(
        "report_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name=op.f("fk_report_findings_version_id_report_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_findings")),
    )
    op.create_index(op.f("ix_report_findings_version_id"), "report_findings", ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint(op.f("fk_reports_current_version_id_report_versions"), type_="foreignkey")
    op.drop_index(op.f("ix_report_findings_version_id"), table_name="report_findings")
    op.drop_table("report_findings")
    op.drop_table("report_cells")
    op.drop_table("report_attachments")
    op.drop_index(op.f("ix_report_versions_document_sha256"), table_name="report_versions")
    op.drop_table("report_versions")
    op.drop_index(op.f("ix_site_outcomes_site_key"), table_name="site_outcomes")
    op.drop_table("site_outcomes")
    op.drop_index(op.f("ix_reports_agency_id"), table_name="reports")
    op.drop_table("reports")
    op.drop_index(op.f("ix_listing_pages_url"), table_name="listing_pages")
    op.drop_table("listing_pages")
    op.drop_table("unknown_agencies")
    op.drop_table("fetches")
    op.drop_table("documents")
    op.drop_table("crawl_runs")
    op.drop_table("agencies")
