"""The review queue's read: current reports a person should look at, with what makes each worth a look."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.template import INFERRED_PLACEMENTS
from storage.corrections import corrections_of_years
from storage.models import Report, ReportCell, ReportFinding, ReportVersion


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
                  inferred, first_error, ReportVersion.id).join(ReportVersion, current)
    if year is not None:
        stmt = stmt.where(Report.year == year)
    corrected = corrections_of_years(session, None if year is None else [year])
    items = []
    for *row, version_id in session.execute(stmt):
        corrections = corrected.get(version_id, [])
        stale = sum(c.stale for c in corrections)
        # A person who corrected an inferred cell has looked at it: it no longer asks for review.
        settled = sum(not c.stale and c.parsed_how in INFERRED_PLACEMENTS for c in corrections)
        items.append(ReviewItem(*row[:6], row[6] - settled, stale, row[7]))
    return sorted((i for i in items if i.errors or i.inferred or i.stale), key=lambda i: i.worst_first)
