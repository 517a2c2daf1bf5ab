"""The audit's inputs read from storage: the registry, the current reports of Y and Y-1, the last crawl outcomes."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from nianbao.audit.model import Agency, SiteState, StoredReport, UnstoredReport
from storage.registry import list_agencies
from storage.reports import iter_reports
from storage.runs import unstored_reports


def load(session: Session, year: int) -> tuple[list[Agency], list[StoredReport], list[SiteState]]:
    registry = list_agencies(session)
    agencies = [Agency(a.id, a.name, a.level, a.parent_id) for a in registry]
    states = [SiteState(a.id, a.last_outcome.outcome if a.last_outcome else None, None) for a in registry]
    reports = [_stored(r) for y in (year - 1, year) for r in iter_reports(session, y)]
    return agencies, reports, states


def load_unstored(session: Session, year: int) -> list[UnstoredReport]:
    """Reports of the year that were listed but could not be stored (the audit's not_stored)."""
    return [UnstoredReport(u.agency_id, u.agency_name, u.year, u.url, u.cause, u.recorded_at)
            for u in unstored_reports(session, year)]


def _stored(report: dict) -> StoredReport:
    published = report.get("published")
    return StoredReport(
        agency_id=report.get("agency_id"),
        agency_name=report.get("agency_name") or report.get("agency") or "",
        year=report["year"],
        title=report.get("title") or "",
        source_url=report.get("source_url") or "",
        published=date.fromisoformat(published) if published else None,
        parsed=report,
    )
