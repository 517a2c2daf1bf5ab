"""Withdrawn reports: gone from the listing where they were found and answering 404/410 at their own URL. A
withdrawn report is marked, with when and why, and never deleted; one that comes back is unmarked."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import in_chunks
from storage.models import Report, ReportVersion, utcnow


def current_report_urls(session: Session, agency_ids: list[str]) -> dict[str, dict[str, bool]]:
    """The page each of these agencies' current reports was fetched from, by agency id, each with whether its
    report is marked withdrawn."""
    urls: dict[str, dict[str, bool]] = defaultdict(dict)
    for ids in in_chunks(agency_ids):
        stmt = (select(Report.agency_id, ReportVersion.source_url, Report.withdrawn_at)
                .join(ReportVersion, ReportVersion.id == Report.current_version_id)
                .where(Report.agency_id.in_(ids)))
        for agency_id, url, withdrawn_at in session.execute(stmt):
            urls[agency_id][url] = urls[agency_id].get(url, False) or withdrawn_at is not None
    return dict(urls)


def mark_withdrawn(session: Session, agency_id: str, url: str, reason: str, when: datetime | None = None) -> int:
    """Mark the agency's reports whose current version came from `url` withdrawn (once: the first date stays);
    returns how many were newly marked."""
    marked = 0
    for report in _reports_at(session, agency_id, url):
        if report.withdrawn_at is None:
            report.withdrawn_at, report.withdrawn_reason = when or utcnow(), reason
            marked += 1
    session.flush()
    return marked


def mark_present(session: Session, agency_id: str, url: str) -> int:
    """The page answers again: its reports are no longer withdrawn; returns how many were unmarked."""
    unmarked = 0
    for report in _reports_at(session, agency_id, url):
        if report.withdrawn_at is not None:
            report.withdrawn_at = report.withdrawn_reason = None
            unmarked += 1
    session.flush()
    return unmarked


def _reports_at(session: Session, agency_id: str, url: str) -> list[Report]:
    stmt = (select(Report).join(ReportVersion, ReportVersion.id == Report.current_version_id)
            .where(Report.agency_id == agency_id, ReportVersion.source_url == url))
    return list(session.scalars(stmt))
