"""Every stored version of an agency's reports, oldest first, with what each changed: for `nianbao history`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agency, Report, ReportVersion


@dataclass(frozen=True)
class StoredVersion:
    version: int
    document_sha256: str
    source_url: str
    title: str | None
    published: date | None
    fetched_at: datetime
    status: str
    current: bool
    changes: dict[str, Any] | None  # nianbao.revisions.changes_record, against the version current when it came
    text: str | None


@dataclass(frozen=True)
class StoredReportHistory:
    report_id: int
    agency_id: str | None
    agency_name: str
    year: int
    versions: list[StoredVersion] = field(default_factory=list)
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None


def agency_history(session: Session, agency: str, year: int | None = None) -> list[StoredReportHistory] | None:
    """The reports of a registered agency (by id), or of an unregistered one (by the name they were stored under),
    each with every version; None when neither is known."""
    registered = session.get(Agency, agency)
    who = Report.agency_id == agency if registered else (Report.agency_id.is_(None) & (Report.agency_name == agency))
    stmt = select(Report).where(who).order_by(Report.year)
    if year is not None:
        stmt = stmt.where(Report.year == year)
    reports = session.scalars(stmt).all()
    if not reports and registered is None:
        return None
    return [_history(session, report) for report in reports]


def _history(session: Session, report: Report) -> StoredReportHistory:
    versions = session.scalars(select(ReportVersion).where(ReportVersion.report_id == report.id)
                               .order_by(ReportVersion.version))
    return StoredReportHistory(report.id, report.agency_id, report.agency_name, report.year, [
        StoredVersion(v.version, v.document_sha256, v.source_url, v.title, v.published, v.fetched_at, v.status,
                      v.id == report.current_version_id, v.changes, v.parsed.get("text"))
        for v in versions], report.withdrawn_at, report.withdrawn_reason)
