"""Records the crawl run and, as the spider reports them, each site's outcome with its counts."""

from __future__ import annotations

from scrapy import signals
from sqlalchemy.orm import Session

from crawler.database import engine_for
from crawler.items import SiteOutcome
from storage.runs import finish_run, record_site_outcome, start_run

# The crawler's words for a site's outcome → the stored ones. "ok" with no report of the site's own is "nothing
# found": its listing was read and holds none (absence proven, unlike unreachable or blocked).
_STORED = {"nothing_found": "nothing_found", "layout_changed": "layout_changed", "blocked": "blocked",
           "unreachable": "unreachable"}


class CrawlRunPipeline:
    def __init__(self, settings, stats):
        self.settings = settings
        self.stats = stats
        self.engine = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings, crawler.stats)
        # The close reason is known only to the spider_closed signal, which comes after close_spider.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.engine = engine_for(self.settings)
        with Session(self.engine) as session, session.begin():
            self.run_id = start_run(session, self.settings.get("NIANBAO_TRIGGER", "manual"))
        self.stats.set_value("nianbao/run_id", self.run_id)

    def process_item(self, item):
        if isinstance(item, SiteOutcome):
            outcome = _STORED.get(item.outcome) or ("found" if item.reports else "nothing_found")
            counts = {what: self.stats.get_value(f"nianbao/agency/{item.site_id}/{what}", 0)
                      for what in ("new", "revised", "errors")}
            with Session(self.engine) as session, session.begin():
                record_site_outcome(
                    session, self.run_id, item.site_id, outcome, message=item.detail or None,
                    pages=item.listing_pages, reports_found=item.reports, reports_new=counts["new"],
                    reports_revised=counts["revised"], errors=counts["errors"],
                )
        return item

    def spider_closed(self, reason: str) -> None:
        status = "completed" if reason == "finished" else "interrupted" if reason == "shutdown" else "failed"
        with Session(self.engine) as session, session.begin():
            finish_run(session, self.run_id, status)
        self.engine.dispose()
