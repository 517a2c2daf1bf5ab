"""A live line on the terminal during `nianbao crawl`: pages fetched, reports stored, sites done. Off elsewhere."""

from __future__ import annotations

import sys

from rich.console import Console
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.items import ReportItem, SiteOutcome, UnchangedItem


class Progress:
    def __init__(self, console: Console):
        self.console = console
        self.status = None
        self.counts = {"pages": 0, "reports": 0, "unchanged": 0, "sites": 0}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured("progress is shown only on a terminal")
        progress = cls(Console(stderr=True))
        crawler.signals.connect(progress.opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.response, signal=signals.response_received)
        crawler.signals.connect(progress.item, signal=signals.item_scraped)
        crawler.signals.connect(progress.closed, signal=signals.spider_closed)
        return progress

    def opened(self) -> None:
        self.status = self.console.status(self._line())
        self.status.start()

    def response(self) -> None:
        self.counts["pages"] += 1
        self._update()

    def item(self, item) -> None:
        key = {ReportItem: "reports", UnchangedItem: "unchanged", SiteOutcome: "sites"}.get(type(item))
        if key:
            self.counts[key] += 1
            self._update()

    def closed(self) -> None:
        if self.status:
            self.status.stop()

    def _update(self) -> None:
        if self.status:
            self.status.update(self._line())

    def _line(self) -> str:
        c = self.counts
        return f"crawling: {c['pages']} pages, {c['reports']} reports fetched, {c['unchanged']} unchanged"
