"""The crawl's run and its site locks, taken inside the crawl so that `nianbao crawl`, `scrapy crawl reports` and
Scrapyd jobs all honour them: a dead crawl's run is closed and its locks freed by the next one, a live crawl keeps
both fresh with a heartbeat, and a run ends failed, with the sites it could not finish, when it could not store."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.database import STORAGE_FAILED, CrawlDatabase, first_line
from storage.locks import acquire_sites, free_dead_holders, held_sites, process_holder, release_sites
from storage.runs import INCOMPLETE, beat, close_dead_runs, finish_run, record_site_outcome, start_run, unfinished_sites

logger = logging.getLogger(__name__)


class RunKeeper:
    """Scrapy extension: opens the run, takes the sites' locks, renews both, closes the run and releases them."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.database = CrawlDatabase.of(crawler)
        # NIANBAO_LOCK_TTL: seconds a lock outlives its last renewal; renewed every quarter of it while the crawl lives.
        self.ttl = crawler.settings.getint("NIANBAO_LOCK_TTL", 300)
        self.holder = process_holder()
        self.run_id: int | None = None
        self.sites: list[str] = []
        self.lost: dict[str, str] = {}  # site → why a report of it could be neither stored nor recorded as unstored
        self._heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        keeper = cls(crawler)
        crawler._nianbao_run = keeper
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        return keeper

    @classmethod
    def of(cls, crawler) -> RunKeeper:
        return crawler._nianbao_run

    def spider_opened(self, spider) -> None:
        try:
            self.database.run_with_retries(self._open, spider)
        except Exception as error:
            self.database.failure = f"cannot open the crawl's run: {first_line(error)}"
            logger.error("%s", self.database.failure)
            raise CloseSpider(STORAGE_FAILED) from error
        stats = self.crawler.stats
        stats.set_value("nianbao/run_id", self.run_id)
        self._heartbeat = task.LoopingCall(lambda: deferred_from_coro(self._beat()))
        self._heartbeat.start(max(self.ttl / 4, 1), now=False)

    def _open(self, session, spider) -> None:
        interrupted = close_dead_runs(session, stale_after_seconds=self.ttl)
        if interrupted:
            logger.warning("closed run(s) %s left running by crawls that died", ", ".join(map(str, interrupted)))
        free_dead_holders(session)
        settings = self.crawler.settings
        self.run_id = start_run(session, settings.get("NIANBAO_TRIGGER", "manual"), self.holder,
                                settings.get("NIANBAO_NIGHT"), settings.get("NIANBAO_TASK"))
        wanted = [site.id for site in spider.targets]
        self.sites = acquire_sites(session, wanted, self.holder, self.ttl)
        held = held_sites(session)
        left = {site: held[site][0] for site in wanted if site not in self.sites and site in held}
        spider.targets = [site for site in spider.targets if site.id in self.sites]
        for site, holder in sorted(left.items()):
            logger.warning("site %s left alone: another crawl (%s) holds it", site, holder)
            self.crawler.stats.set_value(f"nianbao/left/{site}", holder)
        self.crawler.stats.set_value("nianbao/sites_left", len(left))
        # Until the run records what it found, the sites it took have proven nothing.
        for site in self.sites:
            record_site_outcome(session, self.run_id, site, INCOMPLETE, message="the run has not finished this site")

    def lose(self, site_id: str, cause: str) -> None:
        """A report of the site is gone without a record: the site's outcome will be incomplete, proving nothing."""
        self.lost.setdefault(site_id, cause)

    async def _beat(self) -> None:
        try:  # through the crawl's writer like every other write, so the reactor never waits for the lock
            await self.database.store(self._renew)
        except Exception as error:  # the database is away; store() decides when to give up
            logger.warning("could not renew the crawl's locks: %s", first_line(error))

    def _renew(self, session) -> None:
        beat(session, self.run_id)
        kept = acquire_sites(session, self.sites, self.holder, self.ttl)
        lost = sorted(set(self.sites) - set(kept))
        if lost:  # renewals failed for longer than the TTL and another crawl took them: do not fight over them
            logger.error("lost the lock of %s to another crawl", ", ".join(lost))

    def spider_closed(self, spider, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        self.database.finish_writes()  # a heartbeat still queued must not take the locks back after their release
        if self.run_id is None:
            return
        failure = self.database.failure
        if reason == "finished" and not failure:
            status = "completed"
        else:
            status = "interrupted" if reason == "shutdown" else "failed"
        message = None if status == "completed" else failure or f"the crawl ended early: {reason}"
        try:
            self.database.run_with_retries(self._close, status, message)
        except Exception as error:
            logger.error("could not close run %s (the next crawl will): %s", self.run_id, first_line(error))
        finally:
            self.database.dispose()

    def _close(self, session, status: str, message: str | None) -> None:
        if status != "completed":
            unfinished = unfinished_sites(session, self.run_id)
            if unfinished:
                message = f"{message}; sites not finished: {', '.join(unfinished)}"
        finish_run(session, self.run_id, status, message)
        release_sites(session, self.sites, self.holder)

