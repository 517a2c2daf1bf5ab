"""The review queue's read: current reports a person should look at, with what makes each worth a look."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
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
    corrected = _corrections(session, year)
    items = []
    for row in session.execute(stmt):
        stale, settled = corrected.get(row[0], (0, 0))
        # A person who corrected an inferred cell has looked at it: it no longer asks for review.
        items.append(ReviewItem(*row[:6], row[6] - settled, stale, row[7]))
    return sorted((i for i in items if i.errors or i.inferred or i.stale), key=lambda i: i.worst_first)


def _corrections(session: Session, year: int | None) -> dict[int, tuple[int, int]]:
    """Per report: cells whose latest correction was made against other bytes (stale), and inferred cells of the
    current version a live correction settles. Corrections are few: read whole."""
    current = and_(ReportCell.version_id == ReportVersion.id, ReportCell.table_key == Correction.table_key,
                   ReportCell.row_key == Correction.row_key, ReportCell.column_key == Correction.column_key)
    stmt = (select(Report.id, ReportVersion.document_sha256, Correction.table_key, Correction.row_key,
                   Correction.column_key, Correction.document_sha256, ReportCell.how)
            .join(ReportVersion, ReportVersion.id == Report.current_version_id)
            .join(Correction, Correction.report_id == Report.id).outerjoin(ReportCell, current)
            .order_by(Correction.id))
    if year is not None:
        stmt = stmt.where(Report.year == year)
    latest: dict[tuple, tuple[bool, str | None]] = {}
    for report_id, current_sha, table, row, column, made_on, how in session.execute(stmt):
        latest[(report_id, table, row, column)] = (made_on != current_sha, how)
    counts: dict[int, tuple[int, int]] = {}
    for (report_id, *_), (stale, how) in latest.items():
        was = counts.get(report_id, (0, 0))
        counts[report_id] = (was[0] + stale, was[1] + (not stale and how in INFERRED_PLACEMENTS))
    return counts
