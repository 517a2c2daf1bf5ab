"""The review queue's read: current reports a person should look at, with what makes each worth a look."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.template import INFERRED_PLACEMENTS
from storage.models import Correction, Report, ReportCell, ReportFinding, ReportVersion


@dataclass(frozen=True)
class ReviewItem:
    report_id: int
    agency_id: str | None
    agency_name: str
    year: int
    status: str
    errors: int  # error findings of the parse
    inferred: int  # cells whose value was placed or recovered by arithmetic, not simply read
    stale: int  # corrections made against other bytes than the current version's
    first_error: str | None

    @property
    def worst_first(self) -> tuple:
        return (-self.errors, -self.stale, -self.inferred, self.year, self.agency_name)


def review_queue(session: Session, year: int | None = None) -> list[ReviewItem]:
    """Current reports with error findings, inferred cells or stale corrections, worst first."""
    current = ReportVersion.id == Report.current_version_id
    errors = (select(func.count()).where(ReportFinding.version_id == ReportVersion.id,
                                         ReportFinding.severity == "error").scalar_subquery())
    first_error = (select(ReportFinding.message).where(ReportFinding.version_id == ReportVersion.id,
                                                       ReportFinding.severity == "error")
                   .order_by(ReportFinding.id).limit(1).scalar_subquery())
    inferred = (select(func.count()).where(ReportCell.version_id == ReportVersion.id,
                                           ReportCell.how.in_(sorted(INFERRED_PLACEMENTS))).scalar_subquery())
    stmt = select(Report.id, Report.agency_id, Report.agency_name, Report.year, ReportVersion.status, errors,
                  inferred, first_error).join(ReportVersion, current)
    if year is not None:
        stmt = stmt.where(Report.year == year)
    stale = _stale_counts(session, year)
    items = [ReviewItem(*row[:7], stale.get(row[0], 0), row[7]) for row in session.execute(stmt)]
    return sorted((i for i in items if i.errors or i.inferred or i.stale), key=lambda i: i.worst_first)


def _stale_counts(session: Session, year: int | None) -> dict[int, int]:
    """Per report, the cells whose latest correction was made against other bytes (corrections are few)."""
    stmt = (select(Report.id, ReportVersion.document_sha256, Correction.table_key, Correction.row_key,
                   Correction.column_key, Correction.document_sha256)
            .join(ReportVersion, ReportVersion.id == Report.current_version_id)
            .join(Correction, Correction.report_id == Report.id).order_by(Correction.id))
    if year is not None:
        stmt = stmt.where(Report.year == year)
    latest: dict[tuple, bool] = {}
    for report_id, current_sha, table, row, column, made_on in session.execute(stmt):
        latest[(report_id, table, row, column)] = made_on != current_sha
    counts: dict[int, int] = {}
    for (report_id, *_), stale in latest.items():
        counts[report_id] = counts.get(report_id, 0) + stale
    return counts
