"""Reads each report's main document into the intermediate form (page chrome stripped), whatever its type."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from crawler.database import engine_for
from crawler.items import ReportItem
from nianbao.document import UnreadableInput, read_document
from pipelines.worker import in_worker
from storage.documents import get_document
from storage.fetches import get_fetch

logger = logging.getLogger(__name__)


class ReadDocumentPipeline:
    def __init__(self, settings):
        self.settings = settings
        self.engine = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def open_spider(self) -> None:
        self.engine = engine_for(self.settings)

    def close_spider(self) -> None:
        self.engine.dispose()

    async def process_item(self, item):
        if not isinstance(item, ReportItem):
            return item
        # Reading a PDF takes CPU for a while: off the reactor's thread, so downloads keep flowing meanwhile.
        return await in_worker(self._read, item)

    def _read(self, item: ReportItem) -> ReportItem:
        main = item.main_document()
        if main is None:
            item.parse_error = item.error or "no document was downloaded"
            return item
        body = main.body if not main.unchanged else self._stored_body(main.url)
        if body is None:
            item.parse_error = f"{main.url} answered 304 but its bytes are not stored"
            return item
        try:
            item.document = read_document(body, name=main.name or main.url, url=main.url)
        except UnreadableInput as exc:
            item.parse_error = str(exc)
            logger.warning("report %s: %s", item.url, exc)
        return item

    def _stored_body(self, url: str) -> bytes | None:
        """The bytes stored for a URL that answered 304 (its page changed, this attachment did not)."""
        with Session(self.engine) as session:
            fetch = get_fetch(session, url)
            document = get_document(session, fetch.sha256) if fetch and fetch.sha256 else None
            return bytes(document.data) if document else None
