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

from crawler.database import CrawlDatabase
from crawler.items import ReportItem
from storage.documents import get_document


class BytesJSONEncoder(ScrapyJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes):
            return base64.b64encode(o).decode("ascii")
        return super().default(o)


class _StoredBodies:
    """Puts the stored bytes of a report's attachments back into the item being written."""

    database: CrawlDatabase | None = None

    @classmethod
    def from_crawler(cls, crawler, file: Any, **kwargs: Any):
        exporter = cls(file, **kwargs)
        exporter.database = CrawlDatabase.of(crawler)
        return exporter

    def with_bodies(self, item: Any) -> Any:
        if not isinstance(item, ReportItem) or self.database is None:
            return item
        stored = [d for d in item.documents if d.sha256 and not d.body]
        if not stored:
            return item
        bodies = self.database.run(lambda session: {d.sha256: get_document(session, d.sha256).data for d in stored})
        documents = [dataclasses.replace(d, body=bodies[d.sha256]) if d.sha256 and not d.body else d
                     for d in item.documents]
        return dataclasses.replace(item, documents=documents)


class JsonLinesExporter(_StoredBodies, JsonLinesItemExporter):
    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.encoder = BytesJSONEncoder(**self._kwargs)

    def export_item(self, item: Any) -> None:
        super().export_item(self.with_bodies(item))


class JsonExporter(_StoredBodies, JsonItemExporter):
    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.encoder = BytesJSONEncoder(**self._kwargs)

    def export_item(self, item: Any) -> None:
        super().export_item(self.with_bodies(item))
