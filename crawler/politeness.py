"""Politeness per host: never more requests in flight than the slot allows, and a robots.txt Crawl-delay honoured.

Scrapy's downloader (2.13+, on the asyncio reactor) starts a request's download as a task, and the request counts as
"transferring" only once that task runs; with no delay between requests, one pass over a slot's queue starts every
queued request at once, whatever CONCURRENT_REQUESTS_PER_DOMAIN says (seen: 4 in flight to one host with it at 1).
PoliteDownloader counts a request as transferring when it leaves the queue.
"""

from __future__ import annotations

import logging
from time import monotonic
from urllib.parse import urlsplit

from protego import Protego
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request, Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

logger = logging.getLogger(__name__)


class PoliteDownloader(Downloader):
    """Scrapy's downloader with the slot's concurrency kept exactly and a floor under each slot's delay: the host's
    robots.txt Crawl-delay, which AutoThrottle's adjustments cannot go below."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawl_delays: dict[str, float] = {}  # slot key (host) → its robots.txt Crawl-delay
        self._floors: dict[int, float] = {}  # id(slot) → its floor (Scrapy's slots take no attributes of ours)

    def set_crawl_delay(self, key: str, seconds: float) -> None:
        self.crawl_delays[key] = seconds
        if key in self.slots:
            self._floors[id(self.slots[key])] = seconds

    def _get_slot(self, request: Request, spider=None) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request)
        self._floors[id(slot)] = self.crawl_delays.get(key, 0.0)  # a slot collected while idle comes back with it
        return key, slot

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return
        now = monotonic()
        delay = max(slot.download_delay(), self._floors.get(id(slot), 0.0))
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # now, not when the task starts; _download removes it when done
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break


class CrawlDelayMiddleware:
    """Reads Crawl-delay from each host's robots.txt as it arrives and gives it to the downloader (capped at
    NIANBAO_MAX_CRAWL_DELAY seconds, 60 by default: a county site asking for an hour would never be crawled)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.cap = crawler.settings.getfloat("NIANBAO_MAX_CRAWL_DELAY", 60.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 200 or urlsplit(request.url).path != "/robots.txt":
            return response
        downloader = self.crawler.engine.downloader
        if not isinstance(downloader, PoliteDownloader):
            return response
        try:
            delay = Protego.parse(response.text).crawl_delay(self.user_agent)
        except (AttributeError, ValueError, UnicodeDecodeError):  # not text, or a robots.txt Protego cannot read
            return response
        if delay:
            seconds = min(float(delay), self.cap)
            downloader.set_crawl_delay(request.meta.get("download_slot") or downloader.get_slot_key(request), seconds)
            logger.info("%s asks for %s s between requests (robots.txt Crawl-delay); waiting %s s",
                        urlsplit(request.url).hostname, delay, seconds)
        return response
