"""Records each site's outcome as the spider reports it, with its counts, in the run that RunKeeper opened."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.database import CrawlDatabase, StorageUnavailable
from crawler.items import SiteOutcome
from crawler.outcomes import NOTHING_FOUND
from crawler.run import RunKeeper
from storage.runs import INCOMPLETE, record_site_outcome

# The crawler's words for a site's outcome → the stored ones. "ok" with no report of the site's own is "nothing
# found": its listing was read and holds none (absence proven, unlike unreachable or blocked).
_STORED = {"nothing_found": "nothing_found", "layout_changed": "layout_changed", "blocked": "blocked",
           "unreachable": "unreachable"}


class CrawlRunPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database = CrawlDatabase.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, SiteOutcome):
            return item
        outcome, failure_class = _stored_outcome(item)
        message = item.detail or None
        keeper = RunKeeper.of(self.crawler)
        if item.site_id in keeper.lost:  # a report of it was lost without a record: its list proves no absence
            outcome, failure_class, message = INCOMPLETE, INCOMPLETE, f"a report was lost: {keeper.lost[item.site_id]}"
        counts = {what: self.stats.get_value(f"nianbao/agency/{item.site_id}/{what}", 0)
                  for what in ("new", "revised", "errors")}
        try:
            await self.database.store(
                record_site_outcome, keeper.run_id, item.site_id, outcome, message=message, failure_class=failure_class,
                pages=item.listing_pages, reports_found=item.reports, reports_new=counts["new"],
                reports_revised=counts["revised"], errors=counts["errors"],
            )
        except StorageUnavailable as error:
            raise DropItem(f"outcome of {item.site_id} not recorded: {error}") from error
        return item


def _stored_outcome(item: SiteOutcome) -> tuple[str, str | None]:
    """The stored outcome and failure class: "ok" is found when the site has reports of its own, else nothing found."""
    if item.outcome in _STORED:
        return _STORED[item.outcome], item.failure_class
    return ("found", None) if item.reports else ("nothing_found", NOTHING_FOUND)
