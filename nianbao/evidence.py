"""`nianbao evidence`: why the audit says what it says of one agency, from the audit itself, the crawl's records and
the evidence archive (crawler.archive): for a report, where and when it was fetched and where its bytes lie in the
WARC files; for no report, the listing pages read in the last run, which held none."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nianbao.audit import AgencyAudit, Settings, audit
from nianbao.audit.load import copy_scorer, load, load_unstored
from storage.archive import document_fetches, listing_fetches
from storage.evidence_reads import current_versions, find_agency, latest_outcomes, listing_urls
from storage.models import Report, ReportVersion, SiteOutcome, WarcRecord

REPORTED = ("published", "published_late", "unparseable")  # statuses the audit gave for a stored report


class UnknownAgency(ValueError):
    """An agency id the registry does not hold, or one the audit does not judge."""


def gather(session: Session, agency_id: str, year: int, as_of: date, settings: Settings, archive: Path) -> dict:
    """The evidence for one agency's audit line, as plain JSON-ready values."""
    agency = find_agency(session, agency_id)
    if agency is None:
        raise UnknownAgency(f"unknown agency {agency_id!r} (see `nianbao sites list`)")
    if not agency.enabled:
        raise UnknownAgency(f"agency {agency_id} is disabled: the audit does not judge it")
    row = _audit_row(session, agency_id, year, as_of, settings)
    found: dict[str, Any] = {
        "agency": {"id": agency.id, "name": agency.name, "level": agency.level}, "year": year,
        "as_of": as_of.isoformat(), "status": row.status, "deadline": row.deadline.isoformat(),
        "notes": [note.text for note in row.notes], "archive_dir": str(archive),
    }
    found.update(evidence_for(session, [row], year, archive)[agency_id])
    return found


def evidence_for(session: Session, rows: list[AgencyAudit], year: int, archive: Path) -> dict[str, dict]:
    """What backs each audit row, by agency id, for many rows at once (the HTML audit's evidence): {"report": ...}
    for a row that names a stored report; else {"site_outcome": ..., "listing_fetches": [...]}."""
    named = [row for row in rows if row.status in REPORTED and row.source_url]
    versions = current_versions(session, year, [row.source_url for row in named])
    fetches = document_fetches(session, [(v.source_url, v.document_sha256) for _, v in versions.values()])
    found: dict[str, dict] = {}
    for row in named:
        if row.source_url in versions:
            report, version = versions[row.source_url]
            fetched = fetches.get((version.source_url, version.document_sha256))
            found[row.agency_id] = {"report": _report(report, version, row, fetched, archive)}
    absent = [row.agency_id for row in rows if row.agency_id not in found]
    listings = listing_urls(session, absent)
    outcomes = latest_outcomes(session, listings)
    read = listing_fetches(session, [url for urls in listings.values() for url in urls],
                           {outcome.run_id for outcome in outcomes.values()})
    for agency_id in absent:
        outcome = outcomes.get(agency_id)
        records = [record for url in listings[agency_id] for record in read.get((url, outcome.run_id), [])
                   ] if outcome else []
        records.sort(key=lambda record: (record.fetched_at, record.id))
        found[agency_id] = {"site_outcome": _outcome(outcome),
                            "listing_fetches": [_record(record, archive) for record in records]}
    return found


def _audit_row(session: Session, agency_id: str, year: int, as_of: date, settings: Settings) -> AgencyAudit:
    """The agency's line of the whole audit, computed as `nianbao audit` computes it."""
    result = audit(*load(session, year), year=year, as_of=as_of, settings=settings,
                   unstored=load_unstored(session, year), copy_scores=copy_scorer(session))
    return result.row(agency_id)


def _report(report: Report, version: ReportVersion, row: AgencyAudit, fetched: WarcRecord | None,
            archive: Path) -> dict:
    return {
        "id": report.id, "version": version.version, "title": version.title, "url": version.source_url,
        "published": _iso(row.published), "days_late": row.days_late, "fetched_at": _iso(version.fetched_at),
        "document_sha256": version.document_sha256, "archived": _record(fetched, archive) if fetched else None,
    }


def _outcome(outcome: SiteOutcome | None) -> dict | None:
    if outcome is None:
        return None
    return {"run_id": outcome.run_id, "outcome": outcome.outcome, "recorded_at": _iso(outcome.recorded_at),
            "pages": outcome.pages, "reports_found": outcome.reports_found, "message": outcome.message}


def _record(record: WarcRecord, archive: Path) -> dict:
    return {
        "url": record.url, "fetched_at": _iso(record.fetched_at), "status": record.status,
        "record_type": record.record_type, "record_id": record.record_id, "run_id": record.run_id,
        "payload_sha256": record.payload_sha256, "payload_digest": record.payload_digest,
        "warc": {"path": str(archive / record.file), "offset": record.offset, "length": record.length},
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
