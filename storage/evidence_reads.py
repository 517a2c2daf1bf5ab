"""What `nianbao evidence`, the HTML audit's evidence and `nianbao get` read: agencies' listing pages and last
outcomes, reports' current versions (each for many at once), and stored originals by report or digest."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.db import in_chunks
from storage.models import Agency, Document, ListingPage, Report, ReportVersion, SiteOutcome

_SHA256 = re.compile(r"[0-9a-f]{64}")
_REPORT = re.compile(r"(?P<id>\d{1,18})|(?P<agency>[^/]+)/(?P<year>\d{4})")  # ids fit a BIGINT


def find_agency(session: Session, agency_id: str) -> Agency | None:
    return session.get(Agency, agency_id)


def listing_urls(session: Session, agency_ids: list[str]) -> dict[str, list[str]]:
    """Each agency's registered listing pages, in URL order."""
    found: dict[str, list[str]] = {agency_id: [] for agency_id in agency_ids}
    for chunk in in_chunks(agency_ids):
        stmt = (select(ListingPage.agency_id, ListingPage.url).where(ListingPage.agency_id.in_(chunk))
                .order_by(ListingPage.url))
        for agency_id, url in session.execute(stmt):
            found[agency_id].append(url)
    return found


def latest_outcomes(session: Session, listings: dict[str, list[str]]) -> dict[str, SiteOutcome]:
    """The outcome the audit judged each agency by: the latest recorded under its id or one of its listing pages."""
    keys = sorted({key for agency_id, urls in listings.items() for key in (agency_id, *urls)})
    latest: dict[str, SiteOutcome] = {}
    for chunk in in_chunks(keys):
        newest = select(func.max(SiteOutcome.id)).where(SiteOutcome.site_key.in_(chunk)).group_by(SiteOutcome.site_key)
        latest.update((o.site_key, o) for o in session.scalars(select(SiteOutcome).where(SiteOutcome.id.in_(newest))))
    found = {}
    for agency_id, urls in listings.items():
        candidates = [latest[key] for key in (agency_id, *urls) if key in latest]
        if candidates:
            found[agency_id] = max(candidates, key=lambda outcome: outcome.id)
    return found


def current_versions(session: Session, year: int, source_urls: list[str]) -> dict[str, tuple[Report, ReportVersion]]:
    """The current version of the report of `year` fetched from each URL (the one an audit row names)."""
    found: dict[str, tuple[Report, ReportVersion]] = {}
    for chunk in in_chunks(sorted(set(source_urls))):
        stmt = (select(Report, ReportVersion).join(ReportVersion, Report.current_version_id == ReportVersion.id)
                .where(Report.year == year, ReportVersion.source_url.in_(chunk)).order_by(Report.id.desc()))
        found.update((version.source_url, (report, version)) for report, version in session.execute(stmt))
    return found  # the lowest report id wins: rows come highest first and later ones overwrite


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
    report = find_report(session, wanted)
    if report is None or report.current_version_id is None:
        return None
    return session.scalar(select(ReportVersion.document_sha256).where(ReportVersion.id == report.current_version_id))


def find_report(session: Session, wanted: str) -> Report | None:
    """A report by its id, or AGENCY/YEAR (a registry id, or the name an unregistered agency's report is under)."""
    match = _REPORT.fullmatch(wanted.strip())
    if match is None:
        return None
    if match["id"]:
        return session.get(Report, int(match["id"]))
    stmt = select(Report).where(Report.agency_key.in_([match["agency"], f"name:{match['agency']}"]),
                                Report.year == int(match["year"]))
    return session.scalars(stmt.order_by(Report.id).limit(1)).one_or_none()
