"""`nianbao crawl`: one Scrapy run over the registered sites (all, or those named), into the database."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from sqlalchemy.orm import Session

from storage.db import database_url, make_engine, upgrade
from storage.locks import acquire_sites, release_sites
from storage.registry import list_agencies

# A crawl that dies leaves its locks behind; after this long another crawl may take them over.
LOCK_TTL_SECONDS = 12 * 3600


@dataclass
class CrawlSummary:
    run_id: int | None
    sites: list[str]
    skipped_locked: list[str]
    finish_reason: str
    stats: dict

    def line(self) -> str:
        """One line for the terminal: the run, its sites' outcomes, what happened to the reports."""
        s = self.stats
        outcomes = {}
        for key, value in s.items():
            if key.startswith("nianbao/outcome/"):
                outcomes[key.rsplit("/", 1)[1]] = value
        counts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "no outcome"
        reports = ", ".join(f"{s.get(f'nianbao/stored/{w}', 0)} {w}" for w in ("new", "revised", "unchanged", "kept"))
        return f"run {self.run_id}: {len(self.sites)} sites ({counts}); reports: {reports}"


class UnknownSites(ValueError):
    pass


def crawl(url: str | None, site_ids: list[str], trigger: str = "manual", overrides: dict | None = None) -> CrawlSummary:
    """Crawl the sites (every registered one when none are named) that no other crawl is running right now."""
    url = database_url(url)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            registered = [a.id for a in list_agencies(session) if a.listing_urls]
            unknown = sorted(set(site_ids) - {a.id for a in list_agencies(session)})
            if unknown:
                raise UnknownSites(f"unknown site id(s): {', '.join(unknown)} (see `nianbao sites list`)")
            wanted = site_ids or registered
            got = acquire_sites(session, wanted, holder, LOCK_TTL_SECONDS)
        skipped = [s for s in wanted if s not in got]
        if not got:
            return CrawlSummary(None, [], skipped, "nothing to crawl", {})
        try:
            stats = _run_spider(url, got, trigger, overrides or {})
        finally:
            with Session(engine) as session, session.begin():
                release_sites(session, got, holder)
        return CrawlSummary(stats.get("nianbao/run_id"), got, skipped, stats.get("finish_reason", "?"), stats)
    finally:
        engine.dispose()


def _run_spider(url: str, site_ids: list[str], trigger: str, overrides: dict) -> dict:
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DATABASE_URL", url, priority="cmdline")
    settings.set("NIANBAO_TRIGGER", trigger, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("reports")
    process.crawl(crawler, site=",".join(site_ids))
    process.start()
    return dict(crawler.stats.get_stats())
