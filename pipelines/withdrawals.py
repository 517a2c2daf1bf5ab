"""Records what the crawl learnt of stored reports' pages (crawler/withdrawals.py): withdrawn, or there again."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.database import CrawlDatabase, StorageUnavailable
from crawler.withdrawals import WithdrawalCheck
from storage.withdrawals import mark_present, mark_withdrawn


class WithdrawalPipeline:
    def __init__(self, crawler):
        self.database = CrawlDatabase.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, WithdrawalCheck):
            return item
        try:
            if item.gone:
                await self.database.store(mark_withdrawn, item.site_id, item.url, item.reason)
            else:
                await self.database.store(mark_present, item.site_id, item.url)
        except StorageUnavailable as error:
            raise DropItem(f"withdrawal check of {item.url} not recorded: {error}") from error
        return item
