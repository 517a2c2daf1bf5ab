"""Reads and parses each report's main document in the capped reader processes (nianbao.isolated), whatever its type.

A document that is unreadable, too big, too slow or that kills its reader leaves a parse_error with the cause; the
crawl goes on and the store pipeline keeps it as evidence, never current over a good version.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.database import CrawlDatabase, StorageUnavailable, first_line, stored_body
from crawler.items import FetchedDocument, ReportItem
from nianbao.isolated import DocumentPool
from nianbao.template import Finding

logger = logging.getLogger(__name__)


class DocumentPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database = CrawlDatabase.of(crawler)
        self.pool = DocumentPool()
        self.parse_later = crawler.settings.getbool("NIANBAO_PARSE_LATER")

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
        if self.parse_later:  # a queued crawl: the store pipeline leaves it to a parse task (nianbao.pending)
            return item
        try:
            body = await self._body(main)
        except StorageUnavailable as error:
            raise DropItem(f"report {item.url} not read: {error}") from error
        except Exception as error:  # a data error: the report is stored as unreadable, with the cause
            item.parse_error = f"{main.url}: its stored bytes could not be read: {first_line(error)}"
            return item
        await read_report(self.pool, item, body)
        if item.parsed is None:
            self.stats.inc_value("nianbao/reports/unparsed")
            return item
        self.stats.inc_value("nianbao/reports/parsed")
        errors = any(f["severity"] == "error" for f in item.parsed["findings"])
        self.stats.inc_value(f"nianbao/reports/findings_{'errors' if errors else 'clean'}")
        return item

    async def _body(self, main: FetchedDocument) -> bytes | None:
        """The document's bytes: as they came, or from storage when they went there on arrival or answered 304. An
        empty answer stays empty (and unreadable): it must never stand for the bytes stored before."""
        if main.sha256 or main.unchanged:
            return await self.database.store(stored_body, main)
        return main.body


async def read_report(pool: DocumentPool, item: ReportItem, body: bytes | None) -> None:
    """Parse the report's main document in the reader pool: item.parsed and text_sketch, or item.parse_error. The one
    reading of a fetched report, in the crawl (here) and in a worker's parse task (nianbao.pending)."""
    main = item.main_document()
    if body is None:
        item.parse_error = f"{main.url}: its bytes are not stored"
        return
    source = item.main_url or item.url
    outcome = await pool.parse(body, name=main.name or main.url, url=main.url, source=source)
    if outcome.parsed is None:
        item.parse_error = outcome.error
        logger.warning("report %s: %s", item.url, outcome.error)
        return
    item.parsed, item.text_sketch = outcome.parsed, outcome.text_sketch
    if not item.parsed.get("published") and item.published:
        item.parsed["published"] = item.published  # the listing's date when the page prints none
    if item.attachments_skipped:
        item.parsed["findings"].append(Finding.of(
            "attachments_skipped", "document",
            f"{item.attachments_skipped} attachment(s) past the cap were not downloaded").as_dict())
