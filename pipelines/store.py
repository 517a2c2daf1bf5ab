"""Stores each report in one transaction: its documents' bytes, their fetch validators, the parsed version."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from crawler.database import engine_for
from crawler.items import FetchedDocument, ReportItem, UnchangedItem
from storage.documents import store_document
from storage.fetches import NOT_MODIFIED, get_fetch, record_fetch
from storage.reports import upsert_report
from storage.runs import record_unknown_agency

logger = logging.getLogger(__name__)


def unreadable(item: ReportItem) -> dict:
    """The parse JSON of a document that could not be read: kept as a version, never current over a good one."""
    reason = item.parse_error or item.error or "the document could not be read"
    return {
        "agency": item.agency_name, "year": item.year, "template": "unknown", "title": item.title,
        "published": item.published, "text": "", "active_disclosure": {}, "applications": {},
        "review_litigation": {},
        "findings": [{"rule": "unreadable_document", "severity": "error", "where": "document", "message": reason}],
    }


class StorePipeline:
    def __init__(self, settings, stats):
        self.settings = settings
        self.stats = stats
        self.engine = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings, crawler.stats)

    def open_spider(self) -> None:
        self.engine = engine_for(self.settings)

    def close_spider(self) -> None:
        self.engine.dispose()

    def process_item(self, item):
        if isinstance(item, UnchangedItem):
            with Session(self.engine) as session, session.begin():
                record_fetch(session, item.url, status=NOT_MODIFIED)
            self._count(item.agency_id or item.site_id, "unchanged")
        elif isinstance(item, ReportItem):
            self._store(item)
        return item

    def _store(self, item: ReportItem) -> None:
        main = item.main_document()
        parsed = item.parsed or unreadable(item)
        year = item.year or parsed.get("year")
        key = item.agency_id or item.site_id
        if main is None or year is None:
            # Nothing downloaded (a failed fetch) or no year to file it under: nothing stored, nothing replaced.
            self._count(key, "errors")
            logger.warning("report %s not stored: %s", item.url, item.error or "no year in its title or text")
            return
        # Validators only for a report read whole: otherwise the next crawl must fetch it (and its files) again,
        # or one failed attachment would leave the report unreadable for good behind 304s.
        complete = not (item.error or item.parse_error)
        with Session(self.engine) as session, session.begin():
            digests = {d.url: self._keep(session, d, complete) for d in item.documents}
            if digests[main.url] is None:
                self._count(key, "errors")
                return
            agency_name = item.agency_name or parsed.get("agency") or item.title
            item.stored = upsert_report(
                session, agency_id=item.agency_id, agency_name=agency_name, year=year, source_url=item.url,
                document_sha256=digests[main.url], parsed=parsed,
                attachments=[(url, sha) for url, sha in digests.items() if url != main.url and sha],
            )
            if item.agency_id is None:
                record_unknown_agency(session, agency_name, item.listing_url)
        self._count(key, item.stored)
        if item.parse_error or item.error:
            self._count(key, "errors")

    def _keep(self, session: Session, document: FetchedDocument, validators: bool) -> str | None:
        """Store the bytes (and the validators) of one document; its digest (the stored one after a 304)."""
        if document.unchanged:
            record_fetch(session, document.url, status=NOT_MODIFIED)
            fetch = get_fetch(session, document.url)
            return fetch.sha256 if fetch else None
        digest = store_document(session, document.body, content_type=document.kind)
        etag, modified = (document.etag, document.last_modified) if validators else (None, None)
        record_fetch(session, document.url, status=200, etag=etag, last_modified=modified, sha256=digest)
        return digest

    def _count(self, agency: str, what: str) -> None:
        self.stats.inc_value(f"nianbao/agency/{agency}/{what}")
        self.stats.inc_value(f"nianbao/stored/{what}")
