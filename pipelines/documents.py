"""Reads and parses each report's main document in the capped reader processes (nianbao.isolated), whatever its type.

A document that is unreadable, too big, too slow or that kills its reader leaves a parse_error with the cause; the
crawl goes on and the store pipeline keeps it as evidence, never current over a good version.
"""

from __future__ import annotations

import logging

from crawler.database import CrawlDatabase
from crawler.items import FetchedDocument, ReportItem
from nianbao.isolated import DocumentPool
from storage.documents import get_document
from storage.fetches import get_fetch

logger = logging.getLogger(__name__)


class DocumentPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database = CrawlDatabase.of(crawler)
        self.pool = DocumentPool()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def close_spider(self) -> None:
        self.pool.close()

    async def process_item(self, item):
        if not isinstance(item, ReportItem):
            return item
        main = item.main_document()
        if main is None:
            item.parse_error = item.error or "no document was downloaded"
            return item
        body = main.body or await self.database.store(_stored_body, main)
        if body is None:
            item.parse_error = f"{main.url}: its bytes are not stored"
            return item
        source = item.main_url or item.url
        outcome = await self.pool.parse(body, name=main.name or main.url, url=main.url, source=source)
        if outcome.parsed is None:
            item.parse_error = outcome.error
            logger.warning("report %s: %s", item.url, outcome.error)
            self.stats.inc_value("nianbao/reports/unparsed")
            return item
        item.parsed = outcome.parsed
        if not item.parsed.get("published") and item.published:
            item.parsed["published"] = item.published  # the listing's date when the page prints none
        self.stats.inc_value("nianbao/reports/parsed")
        errors = any(f["severity"] == "error" for f in item.parsed["findings"])
        self.stats.inc_value(f"nianbao/reports/findings_{'errors' if errors else 'clean'}")
        return item


def _stored_body(session, document: FetchedDocument) -> bytes | None:
    """The bytes of a document kept in the database: stored as it arrived, or earlier when it answered 304."""
    digest = document.sha256
    if digest is None:
        fetch = get_fetch(session, document.url)
        digest = fetch.sha256 if fetch else None
    stored = get_document(session, digest) if digest else None
    return bytes(stored.data) if stored else None
