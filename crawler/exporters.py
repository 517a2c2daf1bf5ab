"""Feed exporters that can write the documents' bytes (base64), so `scrapy crawl -O items.jsonl` works.

Attachments go into storage as they arrive and leave the item with only their sha256; the exporters read each one
back as they write its item, so the feed still holds every document's bytes, one item's worth at a time.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter
from scrapy.utils.serialize import ScrapyJSONEncoder

from crawler.database import CrawlDatabase, stored_body
from crawler.items import ReportItem


class BytesJSONEncoder(ScrapyJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes):
            return base64.b64encode(o).decode("ascii")
        return super().default(o)


class _FeedWithBytes:
    """Base64 for bytes, and the stored bytes of a report's attachments put back into the item being written."""

    database: CrawlDatabase | None = None

    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.encoder = BytesJSONEncoder(**self._kwargs)

    @classmethod
    def from_crawler(cls, crawler, file: Any, **kwargs: Any):
        exporter = cls(file, **kwargs)
        exporter.database = CrawlDatabase.of(crawler)
        return exporter

    def export_item(self, item: Any) -> None:
        super().export_item(self._with_bodies(item))

    def _with_bodies(self, item: Any) -> Any:
        if not isinstance(item, ReportItem) or self.database is None:
            return item
        if not any(d.sha256 and not d.body for d in item.documents):
            return item
        documents = [dataclasses.replace(d, body=self.database.run(stored_body, d)) if d.sha256 and not d.body else d
                     for d in item.documents]
        return dataclasses.replace(item, documents=documents)


class JsonLinesExporter(_FeedWithBytes, JsonLinesItemExporter):
    pass


class JsonExporter(_FeedWithBytes, JsonItemExporter):
    pass
