"""Stores each report in one transaction: its documents' bytes, their fetch validators, the parsed version.

A report that cannot be stored (nothing downloaded, no year, a data error) is recorded as listed but not stored,
with the cause, so the audit never reads it as absent. A database that stays away stops the crawl (CrawlDatabase).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from scrapy.exceptions import DropItem
from sqlalchemy.orm import Session

from crawler.database import CrawlDatabase, StorageUnavailable, first_line, is_outage
from crawler.items import FetchedDocument, ReportItem, UnchangedItem
from crawler.run import RunKeeper
from nianbao.template import Finding
from storage.documents import store_document
from storage.fetches import NOT_MODIFIED, get_fetch, record_fetch
from storage.pending import add_pending, drop_pending
from storage.reports import KEPT, upsert_report
from storage.runs import record_unknown_agency, record_unstored

logger = logging.getLogger(__name__)
QUEUED = "queued"  # stored to be parsed by a worker (nianbao.pending)


def unreadable(item: ReportItem) -> dict:
    """The parse JSON of a document that could not be read: kept as a version, never current over a good one."""
    reason = item.parse_error or item.error or "the document could not be read"
    return {
        "agency": item.agency_name, "year": item.year, "template": "unknown", "title": item.title,
        "published": item.published, "text": "", "active_disclosure": {}, "applications": {},
        "review_litigation": {},
        "findings": [Finding.of("unreadable_document", "document", reason).as_dict()],
    }


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database = CrawlDatabase.of(crawler)
        self.parse_later = crawler.settings.getbool("NIANBAO_PARSE_LATER")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, (UnchangedItem, ReportItem)):
            return item
        try:
            if isinstance(item, UnchangedItem):
                if item.checked:  # a page not asked for keeps the time it was last asked for: its cadence
                    await self.database.store(record_fetch, item.url, status=NOT_MODIFIED)
                self._count(item.agency_id or item.site_id, "unchanged")
            else:
                await self._store(item)
        except StorageUnavailable as error:
            self._count(item.agency_id or item.site_id, "failed")
            raise DropItem(f"report {item.url} not stored: {error}") from error
        return item

    async def _store(self, item: ReportItem) -> None:
        key = item.agency_id or item.site_id
        year = item.year or (item.parsed or {}).get("year")
        later = self.parse_later and item.main_document() is not None  # the year may be in the text: parse first
        if item.main_document() is None or (year is None and not later):
            # Nothing downloaded (a failed fetch) or no year to file it under: nothing stored, nothing replaced.
            await self._unstored(item, year, item.error or "no year in its title or text")
            return
        try:
            if later:
                item.stored = await self.database.store(pend_report, RunKeeper.of(self.crawler).run_id, item)
            else:
                item.stored = await self.database.store(write_crawled, item, year)
        except StorageUnavailable:
            raise
        except Exception as error:  # a data error in this report only: the crawl goes on, the report is noted
            if is_outage(error):
                raise
            logger.error("report %s not stored: %s", item.url, first_line(error))
            await self._unstored(item, year, f"could not be stored: {first_line(error)}")
            return
        self._count(key, item.stored)
        if item.parse_error or item.error:
            self._count(key, "errors")

    async def _unstored(self, item: ReportItem, year: int | None, cause: str) -> None:
        self._count(item.agency_id or item.site_id, "errors")
        self._count(item.agency_id or item.site_id, "not_stored")
        logger.warning("report %s not stored: %s", item.url, cause)
        keeper = RunKeeper.of(self.crawler)
        try:
            await self.database.store(
                record_unstored, keeper.run_id, site_id=item.site_id, agency_id=item.agency_id,
                agency_name=item.agency_name, year=year, title=item.title, url=item.url,
                listing_url=item.listing_url, cause=cause,
            )
        except StorageUnavailable:
            raise
        except Exception as error:  # not even the note could be written: the site proves nothing this run
            logger.error("report %s: not stored, and not recorded as such: %s", item.url, first_line(error))
            keeper.lose(item.site_id, f"{item.url}: {cause}")

    def _count(self, agency: str, what: str) -> None:
        self.stats.inc_value(f"nianbao/agency/{agency}/{what}")
        self.stats.inc_value(f"nianbao/stored/{what}")


def write_crawled(session: Session, item: ReportItem, year: int) -> str:
    """write_report for a report this crawl read itself: a copy an earlier queued crawl left waiting is older and
    must never be parsed over it."""
    drop_pending(session, item.url, item.agency_id, item.agency_name)
    return write_report(session, item, year)


def write_report(session: Session, item: ReportItem, year: int, fetched_at: datetime | None = None) -> str:
    """Store a read report: its documents, the parsed version (new, revised, unchanged or kept) and, when it was read
    whole and made current, its fetch validators. The crawl's store, and a worker's parse task (nianbao.pending),
    which gives the time the bytes were fetched."""
    parsed = item.parsed or unreadable(item)
    main = item.main_document()
    digests = {d.url: _keep(session, d) for d in item.documents}
    if digests[main.url] is None:
        raise LookupError(f"{main.url} answered 304 but its bytes are not stored")
    agency_name = item.agency_name or parsed.get("agency") or item.title
    stored = upsert_report(
        session, agency_id=item.agency_id, agency_name=agency_name, year=year, source_url=item.url,
        document_sha256=digests[main.url], parsed=parsed, text_sketch=item.text_sketch, fetched_at=fetched_at,
        attachments=[(url, sha) for url, sha in digests.items() if url != main.url and sha],
    )
    # Validators and the digest only for a report read whole and made current: otherwise the next crawl must
    # fetch it again, whatever its listing says (a failed attachment behind 304s would stay unreadable for
    # good; a kept version needs a second fetch). A fetch without a digest is never skipped as not due.
    whole = not (item.error or item.parse_error) and stored != KEPT
    for document in (d for d in item.documents if not d.unchanged):
        etag, modified, digest = (document.etag, document.last_modified, digests[document.url]) if whole else (
            None, None, None)
        record_fetch(session, document.url, status=200, etag=etag, last_modified=modified, sha256=digest)
    if item.agency_id is None:
        record_unknown_agency(session, agency_name, item.listing_url)
    return stored


def pend_report(session: Session, run_id: int, item: ReportItem) -> str:
    """Store the report's documents (pages now; attachments came stored) and leave it for a parse task: QUEUED.
    Validators wait for the parse (write_report): a report that is never read is fetched again next time."""
    documents = []
    for document in item.documents:
        if document.unchanged:
            record_fetch(session, document.url, status=NOT_MODIFIED)
        elif not document.sha256:
            digest = store_document(session, document.body, content_type=document.kind)
            document = replace(document, sha256=digest, body=b"")
        documents.append(document)
    add_pending(session, run_id, site_id=item.site_id, agency_id=item.agency_id, agency_name=item.agency_name,
                year=item.year, url=item.url, item=replace(item, documents=documents).to_pending())
    return QUEUED


def _keep(session: Session, document: FetchedDocument) -> str | None:
    """The stored digest of one document: kept as it arrived (attachments), stored now (pages), or the one stored
    before when it answered 304. Validators are recorded by the caller, once the report is stored."""
    if document.unchanged:
        record_fetch(session, document.url, status=NOT_MODIFIED)
        fetch = get_fetch(session, document.url)
        return fetch.sha256 if fetch else None
    if document.sha256:
        return document.sha256
    return store_document(session, document.body, content_type=document.kind)
