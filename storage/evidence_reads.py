"""What `nianbao evidence` and `nianbao get` read: an agency's listing pages and last outcome, a report's current
version, and stored originals by report or digest."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agency, Document, ListingPage, Report, ReportVersion, SiteOutcome

_SHA256 = re.compile(r"[0-9a-f]{64}")
_REPORT = re.compile(r"(?P<id>\d+)|(?P<agency>[^/]+)/(?P<year>\d{4})")


def find_agency(session: Session, agency_id: str) -> Agency | None:
    return session.get(Agency, agency_id)


def listing_urls(session: Session, agency_id: str) -> list[str]:
    return list(session.scalars(select(ListingPage.url).where(ListingPage.agency_id == agency_id)
                                .order_by(ListingPage.url)))


def latest_outcome(session: Session, agency_id: str, listings: list[str]) -> SiteOutcome | None:
    """The outcome the audit judged the agency by: the latest recorded under its id or one of its listing pages."""
    stmt = (select(SiteOutcome).where(SiteOutcome.site_key.in_([agency_id, *listings]))
            .order_by(SiteOutcome.id.desc()).limit(1))
    return session.scalar(stmt)


def current_version(session: Session, year: int, source_url: str) -> tuple[Report, ReportVersion] | None:
    """The current version of a report of `year` fetched from `source_url` (the one an audit row names)."""
    stmt = (select(Report, ReportVersion).join(ReportVersion, Report.current_version_id == ReportVersion.id)
            .where(Report.year == year, ReportVersion.source_url == source_url).order_by(Report.id).limit(1))
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def original_bytes(session: Session, wanted: str) -> bytes | None:
    """The stored bytes of a document (by its sha256) or of a report's current main document (by the report's id, or
    AGENCY/YEAR); None when nothing matches."""
    wanted = wanted.strip()
    digest = wanted.lower() if _SHA256.fullmatch(wanted.lower()) else _report_document(session, wanted)
    if digest is None:
        return None
    data = session.scalar(select(Document.data).where(Document.sha256 == digest))
    return bytes(data) if data is not None else None


def _report_document(session: Session, wanted: str) -> str | None:
    match = _REPORT.fullmatch(wanted)
    if match is None:
        return None
    stmt = select(ReportVersion.document_sha256).join(Report, Report.current_version_id == ReportVersion.id)
    if match["id"]:
        return session.scalar(stmt.where(Report.id == int(match["id"])))
    return session.scalar(stmt.where(Report.agency_id == match["agency"], Report.year == int(match["year"])))
