"""A live line on the terminal during `nianbao crawl`: listing pages reached of all, pages fetched, reports stored,
sites whose outcome is recorded. Off elsewhere. It shares nianbao's stderr console with the log lines, which print
above it instead of breaking it."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.items import ReportItem, SiteOutcome, UnchangedItem
from nianbao.logs import stderr_console


class Progress:
    def __init__(self, stats, sites: int):
        self.stats = stats
        self.status = None
        self.sites = sites
        self.counts = {"pages": 0, "reports": 0, "unchanged": 0, "sites": 0}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured  # no message: Scrapy would log one as a warning
        progress = cls(crawler.stats, 0)
        crawler.signals.connect(progress.opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.response, signal=signals.response_received)
        crawler.signals.connect(progress.item, signal=signals.item_scraped)
        crawler.signals.connect(progress.closed, signal=signals.spider_closed)
        return progress

    def opened(self, spider) -> None:
        self.sites = len(getattr(spider, "targets", ()))
        self.status = stderr_console().status(self)  # re-rendered (__rich__) at every refresh of the spinner
        self.status.start()

    def response(self) -> None:
        self.counts["pages"] += 1

    def item(self, item) -> None:
        key = {ReportItem: "reports", UnchangedItem: "unchanged", SiteOutcome: "sites"}.get(type(item))
        if key:
            self.counts[key] += 1

    def closed(self) -> None:
        if self.status:
            self.status.stop()

    def __rich__(self) -> str:
        c = self.counts
        listings = (f"listing pages {self.stats.get_value('nianbao/listings_answered', 0)}"
                    f"/{self.stats.get_value('nianbao/listings_total', 0)} answered")
        done = f" · sites {c['sites']}/{self.sites} recorded" if c["sites"] else ""
        return (f"crawling {self.sites} sites: {listings} · pages {c['pages']} · reports {c['reports']} fetched, "
                f"{c['unchanged']} unchanged{done}")
