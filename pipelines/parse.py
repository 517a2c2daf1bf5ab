"""Parses the report read by the previous pipeline into the parse JSON (tables, findings, agency, year)."""

from __future__ import annotations

import logging

from crawler.items import ReportItem
from nianbao.document import UnreadableInput
from nianbao.report.parse import parse_document
from pipelines.worker import in_worker

logger = logging.getLogger(__name__)


class ParsePipeline:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    async def process_item(self, item):
        if not isinstance(item, ReportItem) or item.document is None:
            return item
        return await in_worker(self._parse, item)

    def _parse(self, item: ReportItem) -> ReportItem:
        try:
            item.parsed = parse_document(item.document, source=item.main_url or item.url)
        except UnreadableInput as exc:  # read, but no report in it (a cover page, a notice)
            item.parse_error = str(exc)
            logger.warning("report %s: %s", item.url, exc)
        finally:
            item.document = None  # transient: not exported, not kept in memory
        if item.parsed is not None:
            if not item.parsed.get("published") and item.published:
                item.parsed["published"] = item.published  # the listing's date when the page prints none
            self.stats.inc_value("nianbao/reports/parsed")
            self.stats.inc_value(f"nianbao/reports/findings_{'errors' if _has_errors(item.parsed) else 'clean'}")
        else:
            self.stats.inc_value("nianbao/reports/unparsed")
        return item


def _has_errors(parsed: dict) -> bool:
    return any(f["severity"] == "error" for f in parsed["findings"])
